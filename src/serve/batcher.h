// serve/batcher.h - private: dynamic batching of detect requests for one model.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "serve/metrics.h"
#include "yoloxrt/detector.h"
#include "yoloxrt/image.h"

namespace yoloxrt::serve {

// Collects images from many request threads and runs them through one Detector in batches: a
// batch starts when the first image arrives and is run when it holds `max_batch` images or
// `max_delay` has passed since that first image, whichever comes first. One worker thread runs the
// batches, so the Detector sees one Run at a time (ONNX Runtime's intra-op threads use the cores).
class DetectBatcher {
 public:
  // `detector` and `metrics` must outlive the batcher. REQUIRES: max_batch >= 1.
  DetectBatcher(const Detector& detector, std::string model, size_t max_batch,
                std::chrono::microseconds max_delay, size_t max_queue, Metrics& metrics);
  // Runs what is queued, then stops the worker.
  ~DetectBatcher();
  DetectBatcher(const DetectBatcher&) = delete;
  DetectBatcher& operator=(const DetectBatcher&) = delete;

  // Queues one image; the future yields its detections (or the Error the Detector threw).
  // Returns an invalid future (valid() == false) when `max_queue` images are already waiting.
  // Thread-safe.
  std::future<std::vector<Detection>> submit(ImageBuffer image, const DetectParams& params);

  size_t queue_depth() const;

 private:
  struct Item {
    ImageBuffer image;
    DetectParams params;
    std::promise<std::vector<Detection>> promise;
    std::chrono::steady_clock::time_point queued;
  };
  void run();

  const Detector& detector_;
  const std::string model_;
  const size_t max_batch_;
  const std::chrono::microseconds max_delay_;
  const size_t max_queue_;
  Metrics& metrics_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace yoloxrt::serve
