#include "cli/cli_util.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "yoloxrt/error.h"

namespace yoloxrt::cli {

std::array<float, 3> parse_triple(const std::string& text, const std::string& flag) {
  std::array<float, 3> v{};
  const char* p = text.c_str();
  for (int i = 0; i < 3; ++i) {
    char* end = nullptr;
    v[i] = std::strtof(p, &end);
    const bool last = i == 2;
    if (end == p || !std::isfinite(v[i]) || (last ? *end != '\0' : *end != ','))
      throw Error(ErrorKind::kInvalidArgument,
                  flag + " expects three comma-separated numbers r,g,b, got '" + text + "'");
    p = end + 1;
  }
  return v;
}

std::pair<int, int> parse_size(const std::string& text, const std::string& flag) {
  auto bad = [&] {
    return Error(ErrorKind::kInvalidArgument,
                 flag + " expects N or HxW with positive integers, got '" + text + "'");
  };
  char* end = nullptr;
  const long h = std::strtol(text.c_str(), &end, 10);
  long w = h;
  if (end == text.c_str()) throw bad();
  if (*end == 'x' || *end == 'X') {
    const char* q = end + 1;
    w = std::strtol(q, &end, 10);
    if (end == q) throw bad();
  }
  if (*end != '\0' || h <= 0 || w <= 0 || h > 65536 || w > 65536) throw bad();
  return {static_cast<int>(h), static_cast<int>(w)};
}

std::string human_bytes(double bytes) {
  char buf[32];
  if (bytes >= 1e6)
    std::snprintf(buf, sizeof buf, "%.1f MB", bytes / 1e6);
  else
    std::snprintf(buf, sizeof buf, "%.1f kB", bytes / 1e3);
  return buf;
}

void ProgressBar::update(size_t done, const std::filesystem::path& current,
                         std::optional<uint64_t> count) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (count) {
    if (done < total_ && now - last_ < std::chrono::milliseconds(50)) return;
    last_ = now;
  }
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(kWidth * done / std::max<size_t>(total_, 1));
  std::string bar(static_cast<size_t>(filled), '=');
  bar.resize(kWidth, ' ');
  std::string name = current.filename().string();
  if (name.size() > 40) name = name.substr(0, 37) + "...";
  std::string rate;
  if (!rate_unit_.empty()) {
    const double secs = std::chrono::duration<double>(now - start_).count();
    const double n = static_cast<double>(count ? *count : done);
    char buf[64];
    std::snprintf(buf, sizeof buf, " %.1f %s/s", secs > 0 ? n / secs : 0.0, rate_unit_.c_str());
    rate = buf;
  }
  std::fprintf(stderr, "\r[%s] %zu/%zu%s %-40s", bar.c_str(), done, total_, rate.c_str(),
               name.c_str());
  std::fflush(stderr);
}

void ProgressBar::finish() {
  if (enabled_) std::fprintf(stderr, "\n");
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t end = s.find(',', pos);
    if (end == std::string::npos) end = s.size();
    if (end > pos) out.push_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

std::filesystem::path canonical_or_absolute(const std::filesystem::path& p) {
  std::error_code ec;
  std::filesystem::path c = std::filesystem::weakly_canonical(p, ec);
  return ec ? std::filesystem::absolute(p) : c;
}

void apply_model_flags(const ModelFlags& f, DetectorOptions& o) {
  o.threads = f.threads;
  o.providers = split_list(f.ep);
  if (!f.resize.empty()) o.resize = parse_resize_policy(f.resize);
  if (!f.size.empty()) {
    const auto [h, w] = parse_size(f.size, "--size");
    o.height = h;
    o.width = w;
  }
  if (!f.family.empty()) o.family = parse_family(f.family);
  o.labels_file = f.labels;
}

uint64_t limit_image_pixels(double max_megapixels) {
  if (!(max_megapixels > 0 && max_megapixels <= 1e6))
    throw Error(ErrorKind::kInvalidArgument,
                "--max-megapixels must be in (0, 1000000], got " + std::to_string(max_megapixels));
  const auto pixels = static_cast<uint64_t>(max_megapixels * 1e6);
  ::setenv("OPENCV_IO_MAX_IMAGE_PIXELS", std::to_string(pixels).c_str(), /*overwrite=*/0);
  return pixels;
}

}  // namespace yoloxrt::cli
