// libyoloxrt_videoio.so: OpenCV's video capture and writer behind the VideoIoApi table (see
// src/inference/media_plugin.h). Nothing here throws across the boundary.
#include <filesystem>
#include <memory>

#include <opencv2/videoio.hpp>

#include "inference/media_plugin.h"

namespace {

using yoloxrt::detail::VideoIoApi;

void* open_reader(const char* path, double* fps, int* width, int* height, int64_t* frames,
                  std::string* error) {
  try {
    auto cap = std::make_unique<cv::VideoCapture>(path);
    if (!cap->isOpened()) {
      *error = "OpenCV cannot open the video (unknown format or codec)";
      return nullptr;
    }
    *fps = cap->get(cv::CAP_PROP_FPS);
    *width = static_cast<int>(cap->get(cv::CAP_PROP_FRAME_WIDTH));
    *height = static_cast<int>(cap->get(cv::CAP_PROP_FRAME_HEIGHT));
    *frames = static_cast<int64_t>(cap->get(cv::CAP_PROP_FRAME_COUNT));
    return cap.release();
  } catch (const std::exception& e) {
    *error = std::string("OpenCV cannot open the video: ") + e.what();
    return nullptr;
  }
}

bool read(void* reader, cv::Mat* frame, std::string* error) {
  try {
    return static_cast<cv::VideoCapture*>(reader)->read(*frame) && !frame->empty();
  } catch (const std::exception& e) {
    *error = std::string("OpenCV failed to read a frame: ") + e.what();
    return false;
  }
}

void close_reader(void* reader) { delete static_cast<cv::VideoCapture*>(reader); }

void* open_writer(const char* path, double fps, int width, int height, std::string* error) {
  try {
    const std::string ext = std::filesystem::path(path).extension().string();
    const int fourcc = ext == ".avi" ? cv::VideoWriter::fourcc('M', 'J', 'P', 'G')
                                     : cv::VideoWriter::fourcc('m', 'p', '4', 'v');
    auto w = std::make_unique<cv::VideoWriter>(path, fourcc, fps > 0 ? fps : 25.0,
                                               cv::Size(width, height));
    if (!w->isOpened()) {
      *error = "OpenCV cannot open a video writer for '" + ext + "'";
      return nullptr;
    }
    return w.release();
  } catch (const std::exception& e) {
    *error = std::string("OpenCV cannot open the video writer: ") + e.what();
    return nullptr;
  }
}

bool write(void* writer, const cv::Mat& frame, std::string* error) {
  try {
    static_cast<cv::VideoWriter*>(writer)->write(frame);
    return true;
  } catch (const std::exception& e) {
    *error = std::string("OpenCV failed to write a frame: ") + e.what();
    return false;
  }
}

bool close_writer(void* writer, std::string* error) {
  auto* w = static_cast<cv::VideoWriter*>(writer);
  try {
    w->release();
    delete w;
    return true;
  } catch (const std::exception& e) {
    delete w;
    *error = std::string("OpenCV failed to finish the video: ") + e.what();
    return false;
  }
}

const VideoIoApi kApi{yoloxrt::detail::kMediaAbiVersion,
                      open_reader,
                      read,
                      close_reader,
                      open_writer,
                      write,
                      close_writer};

}  // namespace

extern "C" __attribute__((visibility("default"))) const void* yoloxrt_videoio_api() {
  return &kApi;
}
