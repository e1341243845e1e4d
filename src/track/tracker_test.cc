// Tracker against ByteTrack's own tracks (fixture bytetrack-mot17-01 and references computed by
// the upstream tracker for more parameter sets, tests/data/bytetrack/), plus behaviour checks on
// synthetic detections.
#include "yoloxrt/tracker.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "support/test_support.h"
#include "yoloxrt/error.h"
#include "yoloxrt/mot.h"

namespace yoloxrt {
namespace {
namespace fs = std::filesystem;

// Reads a MOT track file (frame,id,x,y,w,h,score,...) keyed by (frame, id).
std::map<std::pair<int, int>, MotRow> read_tracks(const fs::path& path) {
  std::map<std::pair<int, int>, MotRow> out;
  for (const MotRow& r : read_mot_detections(path)) out[{r.frame, r.id}] = r;
  return out;
}

// Same (frame, id) rows, boxes within 2e-3 px, scores within 1e-6 (the reference prints 4 and 6
// decimals).
void expect_same_tracks(const std::vector<MotRow>& got, const fs::path& expected_path) {
  const auto expected = read_tracks(expected_path);
  std::map<std::pair<int, int>, MotRow> mine;
  for (const MotRow& r : got) {
    const bool fresh = mine.emplace(std::make_pair(r.frame, r.id), r).second;
    EXPECT_TRUE(fresh) << "duplicate row frame " << r.frame << " id " << r.id;
  }
  EXPECT_EQ(mine.size(), expected.size()) << expected_path;
  double worst = 0;
  int missing = 0, extra = 0;
  for (const auto& [key, e] : expected) {
    auto it = mine.find(key);
    if (it == mine.end()) {
      if (++missing <= 5) ADD_FAILURE() << "missing frame " << key.first << " id " << key.second;
      continue;
    }
    const MotRow& m = it->second;
    for (double d : {m.x - e.x, m.y - e.y, m.w - e.w, m.h - e.h}) worst = std::max(worst, std::abs(d));
    EXPECT_NEAR(m.score, e.score, 1e-6) << "frame " << key.first << " id " << key.second;
  }
  for (const auto& [key, m] : mine)
    if (!expected.count(key) && ++extra <= 5)
      ADD_FAILURE() << "extra frame " << key.first << " id " << key.second;
  EXPECT_LE(worst, 2e-3) << expected_path;
  std::printf("%s: %zu rows, worst box difference %.2e px\n", expected_path.filename().c_str(),
              expected.size(), worst);
}

struct ReferenceCase {
  const char* file;
  TrackerOptions options;
};

TEST(TrackerFixture, ReplaysMot17DetectionsExactlyAsByteTrack) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  const fs::path dir = fx / "bytetrack-mot17-01";
  const auto dets = read_mot_detections(dir / "detections.txt");
  TrackerOptions thresh025;
  thresh025.track_thresh = 0.25;
  for (const auto& c : {ReferenceCase{"tracks_default.txt", {}},
                        ReferenceCase{"tracks_thresh0.25.txt", thresh025}}) {
    SCOPED_TRACE(c.file);
    expect_same_tracks(track_mot_detections(dets, c.options), dir / "expected" / c.file);
  }
}

TrackerOptions make_options(double track_thresh, double match_thresh, int track_buffer,
                            double frame_rate, bool mot20) {
  TrackerOptions o;
  o.track_thresh = track_thresh;
  o.match_thresh = match_thresh;
  o.track_buffer = track_buffer;
  o.frame_rate = frame_rate;
  o.mot20 = mot20;
  return o;
}

// tests/data/bytetrack/README.md: the same upstream tracker under six more parameter sets.
TEST(TrackerFixture, StaysExactForOtherParameters) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  const auto dets = read_mot_detections(fx / "bytetrack-mot17-01" / "detections.txt");
  const fs::path data = fs::path(YOLOXRT_SOURCE_DIR) / "tests" / "data" / "bytetrack";
  const ReferenceCase cases[] = {
      {"tracks_buffer10.txt", make_options(0.5, 0.8, 10, 30, false)},
      {"tracks_fps15.txt", make_options(0.5, 0.8, 30, 15, false)},
      {"tracks_match0.6.txt", make_options(0.5, 0.6, 30, 30, false)},
      {"tracks_match0.9.txt", make_options(0.5, 0.9, 30, 30, false)},
      {"tracks_mot20_thresh0.4.txt", make_options(0.4, 0.8, 30, 30, true)},
      {"tracks_thresh0.25_match0.7_buffer5.txt", make_options(0.25, 0.7, 5, 30, false)},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file);
    expect_same_tracks(track_mot_detections(dets, c.options), data / c.file);
  }
}

}  // namespace
}  // namespace yoloxrt
