#include "yoloxrt/image.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include <opencv2/core.hpp>

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

// True if the bytes start with the signature of a format whose OpenCV decoder yoloxrt accepts:
// JPEG, PNG, BMP, TIFF, WebP, PNM (P1-P6 followed by white space, as OpenCV's PxM decoder checks)
// or JPEG 2000. Anything else never reaches cv::imdecode, which would otherwise hand it to GDAL
// and GDCM: a large attack surface (a fuzzed PGM-lookalike with "DICM" at byte 128 made GDCM
// abort the process).
bool has_accepted_signature(const std::vector<uint8_t>& b) {
  auto starts = [&](std::initializer_list<uint8_t> sig, size_t at = 0) {
    if (b.size() < at + sig.size()) return false;
    size_t i = at;
    for (uint8_t c : sig)
      if (b[i++] != c) return false;
    return true;
  };
  // OpenCV takes the first decoder whose signature matches, so bytes that pass the checks below
  // but fail the chosen decoder's stricter one (libwebp's header check, say) move on to the next
  // candidates. The only one that can still claim them is the DICOM decoder (GDCM), whose
  // signature is "DICM" at byte 128: refuse that outright.
  if (starts({'D', 'I', 'C', 'M'}, 128)) return false;
  if (starts({0xFF, 0xD8, 0xFF})) return true;                                        // JPEG
  if (starts({0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A})) return true;             // PNG
  if (starts({'B', 'M'})) return true;                                                // BMP
  if (starts({'I', 'I', 0x2A, 0x00}) || starts({'M', 'M', 0x00, 0x2A})) return true;  // TIFF
  if (starts({'R', 'I', 'F', 'F'}) && starts({'W', 'E', 'B', 'P'}, 8)) return true;   // WebP
  if (b.size() >= 3 && b[0] == 'P' && b[1] >= '1' && b[1] <= '6' &&
      std::isspace(static_cast<unsigned char>(b[2])))
    return true;  // PNM
  if (starts({0x00, 0x00, 0x00, 0x0C, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A}) ||
      starts({0xFF, 0x4F, 0xFF, 0x51}))
    return true;  // JPEG 2000
  return false;
}

}  // namespace

ImageBuffer decode_image(const std::vector<uint8_t>& bytes, const std::string& name,
                         uint64_t max_pixels) {
  if (bytes.empty()) throw Error(ErrorKind::kCorrupt, "the image file is empty", name);
  if (!has_accepted_signature(bytes))
    throw Error(ErrorKind::kCorrupt,
                "not a readable image: its first bytes are not those of a JPEG, PNG, BMP, TIFF, "
                "WebP, PNM or JPEG 2000 file",
                name);
  // A few header bytes can declare an image whose decoding would allocate gigabytes.
  check_image_pixels(bytes, name, max_pixels);
  cv::Mat mat;
  std::string why;
  if (!detail::image_io().decode(bytes.data(), bytes.size(), &mat, &why))
    throw Error(ErrorKind::kCorrupt, why, name);
  if (mat.empty() || mat.type() != CV_8UC3)
    throw Error(ErrorKind::kCorrupt, "not a readable image (unknown format or truncated data)",
                name);
  ImageBuffer out(mat.cols, mat.rows);
  const Image v = out.view();
  for (int y = 0; y < mat.rows; ++y)
    std::memcpy(v.row(y), mat.ptr(y), static_cast<size_t>(mat.cols) * 3);
  return out;
}

ImageBuffer load_image(const std::filesystem::path& path, uint64_t max_pixels) {
  return decode_image(read_file_bytes(path), path.string(), max_pixels);
}

std::vector<uint8_t> encode_image(const Image& image, const std::string& extension) {
  if (image.empty()) throw Error(ErrorKind::kInvalidArgument, "encode_image: empty image");
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

bool is_image_extension(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static const char* const kExts[] = {".jpg",  ".jpeg", ".png", ".bmp", ".tif", ".tiff",
                                      ".webp", ".jp2",  ".pbm", ".pgm", ".ppm", ".pnm"};
  return std::any_of(std::begin(kExts), std::end(kExts), [&](const char* e) { return ext == e; });
}

std::vector<std::filesystem::path> list_image_files(const std::filesystem::path& dir,
                                                    std::vector<std::filesystem::path>* others) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw Error(ErrorKind::kNotFound, "not a folder", dir.string());
  std::vector<fs::path> found, rest;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied,
                                                  ec);
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
