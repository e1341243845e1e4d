#include "cli/cli_util.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

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

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t end = s.find(',', pos);
    if (end == std::string::npos) end = s.size();
    const size_t first = s.find_first_not_of(' ', pos);
    const size_t last = s.find_last_not_of(' ', end == 0 ? 0 : end - 1);
    if (first < end && last != std::string::npos && last >= first)
      out.push_back(s.substr(first, last - first + 1));
    pos = end + 1;
  }
  return out;
}

DetectorOptions detector_options(const DetectorFlags& f) {
  DetectorOptions o;
  o.threads = f.threads;
  o.providers = split_list(f.ep);
  o.cache_path = f.cache;
  o.conf = f.conf;
  o.iou = f.iou;
  o.per_class = f.per_class;
  o.max_det = f.max_det;
  if (!f.resize.empty()) o.resize = parse_resize_policy(f.resize);
  if (!f.size.empty()) {
    const auto [h, w] = parse_size(f.size, "--size");
    o.height = h;
    o.width = w;
  }
  if (!f.family.empty()) o.family = parse_family(f.family);
  o.labels_file = f.labels;
  return o;
}

ProgressBar::ProgressBar(size_t total, bool enabled, std::string unit)
    : total_(total),
      enabled_(enabled),
      unit_(std::move(unit)),
      start_(std::chrono::steady_clock::now()) {}

void ProgressBar::update(size_t done, const std::string& name) {
  done_ = done;
  name_ = name;
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  draw(done, name);
}

void ProgressBar::finish() {
  if (!enabled_) return;
  draw(done_, name_);
  std::fprintf(stderr, "\n");
}

void ProgressBar::draw(size_t done, const std::string& name) {
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
  std::string shown = name.size() > 40 ? name.substr(0, 37) + "..." : name;
  if (total_ > 0) {
    constexpr size_t kWidth = 30;
    const size_t filled = kWidth * std::min(done, total_) / total_;
    std::string bar(filled, '=');
    bar.resize(kWidth, ' ');
    std::fprintf(stderr, "\r[%s] %zu/%zu %s  %.1f %s/s  %-40s", bar.c_str(), done, total_,
                 unit_.c_str(), rate, unit_.c_str(), shown.c_str());
  } else {
    std::fprintf(stderr, "\r%zu %s  %.1f %s/s  %-40s", done, unit_.c_str(), rate, unit_.c_str(),
                 shown.c_str());
  }
  std::fflush(stderr);
}

}  // namespace yoloxrt::cli
