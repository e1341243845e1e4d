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
    for (double d : {m.x - e.x, m.y - e.y, m.w - e.w, m.h - e.h})
      worst = std::max(worst, std::abs(d));
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

TrackerInput box(double x, double y, double w, double h, double score, int class_id = 0) {
  return {x, y, x + w, y + h, score, class_id};
}

TEST(Tracker, ConfirmsNewTracksOnTheirSecondFrameExceptOnTheFirst) {
  Tracker t;
  const std::vector<TrackerInput> f1 = {box(10, 10, 20, 40, 0.9)};
  const auto out1 = t.update(f1);
  ASSERT_EQ(out1.size(), 1u);  // frame 1: activated at once
  EXPECT_EQ(out1[0].id, 1);
  EXPECT_EQ(out1[0].age, 0);
  EXPECT_NEAR(out1[0].x, 10, 1e-9);
  EXPECT_NEAR(out1[0].h, 40, 1e-9);
  // A second object appears on frame 2: unconfirmed (not returned) until frame 3.
  const std::vector<TrackerInput> f2 = {box(11, 10, 20, 40, 0.9), box(200, 50, 30, 60, 0.8, 3)};
  const auto out2 = t.update(f2);
  ASSERT_EQ(out2.size(), 1u);
  EXPECT_EQ(out2[0].id, 1);
  EXPECT_EQ(out2[0].age, 1);
  const std::vector<TrackerInput> f3 = {box(12, 10, 20, 40, 0.9), box(201, 50, 30, 60, 0.7, 3)};
  const auto out3 = t.update(f3);
  ASSERT_EQ(out3.size(), 2u);
  EXPECT_EQ(out3[1].id, 2);
  EXPECT_EQ(out3[1].class_id, 3);
  EXPECT_DOUBLE_EQ(out3[1].score, 0.7);
  EXPECT_EQ(out3[1].start_frame, 2);
  EXPECT_EQ(t.frame(), 3);
}

TEST(Tracker, NewTracksNeedTrackThreshPlusPointOne) {
  TrackerOptions o;
  o.track_thresh = 0.5;
  Tracker t(o);
  const std::vector<TrackerInput> weak = {box(10, 10, 20, 40, 0.55)};  // high, but < 0.6
  EXPECT_TRUE(t.update(weak).empty());
  EXPECT_TRUE(t.update(weak).empty());
  const std::vector<TrackerInput> strong = {box(10, 10, 20, 40, 0.65)};
  EXPECT_EQ(t.update(strong).size(), 0u);  // started, unconfirmed
  EXPECT_EQ(t.update(strong).size(), 1u);
}

TEST(Tracker, LowScoreDetectionsKeepATrackAlive) {
  Tracker t;
  std::vector<TrackerInput> f = {box(10, 10, 20, 40, 0.9)};
  t.update(f);
  // 0.3 is a low detection (0.1 < s < 0.5): second association keeps id 1 tracked.
  f = {box(11, 10, 20, 40, 0.3)};
  const auto out = t.update(f);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].id, 1);
  EXPECT_DOUBLE_EQ(out[0].score, 0.3);
  // 0.05 is below the low band: the track is lost (not returned).
  f = {box(12, 10, 20, 40, 0.05)};
  EXPECT_TRUE(t.update(f).empty());
}

TEST(Tracker, IdsCountFromOnePerInstanceAndResetRestarts) {
  const std::vector<TrackerInput> f = {box(10, 10, 20, 40, 0.9), box(100, 10, 20, 40, 0.9)};
  Tracker a, b;
  a.update(f);
  const auto out_b = b.update(f);
  ASSERT_EQ(out_b.size(), 2u);
  EXPECT_EQ(out_b[0].id, 1);
  EXPECT_EQ(out_b[1].id, 2);
  a.reset();
  EXPECT_EQ(a.frame(), 0);
  EXPECT_EQ(a.update(f)[0].id, 1);
}

TEST(Tracker, DetectionOverloadMatchesTrackerInput) {
  Tracker a, b;
  for (int frame = 0; frame < 5; ++frame) {
    const float dx = 2.f * static_cast<float>(frame);
    const std::vector<Detection> dets = {{{10 + dx, 10, 30 + dx, 50}, 0, 0.9f},
                                         {{100, 20 - dx, 130, 80 - dx}, 2, 0.75f}};
    std::vector<TrackerInput> in;
    for (const Detection& d : dets)
      in.push_back({d.box.x1, d.box.y1, d.box.x2, d.box.y2, d.score, d.class_id});
    const auto ra = a.update(dets);
    const auto rb = b.update(in);
    ASSERT_EQ(ra.size(), rb.size());
    for (size_t k = 0; k < ra.size(); ++k) {
      EXPECT_EQ(ra[k].id, rb[k].id);
      EXPECT_EQ(ra[k].x, rb[k].x);
      const Box bx = ra[k].box();
      EXPECT_FLOAT_EQ(bx.x2, static_cast<float>(ra[k].x + ra[k].w));
    }
  }
}

TEST(Tracker, RefusesBadOptionsAndNonFiniteDetections) {
  TrackerOptions o;
  o.frame_rate = 0;
  EXPECT_THROW(Tracker{o}, Error);
  o = {};
  o.track_buffer = -1;
  EXPECT_THROW(Tracker{o}, Error);
  o = {};
  o.match_thresh = std::nan("");
  EXPECT_THROW(Tracker{o}, Error);
  o = {};
  o.frame_rate = 15;
  EXPECT_EQ(Tracker(o).max_time_lost(), 15);
  Tracker t;
  const std::vector<TrackerInput> bad = {box(1, 2, 3, std::nan(""), 0.9)};
  EXPECT_THROW(t.update(bad), Error);
  // Degenerate boxes are ignored, not tracked.
  const std::vector<TrackerInput> flat = {box(1, 2, 3, 0, 0.9)};
  EXPECT_TRUE(t.update(flat).empty());
  EXPECT_TRUE(t.update(flat).empty());
}

}  // namespace
}  // namespace yoloxrt
