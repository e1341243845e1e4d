#include "yoloxrt/video.h"

#include <algorithm>
#include <cstring>

#include "core/strings.h"
#include "inference/media_plugin.h"
#include "yoloxrt/error.h"
#include "yoloxrt/file_io.h"

namespace yoloxrt {
namespace {

namespace fs = std::filesystem;

class PluginReader final : public VideoReader {
 public:
  explicit PluginReader(const fs::path& path) : path_(path.string()) {
    std::error_code ec;
    if (!fs::exists(path, ec)) throw Error(ErrorKind::kNotFound, "no such video file", path_);
    std::string why;
    handle_ =
        detail::video_io().open_reader(path_.c_str(), &fps_, &width_, &height_, &frames_, &why);
    if (!handle_) throw Error(ErrorKind::kCorrupt, why, path_);
  }
  ~PluginReader() override { detail::video_io().close_reader(handle_); }

  bool read(ImageBuffer& frame) override {
    cv::Mat mat;
    std::string why;
    if (!detail::video_io().read(handle_, &mat, &why)) {
      if (!why.empty()) throw Error(ErrorKind::kCorrupt, why, path_);
      return false;
    }
    if (mat.type() != CV_8UC3)
      throw Error(ErrorKind::kUnsupported, "frames are not 8-bit 3-channel", path_);
    if (frame.width() != mat.cols || frame.height() != mat.rows)
      frame = ImageBuffer(mat.cols, mat.rows);
    const Image v = frame.view();
    for (int y = 0; y < mat.rows; ++y)
      std::memcpy(v.row(y), mat.ptr(y), static_cast<size_t>(mat.cols) * 3);
    return true;
  }
  double fps() const override { return fps_; }
  int width() const override { return width_; }
  int height() const override { return height_; }
  int64_t frame_count() const override { return frames_; }

 private:
  std::string path_;
  void* handle_ = nullptr;
  double fps_ = 0;
  int width_ = 0, height_ = 0;
  int64_t frames_ = 0;
};

class PluginWriter final : public VideoWriter {
 public:
  PluginWriter(const fs::path& path, double fps, int width, int height)
      : file_(path), path_(path.string()), width_(width), height_(height) {
    std::string why;
    handle_ = detail::video_io().open_writer(file_.temp_path().c_str(), fps, width, height, &why);
    if (!handle_) throw Error(ErrorKind::kUnsupported, why, path_);
  }
  ~PluginWriter() override {
    if (handle_) {
      std::string ignored;
      detail::video_io().close_writer(handle_, &ignored);
    }
  }
  void write(const Image& frame) override {
    if (frame.width != width_ || frame.height != height_)
      throw Error(ErrorKind::kInvalidArgument, "frame size differs from the video's", path_);
    const cv::Mat mat(frame.height, frame.width, CV_8UC3, frame.data, frame.stride);
    std::string why;
    if (!detail::video_io().write(handle_, mat, &why)) throw Error(ErrorKind::kRuntime, why, path_);
  }
  void close() override {
    std::string why;
    void* h = handle_;
    handle_ = nullptr;
    if (!detail::video_io().close_writer(h, &why)) throw Error(ErrorKind::kIo, why, path_);
    file_.commit();
  }

 private:
  AtomicFile file_;  // removes the temporary unless close() committed it
  std::string path_;
  int width_, height_;
  void* handle_ = nullptr;
};

}  // namespace

bool is_video_extension(const fs::path& path) {
  const std::string ext = core::to_lower(path.extension().string());
  static const char* const kExts[] = {".mp4", ".avi", ".mkv",  ".mov", ".webm",
                                      ".m4v", ".mpg", ".mpeg", ".wmv", ".flv"};
  return std::any_of(std::begin(kExts), std::end(kExts), [&](const char* e) { return ext == e; });
}

std::unique_ptr<VideoReader> VideoReader::open(const fs::path& path) {
  return std::make_unique<PluginReader>(path);
}

std::unique_ptr<VideoWriter> VideoWriter::open(const fs::path& path, double fps, int width,
                                               int height) {
  return std::make_unique<PluginWriter>(path, fps, width, height);
}

}  // namespace yoloxrt
