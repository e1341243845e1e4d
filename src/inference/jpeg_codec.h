// JPEG decoding and encoding with libjpeg(-turbo) directly, without OpenCV's imgcodecs plugin.
//
// The settings are OpenCV 4.6's (the codec behind load_image before, and still behind the other
// formats), so the pixels and bytes are the same as cv::imdecode / cv::imencode give on this
// libjpeg: ISLOW DCT, fancy upsampling and block smoothing (libjpeg's defaults), grey JPEGs
// replicated to BGR, CMYK/YCCK JPEGs converted with OpenCV's formula, EXIF orientation (the first
// APP1 segment, read the way OpenCV's ExifReader reads it) applied; encoding at quality 95,
// 4:2:0, baseline, JFIF header. libjpeg's warnings (corrupt data it can decode around) are not
// printed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "yoloxrt/image.h"

namespace yoloxrt::detail {

// True if the bytes start with a JPEG signature (SOI followed by a marker: FF D8 FF).
bool is_jpeg(const std::vector<uint8_t>& bytes);

// Decodes a JPEG into BGR at 1/`reduction` of its size (1, 2, 4 or 8; libjpeg's scaled decoding,
// ceil of each side), as cv::imdecode(IMREAD_COLOR or IMREAD_REDUCED_COLOR_N) does. The size
// libjpeg reads is checked against `max_pixels` (full size) before any pixel buffer is allocated.
// Throws Error(kCorrupt) naming `name` if libjpeg refuses the data or it ends early,
// Error(kUnsupported) if the image has more than `max_pixels` pixels. Thread-safe.
ImageBuffer decode_jpeg(const std::vector<uint8_t>& bytes, const std::string& name, int reduction,
                        uint64_t max_pixels);

// How to encode. The defaults are cv::imencode(".jpg")'s.
struct JpegEncodeOptions {
  int quality = 95;  // 1..100
  bool progressive = false;
  // Chroma subsampling: 420 (libjpeg's default), 422 or 444.
  int subsampling = 420;
};

// Pixels to encode: `components` = 3 (BGR, as Image), 1 (grey) or 4 (CMYK, stored as is; for
// tests of the CMYK decoding path).
struct JpegPixels {
  const uint8_t* data = nullptr;
  int width = 0, height = 0;
  size_t stride = 0;
  int components = 3;
};

// Encodes to JPEG bytes. Throws Error(kInvalidArgument) for an empty image or bad options,
// Error(kRuntime) with libjpeg's message if encoding fails. Thread-safe.
std::vector<uint8_t> encode_jpeg(const JpegPixels& pixels, const JpegEncodeOptions& options = {});
std::vector<uint8_t> encode_jpeg(const Image& image, const JpegEncodeOptions& options = {});

// The EXIF orientation (1..8) OpenCV 4.6 would apply to a JPEG whose first APP1 segment holds
// `app1` (starting with "Exif\0\0"), or 0 when it would apply none.
int exif_orientation(const uint8_t* app1, size_t size);

}  // namespace yoloxrt::detail
