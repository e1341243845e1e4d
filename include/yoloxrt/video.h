// yoloxrt/video.h - reading and writing video files frame by frame (OpenCV's videoio, loaded on
// first use).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>

#include "yoloxrt/image.h"

namespace yoloxrt {

// Whether `path` has a video file extension (.mp4, .avi, .mkv, .mov, .webm, .m4v, .mpg, .mpeg,
// .wmv, .flv; case-insensitive).
bool is_video_extension(const std::filesystem::path& path);

class VideoReader {
 public:
  // Opens `path`. Throws Error(kNotFound) if it does not exist, Error(kCorrupt) naming the file if
  // no frame source can be opened. Not thread-safe.
  static std::unique_ptr<VideoReader> open(const std::filesystem::path& path);
  virtual ~VideoReader() = default;
  // Reads the next frame (BGR) into `frame`. Returns false at the end of the stream. Throws
  // Error(kCorrupt) naming the file if decoding fails.
  virtual bool read(ImageBuffer& frame) = 0;
  virtual double fps() const = 0;  // 0 when the container does not say
  virtual int width() const = 0;
  virtual int height() const = 0;
  virtual int64_t frame_count() const = 0;  // an estimate; may be 0 or -1 when unknown
};

class VideoWriter {
 public:
  // Opens a writer for `path` (MJPG for .avi, mp4v otherwise) at `fps` frames per second. The file
  // is written under a temporary name and appears at `path` only when close() succeeds; if the
  // writer is destroyed without close(), nothing is left behind. Throws Error(kIo/kUnsupported)
  // naming the file.
  static std::unique_ptr<VideoWriter> open(const std::filesystem::path& path, double fps, int width,
                                           int height);
  virtual ~VideoWriter() = default;
  // REQUIRES: frame is width x height. Throws Error(kRuntime) naming the file.
  virtual void write(const Image& frame) = 0;
  // Finishes the file and renames it into place. Throws Error(kIo) naming the file.
  virtual void close() = 0;
};

}  // namespace yoloxrt
