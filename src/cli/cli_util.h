// Small parsing helpers shared by the CLI commands.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
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

// A one-line progress bar on stderr ("[=====     ] 3/10 name"), redrawn in place; silent when not
// enabled (callers pass !quiet && isatty(stderr)).
// With show_rate("frames") it also prints the rate since construction ("31.4 frames/s") of `done`,
// or of `count` when given (frames of a video while `done` counts inputs); with a `count` it
// redraws at most every 50 ms until done == total.
class ProgressBar {
 public:
  ProgressBar(size_t total, bool enabled) : total_(total), enabled_(enabled) {}
  void update(size_t done, const std::filesystem::path& current,
              std::optional<uint64_t> count = std::nullopt);
  void finish();  // ends the line
  bool enabled() const { return enabled_; }
  void set_total(size_t total) { total_ = total; }
  void show_rate(std::string unit) { rate_unit_ = std::move(unit); }

 private:
  size_t total_;
  bool enabled_;
  std::string rate_unit_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now(), last_;
};

// "a,b,,c" -> {"a", "b", "c"} (empty items dropped).
std::vector<std::string> split_list(const std::string& s);

// The canonical path when it can be resolved (missing leaf allowed), else the absolute one: for
// comparing outputs with inputs.
std::filesystem::path canonical_or_absolute(const std::filesystem::path& p);

// The model-side flags that commands running a Detector share (detect, eval).
struct ModelFlags {
  std::string size, resize, family, labels, ep;
  int threads = 0;
};
// Sets the matching DetectorOptions fields (threads, providers, resize, size, family, labels).
// Throws Error(kInvalidArgument) naming the flag for bad values.
void apply_model_flags(const ModelFlags& flags, DetectorOptions& options);

// Checks --max-megapixels (in (0, 10^6]) and sets OpenCV's own decoder limit to it, unless the
// user set OPENCV_IO_MAX_IMAGE_PIXELS: decode_image enforces the limit on images itself, so this
// covers video frames; OpenCV reads it once, at the first decode (call before any).
// Returns the limit in pixels. Throws Error(kInvalidArgument).
uint64_t limit_image_pixels(double max_megapixels);

}  // namespace yoloxrt::cli
