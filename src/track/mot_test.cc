#include "yoloxrt/mot.h"

#include <gtest/gtest.h>

#include <string>

#include "support/test_support.h"
#include "yoloxrt/error.h"
#include "yoloxrt/file_io.h"

namespace yoloxrt {
namespace {

// Expects parse_mot_detections to refuse `text` with kCorrupt naming the file and `line`.
void expect_corrupt(const std::string& text, int line, const std::string& what) {
  try {
    parse_mot_detections(text, "dets.txt");
    ADD_FAILURE() << "accepted: " << text;
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kCorrupt) << e.what();
    EXPECT_EQ(e.file(), "dets.txt");
    const std::string msg = e.what();
    if (line > 0) {
      EXPECT_NE(msg.find("line " + std::to_string(line) + ":"), std::string::npos) << msg;
    }
    EXPECT_NE(msg.find(what), std::string::npos) << msg;
  }
}

TEST(MotDetections, ParsesMotChallengeLines) {
  const auto rows = parse_mot_detections(
      "1,-1,320.972,102.957,10.104,28.527,0.377639,-1,-1,-1\r\n"
      "\n"
      " 1 , -1 , 5, 6, 7, 8, 0.9\n"
      "3,-1,1e1,2,3,4,0.5,-1,-1\n",
      "dets.txt");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].frame, 1);
  EXPECT_EQ(rows[0].id, -1);
  EXPECT_DOUBLE_EQ(rows[0].x, 320.972);
  EXPECT_DOUBLE_EQ(rows[0].h, 28.527);
  EXPECT_DOUBLE_EQ(rows[0].score, 0.377639);
  EXPECT_DOUBLE_EQ(rows[1].w, 7);
  EXPECT_EQ(rows[2].frame, 3);
  EXPECT_DOUBLE_EQ(rows[2].x, 10);
}

TEST(MotDetections, RefusesMalformedLinesNamingFileAndLine) {
  const std::string ok = "1,-1,1,2,3,4,0.5,-1,-1,-1\n";
  expect_corrupt(ok + "2,-1,1,2,3,4\n", 2, "expected at least 7");
  expect_corrupt(ok + "2,-1,1,2,x,4,0.5\n", 2, "w is not a number");
  expect_corrupt(ok + "2,-1,1,2,3,4,0.5,-1,-1,-1,7\n", 2, "more than 10 fields");
  expect_corrupt(ok + "2,-1,1,2,3,4,\n", 2, "score is not a number");
  expect_corrupt(ok + "0,-1,1,2,3,4,0.5\n", 2, "frame must be an integer");
  expect_corrupt(ok + "1.5,-1,1,2,3,4,0.5\n", 2, "frame must be an integer");
  expect_corrupt(ok + "99999999999,-1,1,2,3,4,0.5\n", 2, "frame must be an integer");
  expect_corrupt(ok + "2,0.5,1,2,3,4,0.5\n", 2, "id must be an integer");
  expect_corrupt(ok + "2,-1,1,2,-3,4,0.5\n", 2, "negative width");
  expect_corrupt(ok + "2,-1,1,2,3,4,nan\n", 2, "not finite");
  expect_corrupt(ok + "2,-1,1,2,3,4,inf\n", 2, "not finite");
  expect_corrupt(ok + "\n\n2,-1,1,2,3,4,0.5x\n", 4, "score is not a number");
}

TEST(MotDetections, RefusesFramesOutOfOrderAndEmptyFiles) {
  expect_corrupt("2,-1,1,2,3,4,0.5\n1,-1,1,2,3,4,0.5\n", 2, "comes after frame 2");
  expect_corrupt("", 0, "no detections");
  expect_corrupt("\n \r\n\n", 0, "no detections");
}

TEST(MotDetections, ReadsFilesAndNamesMissingOnes) {
  testing::TempDir dir;
  write_file_atomic(dir / "d.txt", "1,-1,1,2,3,4,0.5\n");
  EXPECT_EQ(read_mot_detections(dir / "d.txt").size(), 1u);
  try {
    read_mot_detections(dir / "missing.txt");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
  }
  write_file_atomic(dir / "bad.txt", "1,-1,1,2,3,4,0.5\n1,-1,a\n");
  try {
    read_mot_detections(dir / "bad.txt");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kCorrupt);
    EXPECT_NE(std::string(e.what()).find("bad.txt"), std::string::npos) << e.what();
  }
}

TEST(MotDetections, ReadsBackWhatFormatMotRowsWrites) {
  const MotRow rows[] = {{5, 1, 169.7411, 102.566, 8.7943, 27.5304, 0.657104},
                         {12, 30, -1.5, 0, 1, 2, 1}};
  const auto back = parse_mot_detections(format_mot_rows(rows), "t.txt");
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[1].id, 30);
  EXPECT_EQ(back[1].frame, 12);
  EXPECT_DOUBLE_EQ(back[0].w, 8.7943);
  EXPECT_DOUBLE_EQ(back[0].score, 0.657104);
}

TEST(MotReplay, VisitsFramesWithoutDetectionsSoLostTracksAge) {
  // One box on frames 1-2, nothing until frame 40, then the same box: with the default buffer
  // (30 frames) the track is gone and a new id starts; with a buffer of 60 the old id returns.
  std::vector<MotRow> dets;
  for (int f : {1, 2, 40, 41}) dets.push_back({f, -1, 10, 10, 20, 40, 0.9});
  const auto short_buffer = track_mot_detections(dets);
  ASSERT_FALSE(short_buffer.empty());
  EXPECT_EQ(short_buffer.front().id, 1);
  EXPECT_NE(short_buffer.back().id, 1);
  TrackerOptions long_buffer;
  long_buffer.track_buffer = 60;
  const auto kept = track_mot_detections(dets, long_buffer);
  EXPECT_EQ(kept.back().id, 1);
  EXPECT_EQ(kept.back().frame, 41);
  std::vector<MotRow> unsorted = {{2, -1, 1, 1, 5, 5, 0.9}, {1, -1, 1, 1, 5, 5, 0.9}};
  EXPECT_THROW(track_mot_detections(unsorted), Error);
}

}  // namespace
}  // namespace yoloxrt
