// libyoloxrt_imageio.so: OpenCV's image codecs behind the ImageIoApi table (see
// src/inference/media_plugin.h). Nothing here throws across the boundary.
#include <opencv2/imgcodecs.hpp>

#include "inference/media_plugin.h"

namespace {

using yoloxrt::detail::ImageIoApi;

bool decode_reduced(const uint8_t* data, size_t size, int reduction, cv::Mat* out,
                    std::string* error) {
  try {
    const cv::Mat raw(1, static_cast<int>(size), CV_8UC1, const_cast<uint8_t*>(data));
    const int flags = reduction == 8   ? cv::IMREAD_REDUCED_COLOR_8
                      : reduction == 4 ? cv::IMREAD_REDUCED_COLOR_4
                      : reduction == 2 ? cv::IMREAD_REDUCED_COLOR_2
                                       : cv::IMREAD_COLOR;
    // Into *out's own pixels when it already has the decoded size (no allocation, no copy).
    cv::imdecode(raw, flags, out);
    if (out->empty()) *error = "not a readable image (unknown format or truncated data)";
    return !out->empty();
  } catch (const std::exception& e) {
    *error = std::string("OpenCV cannot decode the image: ") + e.what();
    return false;
  }
}

bool decode(const uint8_t* data, size_t size, cv::Mat* out, std::string* error) {
  *out = cv::Mat();
  return decode_reduced(data, size, 1, out, error);
}

bool encode(const char* ext, const cv::Mat& image, std::vector<uint8_t>* out, std::string* error) {
  try {
    if (cv::imencode(ext, image, *out)) return true;
    *error = std::string("OpenCV failed to encode a '") + ext + "' image";
  } catch (const std::exception& e) {
    *error = std::string("OpenCV failed to encode the image: ") + e.what();
  }
  return false;
}

bool has_encoder(const char* ext) {
  try {
    return cv::haveImageWriter(std::string("x") + ext);
  } catch (const std::exception&) {
    return false;
  }
}

const ImageIoApi kApi{yoloxrt::detail::kMediaAbiVersion, decode, encode, has_encoder,
                      decode_reduced};

}  // namespace

extern "C" __attribute__((visibility("default"))) const void* yoloxrt_imageio_api() {
  return &kApi;
}
