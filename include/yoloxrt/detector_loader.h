// yoloxrt/detector_loader.h - open a Detector on its own thread while images are read and decoded.
//
// Start-up of a detection job: Detector::open (~0.06 s for nano, more for larger models) and
// OpenCV's codec plugins (~0.05-0.1 s of dlopen) need not hold up reading and decoding the first
// inputs. DetectorLoader opens the model on a thread of its own and hands run_pipeline's future
// overload (yoloxrt/pipeline.h) the result; media_codecs_needed says which plugins the inputs need
// (JPEGs none: load_image and save_image use libjpeg).
#pragma once

#include <filesystem>
#include <future>
#include <memory>
#include <span>
#include <thread>

#include "yoloxrt/detector.h"
#include "yoloxrt/pipeline.h"

namespace yoloxrt {

// Which of OpenCV's codec plugins a job needs (preload_media_codecs(images, video)).
struct MediaCodecNeeds {
  bool images = false;  // some image file is not a JPEG (is_jpeg_extension)
  bool video = false;   // some input is a video
};
MediaCodecNeeds media_codecs_needed(std::span<const PipelineInput> inputs);

// Opens a Detector on a new thread at construction and, meanwhile, loads the codec plugins
// `codecs` names on another (with video codecs, the image codecs too: the video plugin needs
// OpenCV's imgcodecs). Either failing fails the future, the model's error first, so that a
// plugin that cannot load stops a job as a model that cannot load does. Not copyable or movable;
// the destructor waits for the threads.
// future() and get() may be called from any thread, concurrently.
class DetectorLoader {
 public:
  DetectorLoader(std::filesystem::path model, DetectorOptions options, MediaCodecNeeds codecs = {});
  ~DetectorLoader();
  DetectorLoader(const DetectorLoader&) = delete;
  DetectorLoader& operator=(const DetectorLoader&) = delete;

  // The opened detector (never null) once Detector::open and the codecs succeeded, else holding
  // what they threw: for run_pipeline's future overload. The detector lives as long as this.
  std::shared_future<const Detector*> future() const { return future_; }
  // Waits for the thread; returns the detector, or rethrows what Detector::open or
  // preload_media_codecs threw (every call does).
  const Detector& get() const { return *future_.get(); }

 private:
  std::unique_ptr<Detector> detector_;
  std::promise<const Detector*> promise_;
  std::shared_future<const Detector*> future_;
  std::jthread thread_;  // last: started after the members above exist, joined before they go
};

}  // namespace yoloxrt
