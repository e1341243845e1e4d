// Fuzzes image decoding as `detect` does it: the header size check, then decode_image (libjpeg
// directly for JPEGs, OpenCV's codecs for the rest). The pixel limit is kept small so that a
// mutated header cannot make one run allocate gigabytes; OpenCV's own limit is set to the same
// value for formats the header reader skips.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "yoloxrt/error.h"
#include "yoloxrt/image.h"
#include "yoloxrt/image_header.h"

namespace {
constexpr uint64_t kMaxPixels = 4'000'000;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ::setenv("OPENCV_IO_MAX_IMAGE_PIXELS", "4000000", 1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<uint8_t> bytes(data, data + size);
  try {
    (void)yoloxrt::read_image_header(bytes);
    yoloxrt::check_image_pixels(bytes, "fuzz", kMaxPixels);
    const yoloxrt::ImageBuffer img = yoloxrt::decode_image(bytes, "fuzz");
    if (img.width() <= 0 || img.height() <= 0) std::abort();  // decode_image promises an image
  } catch (const yoloxrt::Error&) {
  }
  return 0;
}
