// yoloxrt/image.h - the small image types the inference API takes.
//
// Pixels are 8-bit BGR, 3 channels interleaved (OpenCV's default order), rows `stride` bytes apart.
// No OpenCV types appear here. JPEGs are decoded and encoded with libjpeg(-turbo) directly, with
// OpenCV 4.6's settings (identical pixels and bytes to cv::imdecode / cv::imencode); the other
// formats go through OpenCV's codecs, in a plugin loaded the first time one is met.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "yoloxrt/image_header.h"

namespace yoloxrt {

// A non-owning view of a BGR image. The viewed memory must outlive the view.
// REQUIRES: width, height > 0; stride >= 3 * width; data points at height * stride bytes.
struct Image {
  int width = 0;
  int height = 0;
  size_t stride = 0;  // bytes from one row to the next
  uint8_t* data = nullptr;

  static constexpr int kChannels = 3;
  uint8_t* row(int y) const { return data + static_cast<size_t>(y) * stride; }
  bool empty() const { return data == nullptr || width <= 0 || height <= 0; }
};

// An owning, tightly packed BGR image.
class ImageBuffer {
 public:
  ImageBuffer() = default;
  ImageBuffer(int width, int height);  // zero-filled
  ImageBuffer(const ImageBuffer& other);
  ImageBuffer& operator=(const ImageBuffer& other);
  ImageBuffer(ImageBuffer&&) noexcept = default;
  ImageBuffer& operator=(ImageBuffer&&) noexcept = default;

  int width() const { return width_; }
  int height() const { return height_; }
  // A view of the pixels; valid while this buffer lives and is not reassigned.
  Image view() { return {width_, height_, static_cast<size_t>(width_) * 3, pixels_.data()}; }
  Image view() const {
    return {width_, height_, static_cast<size_t>(width_) * 3, const_cast<uint8_t*>(pixels_.data())};
  }

 private:
  int width_ = 0;
  int height_ = 0;
  std::vector<uint8_t> pixels_;
};

// Decodes an image file (any format OpenCV reads: JPEG, PNG, BMP, TIFF, WebP...) into BGR; grey
// and alpha images are converted, EXIF orientation is applied.
// Throws Error(kNotFound)/Error(kIo) if the file cannot be read, Error(kUnsupported) if its header
// declares more than `max_pixels` pixels (checked before any decoding; see image_header.h) and
// Error(kCorrupt) if it does not decode, naming `path`.
ImageBuffer load_image(const std::filesystem::path& path,
                       uint64_t max_pixels = kDefaultMaxImagePixels);

// Same, from bytes in memory; `name` only labels errors.
ImageBuffer decode_image(const std::vector<uint8_t>& bytes, const std::string& name,
                         uint64_t max_pixels = kDefaultMaxImagePixels);

// Decodes like decode_image, but a JPEG at 1/`reduction` of its size (2, 4 or 8; 1 = full size)
// with libjpeg's scaled decoding in the DCT domain (OpenCV's IMREAD_REDUCED_COLOR_N): several
// times faster than a full decode, with pixels that differ from a full decode followed by a
// resize. A JPEG comes out ceil(w / reduction) x ceil(h / reduction) (after EXIF orientation);
// other formats decode at full size whatever `reduction` says. The pixel limit applies to the
// full size. Throws as decode_image, and Error(kInvalidArgument) for another reduction.
ImageBuffer decode_image_scaled(const std::vector<uint8_t>& bytes, const std::string& name,
                                int reduction, uint64_t max_pixels = kDefaultMaxImagePixels);

// Encodes `image` in the format named by `extension` (".jpg", ".png", ...); JPEG at quality 95,
// 4:2:0, baseline (cv::imencode's defaults, same bytes).
// Throws Error(kUnsupported) if OpenCV has no encoder for it, Error(kRuntime) if encoding fails.
std::vector<uint8_t> encode_image(const Image& image, const std::string& extension);

// Writes `image` to `path` atomically (encode, then write_file_atomic), in the format of path's
// extension. Throws as encode_image and write_file_atomic do.
void save_image(const std::filesystem::path& path, const Image& image);

// Loads OpenCV's image codecs now (and its video codecs too if `video`); otherwise they load at the
// first decode or encode of a format other than JPEG (about 0.05-0.1 s). A caller can overlap that
// start-up with other work, e.g. opening a Detector. Thread-safe. Throws Error(kRuntime) if a codec
// plugin cannot be loaded.
void preload_media_codecs(bool video = false);
// The same, loading only the image codecs (if `images`) and the video codecs (if `video`).
void preload_media_codecs(bool images, bool video);

// True if the extension (case-insensitive) is ".jpg", ".jpeg" or ".jpe": images that load_image
// and save_image handle with libjpeg, without OpenCV's codec plugin.
bool is_jpeg_extension(const std::filesystem::path& path);

// True if the extension (case-insensitive) is one load_image is meant for.
bool is_image_extension(const std::filesystem::path& path);

// The regular files under `dir` (recursive, permission-denied folders skipped), sorted: those with
// an image extension are returned, the others go to *others when it is not null. Throws
// Error(kNotFound) if `dir` is not a folder, Error(kIo) if it cannot be listed, naming `dir`.
std::vector<std::filesystem::path> list_image_files(const std::filesystem::path& dir,
                                                    std::vector<std::filesystem::path>* others);

}  // namespace yoloxrt
