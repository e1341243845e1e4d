// OpenCV's image and video codecs, loaded on first use.
//
// Debian's libopencv_imgcodecs and libopencv_videoio pull in GDAL, GStreamer and FFmpeg: about
// 0.1 s and 70 MB of start-up for every process that links them, even one that only exports a
// checkpoint. yoloxrt therefore keeps them in two small plugins (libyoloxrt_imageio.so,
// libyoloxrt_videoio.so) that are dlopen'ed the first time an image or a video is read or written.
// The plugins and yoloxrt share libopencv_core, so cv::Mat crosses the boundary as is.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace yoloxrt::detail {

constexpr uint32_t kMediaAbiVersion = 2;

struct ImageIoApi {
  uint32_t abi_version;
  // Decodes encoded bytes to 8-bit BGR (EXIF orientation applied, as cv::imread does). Returns
  // false and fills *error on failure; never throws.
  bool (*decode)(const uint8_t* data, size_t size, cv::Mat* out, std::string* error);
  // Encodes a BGR image in the format of `extension` (".jpg", ".png", ...).
  bool (*encode)(const char* extension, const cv::Mat& image, std::vector<uint8_t>* out,
                 std::string* error);
  // Whether an encoder exists for `extension`.
  bool (*has_encoder)(const char* extension);
  // As decode, at 1/reduction scale (1, or 2, 4, 8: cv::IMREAD_REDUCED_COLOR_N; JPEG scales in
  // the DCT domain). If *out already has the decoded size and type (a header over the caller's
  // buffer, say), the pixels are decoded into it in place; otherwise *out is reallocated.
  bool (*decode_reduced)(const uint8_t* data, size_t size, int reduction, cv::Mat* out,
                         std::string* error);
};

struct VideoIoApi {
  uint32_t abi_version;
  // Opens a video for reading; returns an opaque handle or null (with *error).
  void* (*open_reader)(const char* path, double* fps, int* width, int* height, int64_t* frames,
                       std::string* error);
  // Reads the next frame as BGR; false at the end or on error (then *error is non-empty).
  bool (*read)(void* reader, cv::Mat* frame, std::string* error);
  void (*close_reader)(void* reader);
  // Opens a writer (codec chosen from the extension of `path`); null with *error on failure.
  void* (*open_writer)(const char* path, double fps, int width, int height, std::string* error);
  bool (*write)(void* writer, const cv::Mat& frame, std::string* error);
  // Flushes and closes; returns false with *error if the file could not be completed.
  bool (*close_writer)(void* writer, std::string* error);
};

// The loaded APIs. Throw Error(kRuntime) naming the plugin and the loader's message if it cannot
// be found or loaded. Thread-safe; the plugin is loaded once per process.
const ImageIoApi& image_io();
const VideoIoApi& video_io();

}  // namespace yoloxrt::detail
