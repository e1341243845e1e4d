#include "yoloxrt/image.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>

#include <opencv2/core.hpp>

#include "core/strings.h"
#include "inference/jpeg_codec.h"
#include "inference/media_plugin.h"

#include "yoloxrt/error.h"
#include "yoloxrt/file_io.h"

namespace yoloxrt {

ImageBuffer::ImageBuffer(int width, int height)
    : width_(width),
      height_(height),
      pixels_(
          static_cast<size_t>(std::max(width, 0)) * static_cast<size_t>(std::max(height, 0)) * 3,
          0) {}

ImageBuffer::ImageBuffer(const ImageBuffer& other) = default;
ImageBuffer& ImageBuffer::operator=(const ImageBuffer& other) = default;

namespace {

// OpenCV takes the first decoder whose signature matches, so bytes that pass our signature check
// but fail the chosen decoder's stricter one (libwebp's header check, say) move on to the next
// candidates. The only one that can still claim them is the DICOM decoder (GDCM), whose signature
// is "DICM" at byte 128; GDCM is a large attack surface (a fuzzed PGM look-alike made it abort the
// process), so such bytes are refused outright.
bool has_dicom_signature(const std::vector<uint8_t>& b) {
  return b.size() >= 132 && std::memcmp(b.data() + 128, "DICM", 4) == 0;
}

// A JPEG cut short: libjpeg decodes what is there, fills the rest with grey and only warns, so
// cv::imdecode succeeds. The end-of-image marker (FF D9) must follow the last start-of-scan
// marker (FF DA); neither can occur inside entropy-coded data (0xFF is stuffed there), and an
// EXIF thumbnail's own scan and EOI come before the main image's.
bool jpeg_truncated(const std::vector<uint8_t>& b) {
  if (b.size() < 3 || b[0] != 0xFF || b[1] != 0xD8 || b[2] != 0xFF) return false;
  size_t sos = std::string::npos;
  for (size_t i = b.size() - 1; i-- > 0;)
    if (b[i] == 0xFF && b[i + 1] == 0xDA) {
      sos = i;
      break;
    }
  if (sos == std::string::npos) return false;  // no scan at all: the decoder refuses it
  for (size_t i = sos + 2; i + 1 < b.size(); ++i)
    if (b[i] == 0xFF && b[i + 1] == 0xD9) return false;
  return true;
}

ImageBuffer decode_image_at(const std::vector<uint8_t>& bytes, const std::string& name,
                            uint64_t max_pixels, int reduction) {
  if (bytes.empty()) throw Error(ErrorKind::kCorrupt, "the image file is empty", name);
  // Only formats in the signature table (image_header.h) reach cv::imdecode, which would otherwise
  // hand unknown bytes to GDAL and GDCM.
  const ImageFormat* format = identify_image_format(bytes);
  if (!format || has_dicom_signature(bytes))
    throw Error(ErrorKind::kCorrupt,
                "not a readable image: its first bytes are not those of a " +
                    decodable_image_formats() + " file",
                name);
  if (!format->decodable)
    throw Error(ErrorKind::kUnsupported,
                std::string(format->display) + " images are not supported (readable formats: " +
                    decodable_image_formats() + ")",
                name);
  // A few header bytes can declare an image whose decoding would allocate gigabytes: the size is
  // checked before any codec runs, and an image whose size cannot be read is not decoded.
  const auto header = read_image_header(bytes);
  if (!header)
    throw Error(ErrorKind::kCorrupt,
                std::string("not a readable image: the ") + format->display +
                    " header is truncated or malformed (it declares no image size)",
                name);
  check_image_pixels(bytes, name, max_pixels);
  if (jpeg_truncated(bytes))
    throw Error(ErrorKind::kCorrupt,
                "truncated JPEG: the data ends before the image's end-of-image marker", name);
  // JPEGs go to libjpeg directly (same settings and pixels as OpenCV's codec, without loading
  // the codec plugin); other formats to OpenCV.
  if (std::string_view(format->name) == "jpeg")
    return detail::decode_jpeg(bytes, name, reduction, max_pixels);
  // Decode straight into the result when the header gives the size (libjpeg's scaled size is
  // ceil(side / reduction)): no second full-size buffer, no copy. EXIF rotations (and headers
  // that leave a side unknown) take the copy below.
  ImageBuffer out;
  cv::Mat mat;
  if (header->width > 0 && header->height > 0 && header->width <= 65535 &&
      header->height <= 65535) {
    const auto r = static_cast<uint64_t>(reduction);
    const int w = static_cast<int>((header->width + r - 1) / r);
    const int ht = static_cast<int>((header->height + r - 1) / r);
    out = ImageBuffer(w, ht);
    mat = cv::Mat(ht, w, CV_8UC3, out.view().data);
  }
  std::string why;
  if (!detail::image_io().decode_reduced(bytes.data(), bytes.size(), reduction, &mat, &why))
    throw Error(ErrorKind::kCorrupt, why, name);
  if (mat.empty() || mat.type() != CV_8UC3)
    throw Error(ErrorKind::kCorrupt, "not a readable image (unknown format or truncated data)",
                name);
  if (mat.data == out.view().data && mat.cols == out.width() && mat.rows == out.height())
    return out;
  out = ImageBuffer(mat.cols, mat.rows);
  const Image v = out.view();
  for (int y = 0; y < mat.rows; ++y)
    std::memcpy(v.row(y), mat.ptr(y), static_cast<size_t>(mat.cols) * 3);
  return out;
}

}  // namespace

ImageBuffer decode_image(const std::vector<uint8_t>& bytes, const std::string& name,
                         uint64_t max_pixels) {
  return decode_image_at(bytes, name, max_pixels, 1);
}

ImageBuffer decode_image_scaled(const std::vector<uint8_t>& bytes, const std::string& name,
                                int reduction, uint64_t max_pixels) {
  if (reduction != 1 && reduction != 2 && reduction != 4 && reduction != 8)
    throw Error(
        ErrorKind::kInvalidArgument,
        "decode_image_scaled: reduction must be 1, 2, 4 or 8, got " + std::to_string(reduction),
        name);
  // Only libjpeg scales while decoding; OpenCV would decode other formats fully and resize.
  return decode_image_at(bytes, name, max_pixels, detail::is_jpeg(bytes) ? reduction : 1);
}

ImageBuffer load_image(const std::filesystem::path& path, uint64_t max_pixels) {
  return decode_image(read_file_bytes(path), path.string(), max_pixels);
}

std::vector<uint8_t> encode_image(const Image& image, const std::string& extension) {
  if (image.empty()) throw Error(ErrorKind::kInvalidArgument, "encode_image: empty image");
  if (is_jpeg_extension("x" + extension)) return detail::encode_jpeg(image);
  std::vector<uint8_t> out;
  const detail::ImageIoApi& io = detail::image_io();
  if (!io.has_encoder(extension.c_str()))
    throw Error(ErrorKind::kUnsupported, "no image encoder for '" + extension + "'");
  const cv::Mat mat(image.height, image.width, CV_8UC3, image.data, image.stride);
  std::string why;
  if (!io.encode(extension.c_str(), mat, &out, &why)) throw Error(ErrorKind::kRuntime, why);
  return out;
}

void save_image(const std::filesystem::path& path, const Image& image) {
  std::vector<uint8_t> bytes;
  try {
    bytes = encode_image(image, path.extension().string());
  } catch (const Error& e) {
    throw e.with_file(path.string());
  }
  write_file_atomic(path,
                    std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

void preload_media_codecs(bool video) { preload_media_codecs(true, video); }

void preload_media_codecs(bool images, bool video) {
  if (images) (void)detail::image_io();
  if (video) (void)detail::video_io();
}

bool is_jpeg_extension(const std::filesystem::path& path) {
  const std::string ext = core::to_lower(path.extension().string());
  return ext == ".jpg" || ext == ".jpeg" || ext == ".jpe";
}

bool is_image_extension(const std::filesystem::path& path) {
  const std::string ext = core::to_lower(path.extension().string());
  static const char* const kExts[] = {".jpg",  ".jpeg", ".png", ".bmp", ".tif", ".tiff",
                                      ".webp", ".jp2",  ".pbm", ".pgm", ".ppm", ".pnm"};
  return std::any_of(std::begin(kExts), std::end(kExts), [&](const char* e) { return ext == e; });
}

std::vector<std::filesystem::path> list_image_files(const std::filesystem::path& dir,
                                                    std::vector<std::filesystem::path>* others) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error(ErrorKind::kNotFound, "not a folder", dir.string());
  std::vector<fs::path> found, rest;
  for (auto it =
           fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    (is_image_extension(it->path()) ? found : rest).push_back(it->path());
  }
  if (ec) throw Error(ErrorKind::kIo, "cannot list the folder: " + ec.message(), dir.string());
  std::sort(found.begin(), found.end());
  std::sort(rest.begin(), rest.end());
  if (others) *others = std::move(rest);
  return found;
}

}  // namespace yoloxrt
