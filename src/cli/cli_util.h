// Small parsing helpers shared by the CLI commands.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "yoloxrt/detector.h"

namespace yoloxrt::cli {

// "a,b,c" -> three floats. Throws Error(kInvalidArgument) naming `flag`.
std::array<float, 3> parse_triple(const std::string& text, const std::string& flag);

// "N" -> (N, N); "HxW" -> (H, W). Positive integers. Throws Error(kInvalidArgument) naming `flag`.
std::pair<int, int> parse_size(const std::string& text, const std::string& flag);

// "12.3 MB"
std::string human_bytes(double bytes);

// "a, b,,c" -> {"a", "b", "c"}: comma-separated items, trimmed of spaces, empty ones dropped.
std::vector<std::string> split_list(const std::string& s);

// The model flags `detect` and `track` share: --size --resize --conf --iou --per-class --max-det
// --threads --ep --family --labels --cache.
struct DetectorFlags {
  std::string size, resize, family, labels, cache, ep;
  float conf = 0.45f, iou = 0.45f;
  bool per_class = false;
  size_t max_det = 300;
  int threads = 0;
};

// The DetectorOptions those flags ask for. Throws Error(kInvalidArgument) for a bad --size,
// --resize or --family.
DetectorOptions detector_options(const DetectorFlags& f);

// A one-line progress bar on stderr, "[=====     ] 120/226 frames  31.4 frames/s  name", redrawn
// at most ~10 times a second. Prints nothing unless `enabled`; total 0 = unknown (no bar).
class ProgressBar {
 public:
  ProgressBar(size_t total, bool enabled, std::string unit);
  void set_total(size_t total) { total_ = total; }
  // `done` items so far; `name` is what is being worked on.
  void update(size_t done, const std::string& name = {});
  // Draws the final state and ends the line.
  void finish();
  bool enabled() const { return enabled_; }

 private:
  void draw(size_t done, const std::string& name);
  size_t total_;
  bool enabled_;
  std::string unit_;
  std::chrono::steady_clock::time_point start_, last_draw_{};
  size_t done_ = 0;
  std::string name_;
};

}  // namespace yoloxrt::cli
