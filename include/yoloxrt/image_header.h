// yoloxrt/image_header.h - image sizes read from file headers, and the pixel limit checked on them.
//
// Images come from cameras and scrapers: a 30-byte PNG can claim 20000 x 20000 pixels, and decoding
// it would allocate 1.2 GB before the missing data is noticed. These functions read only the
// header bytes (no codec runs), so a caller can refuse an oversized image before decoding it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace yoloxrt {

// Default of the pixel limit: 100 megapixels (10000 x 10000), far above any camera frame that a
// YOLOX model is run on, and well under OpenCV's own 2^30 default (OPENCV_IO_MAX_IMAGE_PIXELS).
inline constexpr uint64_t kDefaultMaxImagePixels = 100'000'000;

struct ImageHeaderInfo {
  const char* format = "";  // "png", "jpeg", "bmp", "gif", "webp", "tiff", "pnm", "jpeg2000"
  uint64_t width = 0;       // pixels, as the header declares them (0 when it leaves one unknown)
  uint64_t height = 0;
};

// An image format recognised by its signature (the first bytes of the file).
struct ImageFormat {
  const char* name;     // as ImageHeaderInfo::format
  const char* display;  // "JPEG 2000"
  bool decodable;       // decode_image (image.h) accepts it: OpenCV 4.6 has a codec for it
};

// Returns the format whose signature `bytes` start with, or nullptr. Signatures: JPEG (FF D8 FF),
// PNG, BMP ("BM"), TIFF (II*\0, MM\0*), WebP (RIFF....WEBP), PNM ("P1".."P6" then white space),
// JPEG 2000 (the JP2 signature box, or a raw codestream's SOC + SIZ) and GIF (not decodable).
// One table serves this, read_image_header and decode_image's accept list. Never throws.
const ImageFormat* identify_image_format(std::span<const uint8_t> bytes);

// The display names of the decodable formats, "JPEG, PNG, ... or JPEG 2000", for messages.
std::string decodable_image_formats();

// Reads the declared size from the header of a PNG, JPEG (the first SOF marker), BMP, GIF, WebP
// (VP8, VP8L, VP8X), TIFF (first IFD), PNM (P1-P6) or JPEG 2000 file (the SIZ marker of a raw
// codestream, or of the 'jp2c' box of a JP2 file). Returns nullopt for other formats and for
// headers too short or too malformed to hold a size; it never throws and reads only `bytes`.
std::optional<ImageHeaderInfo> read_image_header(std::span<const uint8_t> bytes);

// Throws Error(kUnsupported) naming `name`, with the declared width x height and the limit, if the
// header declares more than `max_pixels` pixels. Headers read_image_header cannot parse pass
// (decode_image refuses those itself).
void check_image_pixels(std::span<const uint8_t> bytes, const std::string& name,
                        uint64_t max_pixels);

}  // namespace yoloxrt
