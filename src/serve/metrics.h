// serve/metrics.h - private: the server's counters, rendered in Prometheus' text format.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace yoloxrt::serve {

// Thread-safe: every method may be called from any thread.
class Metrics {
 public:
  // One answered request: `endpoint` is the route pattern ("/v1/detect", "other"), `seconds`
  // from the request line to the response.
  void record_request(const std::string& endpoint, int status, double seconds);
  // One Run of `size` images for `model`.
  void record_batch(const std::string& model, size_t size);
  // Gauges read when rendering: queue depth per model.
  void set_queue_depth(const std::string& model, size_t depth);

  std::atomic<int> in_flight{0};

  // Prometheus text exposition format (version 0.0.4).
  std::string render() const;

  // Latency bucket upper bounds, seconds.
  static constexpr std::array<double, 12> kLatencyBuckets = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10};

 private:
  struct Histogram {
    std::vector<uint64_t> counts;  // per bucket (not cumulative), + the +Inf bucket
    double sum = 0;
    uint64_t count = 0;
  };
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::map<std::string, Histogram> latency_;                   // by endpoint
  std::map<std::string, std::map<size_t, uint64_t>> batches_;  // model -> size -> runs
  std::map<std::string, size_t> queue_depth_;
};

}  // namespace yoloxrt::serve
