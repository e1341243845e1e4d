// Small parsing helpers shared by the CLI commands.
#pragma once

#include <array>
#include <cstddef>
#include <filesystem>
#include <string>
#include <utility>

namespace yoloxrt::cli {

// "a,b,c" -> three floats. Throws Error(kInvalidArgument) naming `flag`.
std::array<float, 3> parse_triple(const std::string& text, const std::string& flag);

// "N" -> (N, N); "HxW" -> (H, W). Positive integers. Throws Error(kInvalidArgument) naming `flag`.
std::pair<int, int> parse_size(const std::string& text, const std::string& flag);

// "12.3 MB"
std::string human_bytes(double bytes);

// A one-line progress bar on stderr ("[=====     ] 3/10 name"), redrawn in place; silent when not
// enabled (callers pass !quiet && isatty(stderr)).
class ProgressBar {
 public:
  ProgressBar(size_t total, bool enabled) : total_(total), enabled_(enabled) {}
  void update(size_t done, const std::filesystem::path& current);
  void finish();  // ends the line
  bool enabled() const { return enabled_; }

 private:
  size_t total_;
  bool enabled_;
};

}  // namespace yoloxrt::cli
