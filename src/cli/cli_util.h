// Small parsing helpers shared by the CLI commands.
#pragma once

#include <array>
#include <string>
#include <utility>
#include <vector>

namespace yoloxrt::cli {

// "a,b,c" -> three floats. Throws Error(kInvalidArgument) naming `flag`.
std::array<float, 3> parse_triple(const std::string& text, const std::string& flag);

// "N" -> (N, N); "HxW" -> (H, W). Positive integers. Throws Error(kInvalidArgument) naming `flag`.
std::pair<int, int> parse_size(const std::string& text, const std::string& flag);

// "12.3 MB"
std::string human_bytes(double bytes);

// "a,b,,c" -> {"a", "b", "c"} (empty items dropped).
std::vector<std::string> split_list(const std::string& s);

}  // namespace yoloxrt::cli
