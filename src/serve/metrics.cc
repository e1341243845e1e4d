#include "serve/metrics.h"

#include <cstdio>

namespace yoloxrt::serve {
namespace {

// Label values escaped as the exposition format asks (backslash, quote, newline).
std::string label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

}  // namespace

void Metrics::record_request(const std::string& endpoint, int status, double seconds) {
  std::lock_guard lock(mu_);
  ++requests_[{endpoint, status}];
  Histogram& h = latency_[endpoint];
  if (h.counts.empty()) h.counts.assign(kLatencyBuckets.size() + 1, 0);
  size_t b = 0;
  while (b < kLatencyBuckets.size() && seconds > kLatencyBuckets[b]) ++b;
  ++h.counts[b];
  h.sum += seconds;
  ++h.count;
}

void Metrics::record_batch(const std::string& model, size_t size) {
  std::lock_guard lock(mu_);
  ++batches_[model][size];
}

void Metrics::set_queue_depth(const std::string& model, size_t depth) {
  std::lock_guard lock(mu_);
  queue_depth_[model] = depth;
}

std::string Metrics::render() const {
  std::lock_guard lock(mu_);
  std::string s;
  s += "# HELP yoloxrt_requests_total HTTP requests answered, by endpoint and status.\n";
  s += "# TYPE yoloxrt_requests_total counter\n";
  for (const auto& [key, n] : requests_)
    s += "yoloxrt_requests_total{endpoint=\"" + label(key.first) + "\",status=\"" +
         std::to_string(key.second) + "\"} " + std::to_string(n) + "\n";
  s += "# HELP yoloxrt_request_duration_seconds Time from request to response, by endpoint.\n";
  s += "# TYPE yoloxrt_request_duration_seconds histogram\n";
  for (const auto& [endpoint, h] : latency_) {
    const std::string l = "endpoint=\"" + label(endpoint) + "\"";
    uint64_t cumulative = 0;
    for (size_t b = 0; b < kLatencyBuckets.size(); ++b) {
      cumulative += h.counts[b];
      s += "yoloxrt_request_duration_seconds_bucket{" + l + ",le=\"" + number(kLatencyBuckets[b]) +
           "\"} " + std::to_string(cumulative) + "\n";
    }
    s += "yoloxrt_request_duration_seconds_bucket{" + l + ",le=\"+Inf\"} " +
         std::to_string(h.count) + "\n";
    s += "yoloxrt_request_duration_seconds_sum{" + l + "} " + number(h.sum) + "\n";
    s += "yoloxrt_request_duration_seconds_count{" + l + "} " + std::to_string(h.count) + "\n";
  }
  s += "# HELP yoloxrt_batch_size Images per ONNX Runtime Run of the dynamic batcher, by model.\n";
  s += "# TYPE yoloxrt_batch_size histogram\n";
  for (const auto& [model, sizes] : batches_) {
    const std::string l = "model=\"" + label(model) + "\"";
    uint64_t cumulative = 0, images = 0;
    for (const auto& [size, n] : sizes) {
      cumulative += n;
      images += size * n;
    }
    for (size_t le = 1; le <= 256; le *= 2) {
      uint64_t at_most = 0;
      for (const auto& [size, n] : sizes)
        if (size <= le) at_most += n;
      s += "yoloxrt_batch_size_bucket{" + l + ",le=\"" + std::to_string(le) + "\"} " +
           std::to_string(at_most) + "\n";
    }
    s += "yoloxrt_batch_size_bucket{" + l + ",le=\"+Inf\"} " + std::to_string(cumulative) + "\n";
    s += "yoloxrt_batch_size_sum{" + l + "} " + std::to_string(images) + "\n";
    s += "yoloxrt_batch_size_count{" + l + "} " + std::to_string(cumulative) + "\n";
  }
  s += "# HELP yoloxrt_queue_depth Images waiting for the dynamic batcher, by model.\n";
  s += "# TYPE yoloxrt_queue_depth gauge\n";
  for (const auto& [model, depth] : queue_depth_)
    s += "yoloxrt_queue_depth{model=\"" + label(model) + "\"} " + std::to_string(depth) + "\n";
  s += "# HELP yoloxrt_in_flight Requests being handled.\n";
  s += "# TYPE yoloxrt_in_flight gauge\n";
  s += "yoloxrt_in_flight " + std::to_string(in_flight.load()) + "\n";
  return s;
}

}  // namespace yoloxrt::serve
