#include "yoloxrt/mot.h"

#include <charconv>
#include <cmath>
#include <string>
#include <system_error>

#include "yoloxrt/error.h"
#include "yoloxrt/file_io.h"

namespace yoloxrt {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// Frame numbers beyond this are refused: a replay visits every frame up to the last one.
constexpr int kMaxFrame = 10'000'000;

[[noreturn]] void corrupt(const std::string& name, size_t line, const std::string& what) {
  throw Error(ErrorKind::kCorrupt, "line " + std::to_string(line) + ": " + what, name);
}

}  // namespace

std::vector<MotRow> parse_mot_detections(std::string_view text, const std::string& name) {
  static const char* const kFields[] = {"frame", "id", "x", "y", "w", "h", "score"};
  std::vector<MotRow> rows;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = trim(text.substr(pos, end - pos));
    pos = end + 1;
    ++line_no;
    if (line.empty()) continue;

    double v[10];
    size_t n = 0;
    size_t fpos = 0;
    while (true) {
      size_t comma = line.find(',', fpos);
      const std::string_view field =
          trim(line.substr(fpos, comma == std::string_view::npos ? comma : comma - fpos));
      if (n == 10)
        corrupt(name, line_no, "more than 10 fields (expected frame,id,x,y,w,h,score,...)");
      double value = 0;
      const auto [ptr, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
      if (field.empty() || ec != std::errc() || ptr != field.data() + field.size()) {
        const std::string what = n < 7 ? std::string(kFields[n]) : "field " + std::to_string(n + 1);
        corrupt(name, line_no,
                what + " is not a number: '" + std::string(field.substr(0, 40)) + "'");
      }
      if (!std::isfinite(value))
        corrupt(name, line_no, "field " + std::to_string(n + 1) + " is not finite");
      v[n++] = value;
      if (comma == std::string_view::npos) break;
      fpos = comma + 1;
    }
    if (n < 7)
      corrupt(name, line_no,
              std::to_string(n) + " fields, expected at least 7 (frame,id,x,y,w,h,score)");
    if (v[0] < 1 || v[0] > kMaxFrame || v[0] != std::floor(v[0]))
      corrupt(name, line_no,
              "frame must be an integer in [1, " + std::to_string(kMaxFrame) + "], got '" +
                  std::string(trim(line.substr(0, line.find(',')))) + "'");
    if (v[1] < -1e9 || v[1] > 1e9 || v[1] != std::floor(v[1]))
      corrupt(name, line_no, "id must be an integer");
    if (v[4] < 0 || v[5] < 0) corrupt(name, line_no, "negative width or height");
    MotRow r;
    r.frame = static_cast<int>(v[0]);
    r.id = static_cast<int>(v[1]);
    r.x = v[2];
    r.y = v[3];
    r.w = v[4];
    r.h = v[5];
    r.score = v[6];
    if (!rows.empty() && r.frame < rows.back().frame)
      corrupt(name, line_no,
              "frame " + std::to_string(r.frame) + " comes after frame " +
                  std::to_string(rows.back().frame) + " (frames must be in increasing order)");
    rows.push_back(r);
  }
  if (rows.empty()) throw Error(ErrorKind::kCorrupt, "no detections (the file is empty)", name);
  return rows;
}

std::vector<MotRow> read_mot_detections(const std::filesystem::path& path) {
  const std::vector<uint8_t> bytes = read_file_bytes(path);
  return parse_mot_detections(
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), path.string());
}

MotRow mot_row(int frame, const Track& t) { return {frame, t.id, t.x, t.y, t.w, t.h, t.score}; }

std::vector<MotRow> track_mot_detections(std::span<const MotRow> detections,
                                         const TrackerOptions& options) {
  Tracker tracker(options);
  std::vector<MotRow> out;
  std::vector<TrackerInput> frame_dets;
  for (size_t k = 1; k < detections.size(); ++k)
    if (detections[k].frame < detections[k - 1].frame)
      throw Error(ErrorKind::kInvalidArgument,
                  "track_mot_detections: rows are not sorted by frame (frame " +
                      std::to_string(detections[k].frame) + " after frame " +
                      std::to_string(detections[k - 1].frame) + ")");
  size_t k = 0;
  const int last = detections.empty() ? 0 : detections.back().frame;
  for (int frame = 1; frame <= last; ++frame) {
    frame_dets.clear();
    for (; k < detections.size() && detections[k].frame == frame; ++k) {
      const MotRow& d = detections[k];
      // The reference script builds x1y1x2y2 boxes from the tlwh rows.
      frame_dets.push_back({d.x, d.y, d.x + d.w, d.y + d.h, d.score, 0});
    }
    for (const Track& t : tracker.update(std::span<const TrackerInput>(frame_dets)))
      out.push_back(mot_row(frame, t));
  }
  return out;
}

}  // namespace yoloxrt
