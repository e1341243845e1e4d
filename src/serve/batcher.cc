#include "serve/batcher.h"

#include <exception>
#include <utility>

namespace yoloxrt::serve {

DetectBatcher::DetectBatcher(const Detector& detector, std::string model, size_t max_batch,
                             std::chrono::microseconds max_delay, size_t max_queue,
                             Metrics& metrics)
    : detector_(detector),
      model_(std::move(model)),
      max_batch_(max_batch < 1 ? 1 : max_batch),
      max_delay_(max_delay),
      max_queue_(max_queue),
      metrics_(metrics) {
  metrics_.set_queue_depth(model_, 0);
  worker_ = std::thread([this] { run(); });
}

DetectBatcher::~DetectBatcher() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

std::future<std::vector<Detection>> DetectBatcher::submit(ImageBuffer image,
                                                          const DetectParams& params) {
  std::future<std::vector<Detection>> result;
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= max_queue_ || stopping_) return result;
    queue_.push_back({std::move(image), params, {}, std::chrono::steady_clock::now()});
    result = queue_.back().promise.get_future();
    metrics_.set_queue_depth(model_, queue_.size());
  }
  cv_.notify_all();
  return result;
}

size_t DetectBatcher::queue_depth() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void DetectBatcher::run() {
  std::vector<Item> batch;
  std::vector<Image> views;
  std::vector<DetectParams> params;
  for (;;) {
    batch.clear();
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      // Wait for company until the first image's deadline (not when stopping: drain fast).
      const auto deadline = queue_.front().queued + max_delay_;
      while (!stopping_ && queue_.size() < max_batch_ &&
             cv_.wait_until(lock, deadline) != std::cv_status::timeout) {
      }
      const size_t n = std::min(queue_.size(), max_batch_);
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      metrics_.set_queue_depth(model_, queue_.size());
    }
    views.clear();
    params.clear();
    for (const Item& it : batch) {
      views.push_back(it.image.view());
      params.push_back(it.params);
    }
    metrics_.record_batch(model_, batch.size());
    try {
      auto results = detector_.detect(std::span<const Image>(views), params);
      for (size_t i = 0; i < batch.size(); ++i) batch[i].promise.set_value(std::move(results[i]));
    } catch (...) {
      const auto error = std::current_exception();
      for (Item& it : batch) it.promise.set_exception(error);
    }
  }
}

}  // namespace yoloxrt::serve
