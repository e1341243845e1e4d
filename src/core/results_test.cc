#include "yoloxrt/results.h"

#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "yoloxrt/error.h"

namespace yoloxrt {
namespace {
namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

ImageResult sample() {
  ImageResult r;
  r.image = "photos/../shared/./dog.jpg";
  r.width = 768;
  r.height = 576;
  // Widened to double these print as 407.9999084472656 and 0.10000000149011612.
  r.detections.push_back({{133.5f, 407.9999084472656f, 310.f, 541.25f}, 16, 0.1f});
  r.detections.push_back({{1.f / 3.f, 2.f, 3.f, 4.f}, 90, 0.87654321f});
  return r;
}

TEST(Results, DisplayNameIsLexicallyNormal) {
  EXPECT_EQ(display_image_name("dir/../shared/x.jpg"), "shared/x.jpg");
  EXPECT_EQ(display_image_name("./x.jpg"), "x.jpg");
  EXPECT_EQ(display_image_name("../shared/x.jpg"), "../shared/x.jpg");
  EXPECT_EQ(display_image_name("a//b/./c.png"), "a/b/c.png");
  EXPECT_EQ(display_image_name("/abs/p/../q.jpg"), "/abs/q.jpg");
  EXPECT_EQ(display_image_name("dog.jpg"), "dog.jpg");
  EXPECT_EQ(display_image_name("upload"), "upload");
}

TEST(Results, DetectionJsonKeyOrderAndShortestFloats) {
  const std::vector<std::string> names(80, "x");
  std::vector<std::string> coco = names;
  coco[16] = "dog";
  const std::string s = detection_json(sample(), coco);
  EXPECT_EQ(
      s,
      R"({"image":"shared/dog.jpg","width":768,"height":576,"detections":[)"
      R"({"label":"dog","class_id":16,"score":0.1,"box":[133.5,407.9999,310.0,541.25]},)"
      R"({"label":"class 90","class_id":90,"score":0.8765432,"box":[0.33333334,2.0,3.0,4.0]}]})");
  // Every printed number reads back as the same float32.
  const auto j = nlohmann::json::parse(s);
  EXPECT_EQ(j["detections"][0]["box"][1].get<float>(), 407.9999084472656f);
  EXPECT_EQ(j["detections"][1]["box"][0].get<float>(), 1.f / 3.f);
  EXPECT_EQ(j["detections"][1]["score"].get<float>(), 0.87654321f);
}

TEST(Results, FramesAndEmptyDetections) {
  ImageResult r;
  r.image = "clip.mp4";
  r.frame = 12;
  r.width = 2;
  r.height = 3;
  EXPECT_EQ(detection_json(r, {}),
            R"({"image":"clip.mp4","frame":12,"width":2,"height":3,"detections":[]})");
}

TEST(Results, NonFiniteIsNullAndBadUtf8IsReplaced) {
  ImageResult r;
  r.image = "caf\xe9.jpg";  // Latin-1 file name
  r.width = r.height = 1;
  r.detections.push_back({{0, 0, 1, 1}, 0, std::numeric_limits<float>::quiet_NaN()});
  const std::string s = detection_json(r, {"a"});
  EXPECT_NE(s.find(R"("score":null)"), std::string::npos) << s;
  EXPECT_TRUE(nlohmann::json::accept(s));
}

TEST(Results, CocoCategoryIds) {
  const auto ids = coco80_category_ids();
  ASSERT_EQ(ids.size(), 80u);
  EXPECT_EQ(ids[0], 1);
  EXPECT_EQ(ids[11], 13);
  EXPECT_EQ(ids[79], 90);
  for (size_t i = 1; i < ids.size(); ++i) EXPECT_LT(ids[i - 1], ids[i]);
  CocoCategoryMap identity;
  EXPECT_EQ(identity.category_id(11), 11);
  CocoCategoryMap coco{{ids.begin(), ids.end()}};
  EXPECT_EQ(coco.category_id(11), 13);
  EXPECT_EQ(coco.category_id(80), 80);  // outside the list: the class id itself
}

TEST(Results, CocoImageIds) {
  EXPECT_EQ(coco_image_id("val2017/000000000139.jpg", 5), 139);
  EXPECT_EQ(coco_image_id("dog.jpg", 5), 5);
  EXPECT_EQ(coco_image_id("12a.jpg", 7), 7);
  EXPECT_EQ(coco_image_id("-3.jpg", 7), 7);
  EXPECT_EQ(coco_image_id("123456789012345678.jpg", 2), 2);  // too long for an id
  EXPECT_EQ(coco_image_id("12345678901234567.jpg", 2), 12345678901234567);
}

TEST(Results, CocoResultsJson) {
  const auto ids = coco80_category_ids();
  const std::string s = coco_results_json(sample(), 42, {{ids.begin(), ids.end()}});
  EXPECT_EQ(
      s,
      R"({"image_id":42,"category_id":18,"bbox":[133.5,407.9999,176.5,133.25009],"score":0.1})"
      ",\n"
      R"({"image_id":42,"category_id":90,"bbox":[0.33333334,2.0,2.6666667,2.0],"score":0.8765432})");
  EXPECT_EQ(coco_results_json(ImageResult{}, 1, {}), "");
}

TEST(Results, WritersProduceValidFilesAtomically) {
  const testing::TempDir tmp;
  const fs::path dir = tmp.path();
  ImageResult empty;
  empty.image = "000000000007.jpg";
  empty.width = empty.height = 5;
  std::vector<std::string> names(91, "n");
  for (auto format : {ResultsFormat::kJson, ResultsFormat::kJsonLines, ResultsFormat::kCoco}) {
    const fs::path path = dir / ("out" + std::to_string(static_cast<int>(format)));
    auto w = ResultsWriter::open(path, format, {names, {}});
    w->add(sample(), 3);
    w->add(empty, 4);
    w->add(sample(), 5);
    EXPECT_FALSE(fs::exists(path)) << "visible before close()";
    w->close();
    const std::string text = slurp(path);
    if (format == ResultsFormat::kJsonLines) {
      std::istringstream lines(text);
      std::string line;
      int n = 0;
      while (std::getline(lines, line)) {
        EXPECT_TRUE(nlohmann::json::accept(line)) << line;
        ++n;
      }
      EXPECT_EQ(n, 3);
      continue;
    }
    const auto j = nlohmann::json::parse(text);
    ASSERT_TRUE(j.is_array());
    if (format == ResultsFormat::kJson) {
      ASSERT_EQ(j.size(), 3u);
      EXPECT_EQ(j[1]["image"], "000000000007.jpg");
      EXPECT_EQ(j[2]["detections"].size(), 2u);
    } else {
      ASSERT_EQ(j.size(), 4u);         // two detections in each sample, none in `empty`
      EXPECT_EQ(j[0]["image_id"], 3);  // "dog" is not numeric: its index
      EXPECT_EQ(j[3]["image_id"], 5);
      EXPECT_EQ(j[0]["category_id"], 16);  // identity map
    }
  }
  // Empty outputs are still valid JSON.
  const fs::path none = dir / "none.json";
  auto w = ResultsWriter::open(none, ResultsFormat::kCoco, {});
  w->close();
  EXPECT_EQ(slurp(none), "[]\n");
}

TEST(Results, WriterLeavesNothingWithoutCloseAndReportsMissingFolder) {
  const testing::TempDir tmp;
  const fs::path dir = tmp.path();
  {
    auto w = ResultsWriter::open(dir / "a.json", ResultsFormat::kJson, {});
    w->add(sample(), 0);
  }
  EXPECT_TRUE(fs::is_empty(dir));
  try {
    (void)ResultsWriter::open(dir / "missing" / "a.json", ResultsFormat::kJson, {});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIo);
    EXPECT_NE(std::string(e.what()).find("a.json"), std::string::npos) << e.what();
  }
}

TEST(Results, TrackIdsLeadEachRecord) {
  ImageResult r;
  r.image = "clip.mp4";
  r.frame = 4;
  r.width = 420;
  r.height = 240;
  r.detections.push_back({{10.f, 20.f, 30.f, 60.f}, 0, 0.5f});
  r.track_ids = {7};
  EXPECT_EQ(
      detection_json(r, {"person"}),
      R"({"image":"clip.mp4","frame":4,"width":420,"height":240,"detections":[)"
      R"({"track_id":7,"label":"person","class_id":0,"score":0.5,"box":[10.0,20.0,30.0,60.0]}]})");
}

TEST(Results, MotRowsFormatAsMotChallengeResults) {
  const MotRow rows[] = {{5, 1, 169.74114, 102.566, 8.7943, 27.5304, 0.6571044},
                         {12, 30, -1.5, 0, 1, 2, 1}};
  EXPECT_EQ(format_mot_rows(rows),
            "5,1,169.7411,102.5660,8.7943,27.5304,0.657104,-1,-1,-1\n"
            "12,30,-1.5000,0.0000,1.0000,2.0000,1.000000,-1,-1,-1\n");
  EXPECT_EQ(format_mot_rows({}), "");
}

}  // namespace
}  // namespace yoloxrt
