// COCO readers and COCOeval bbox metrics: parity with pycocotools on the shared fixture, and
// hand-made cases whose expected numbers are derived by hand in the comments (COCOeval's rules;
// each case was also run through pycocotools, outside the repository, and agreed).
#include "yoloxrt/coco_eval.h"

#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "yoloxrt/error.h"
#include "yoloxrt/file_io.h"

namespace yoloxrt {
namespace {

using nlohmann::json;

// --- small builders ------------------------------------------------------------------------------

struct GtBuilder {
  CocoGroundTruth gt;
  int64_t next_id = 1;
  GtBuilder& image(int64_t id) {
    gt.images.push_back({id, std::to_string(id) + ".jpg", 640, 480});
    return *this;
  }
  GtBuilder& category(int64_t id, std::string name = {}) {
    gt.categories.push_back({id, name.empty() ? "c" + std::to_string(id) : name});
    return *this;
  }
  // area defaults to w * h.
  GtBuilder& box(int64_t image, int64_t cat, CocoBox b, bool crowd = false, double area = -1) {
    gt.annotations.push_back({next_id++, image, cat, b, area < 0 ? b.w * b.h : area, crowd});
    return *this;
  }
};

CocoDetection det(int64_t image, int64_t cat, CocoBox b, double score) {
  return {image, cat, b, score};
}

void expect_stats(const CocoMetrics& m, const std::array<double, kCocoStatCount>& want,
                  double tol = 1e-12) {
  for (int i = 0; i < kCocoStatCount; ++i)
    EXPECT_NEAR(m.stats[i], want[i], tol) << coco_stat_name(i);
}

// --- fixture parity ------------------------------------------------------------------------------

TEST(CocoEval, FixtureMatchesPycocotools) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  const auto dir = fx / "coco-val2017";
  const CocoGroundTruth gt = read_coco_ground_truth(dir / "instances.json");
  const auto dets = read_coco_results(dir / "detections_nano_fp32.json");
  const auto t0 = std::chrono::steady_clock::now();
  const CocoMetrics m = evaluate_coco_bbox(gt, dets);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  const json ref = json::parse(read_file_bytes(dir / "metrics_nano_fp32_pycocotools.json"));
  double worst = 0;
  for (int i = 0; i < kCocoStatCount; ++i) {
    const double want = ref["stats"][std::string(coco_stat_name(i))].get<double>();
    EXPECT_NEAR(m.stats[i], want, 1e-4) << coco_stat_name(i);
    worst = std::max(worst, std::abs(m.stats[i] - want));
  }
  // The printed summary is pycocotools' byte for byte.
  std::string want_summary;
  for (const auto& line : ref["summary"]) want_summary += line.get<std::string>() + "\n";
  EXPECT_EQ(format_coco_summary(m.stats), want_summary);
  EXPECT_EQ(m.images, 64u);
  EXPECT_EQ(m.per_class.size(), 80u);
  std::printf("fixture: max |diff| vs pycocotools = %.3g, evaluate %.2f ms (%zu detections)\n",
              worst, ms, dets.size());
}

// --- hand-made cases -----------------------------------------------------------------------------
// Notation: for one category, detections in COCOeval's accumulate order (score descending, ties by
// image id then file order); tp/fp cumulative counts; rc = tp / npig; pr = tp / (tp + fp + eps)
// with eps = 2^-52 (so a lone first true positive has precision 1 - 1.1e-16, which the 1e-12
// tolerance absorbs); the envelope makes pr[i] = max(pr[i:]); the precision at recall threshold
// r/100 (r = 0..100) is the envelope at the first i with rc[i] >= r/100, 0 past the end.
// AP = mean over the 10 IoU thresholds and 101 recall thresholds; AR = mean recall over the IoU
// thresholds. Areas: small <= 32^2 = 1024, medium 1024..9216, large >= 96^2 = 9216.

constexpr double kNo = -1;  // COCOeval's "no ground truth"

TEST(CocoEval, NoDetections) {
  // One small GT box (area 100) and nothing detected: every slice with GT scores 0 (nd = 0 gives
  // recall 0 and precision 0 everywhere), slices without GT (medium, large) are -1.
  GtBuilder b;
  b.image(1).category(1).box(1, 1, {0, 0, 10, 10});
  const CocoMetrics m = evaluate_coco_bbox(b.gt, {});
  expect_stats(m, {0, 0, 0, 0, kNo, kNo, 0, 0, 0, 0, kNo, kNo});
  EXPECT_EQ(m.per_class[0].ap, 0);
  EXPECT_EQ(m.per_class[0].gt_count, 1u);
}

TEST(CocoEval, NoGroundTruthAtAll) {
  // No annotations: every category has npig = 0, so every number is -1.
  GtBuilder b;
  b.image(1).category(1);
  const std::vector<CocoDetection> dets = {det(1, 1, {0, 0, 50, 50}, 0.9)};
  const CocoMetrics m = evaluate_coco_bbox(b.gt, dets);
  expect_stats(m, {kNo, kNo, kNo, kNo, kNo, kNo, kNo, kNo, kNo, kNo, kNo, kNo});
  EXPECT_EQ(m.per_class[0].ap, -1);
}

TEST(CocoEval, PerfectMediumDetection) {
  // One medium box (50x50) found exactly: a true positive at every IoU, rc = [1], pr = [1 - eps']:
  // AP = 1 wherever there is GT (all, medium), recall 1; small and large have no GT: -1.
  GtBuilder b;
  b.image(1).category(1).box(1, 1, {10, 10, 50, 50});
  const std::vector<CocoDetection> dets = {det(1, 1, {10, 10, 50, 50}, 0.9)};
  const CocoMetrics m = evaluate_coco_bbox(b.gt, dets);
  expect_stats(m, {1, 1, 1, kNo, 1, kNo, 1, 1, 1, kNo, 1, kNo});
}

TEST(CocoEval, ImageWithoutGroundTruth) {
  // Image 1 has one medium GT box, found with score 0.5; image 2 has no GT but a detection of the
  // same category with score 0.9. Order: [img2 FP, img1 TP]: rc = [0, 1], pr = [0, 1/2], envelope
  // [1/2, 1/2]: every recall threshold gets 1/2, at every IoU. Recall 1 (also at maxDets 1: each
  // image keeps its one detection).
  GtBuilder b;
  b.image(1).image(2).category(1).box(1, 1, {0, 0, 50, 50});
  const std::vector<CocoDetection> dets = {det(1, 1, {0, 0, 50, 50}, 0.5),
                                           det(2, 1, {0, 0, 50, 50}, 0.9)};
  const CocoMetrics m = evaluate_coco_bbox(b.gt, dets);
  expect_stats(m, {0.5, 0.5, 0.5, kNo, 0.5, kNo, 1, 1, 1, kNo, 1, kNo});
  EXPECT_EQ(m.images, 2u);
}

TEST(CocoEval, CategoryAbsentFromGroundTruth) {
  // Categories 1 and 2 listed, GT only of 1 (found exactly). Category 2's false positive has
  // npig = 0: its precision stays -1 and drops out of the means, so the numbers are category 1's
  // alone (AP 1). Category 3 is not listed: its detection is ignored (COCOeval filters by catIds)
  // and counted.
  GtBuilder b;
  b.image(1).category(1).category(2).box(1, 1, {0, 0, 50, 50});
  const std::vector<CocoDetection> dets = {det(1, 1, {0, 0, 50, 50}, 0.5),
                                           det(1, 2, {100, 100, 50, 50}, 0.9),
                                           det(1, 3, {0, 0, 50, 50}, 0.99)};
  const CocoMetrics m = evaluate_coco_bbox(b.gt, dets);
  expect_stats(m, {1, 1, 1, kNo, 1, kNo, 1, 1, 1, kNo, 1, kNo});
  ASSERT_EQ(m.per_class.size(), 2u);
  EXPECT_EQ(m.per_class[1].category_id, 2);
  EXPECT_EQ(m.per_class[1].ap, -1);
  EXPECT_EQ(m.per_class[1].ap50, -1);
  EXPECT_EQ(m.per_class[1].gt_count, 0u);
  EXPECT_EQ(m.per_class[1].detections, 1u);
  EXPECT_EQ(m.unknown_category_detections, 1u);
  EXPECT_EQ(m.detections, 2u);
}

TEST(CocoEval, CrowdRegions) {
  // GT: R = (0,0,50,50) (area 2500) and a crowd region C = (100,0,200,200).
  // d4 (0.95) = (80,0,40,40): overlaps only C, by 20x40 = 800 of its own 1600 -> crowd IoU 0.5:
  //   matched to C (ignored) at IoU .50, unmatched -> false positive at .55 and above.
  // d1 (0.90) = (120,20,50,50) and d2 (0.80) = (150,50,40,40): inside C, crowd IoU 1: both match
  //   it (a crowd region is matched any number of times) and are ignored.
  // d3 (0.70): exactly R, a true positive (its loop stops at C: matched to a regular GT).
  // IoU .50: only d3 counts: AP 1. IoU >= .55: [d4 FP, d1 -, d2 -, d3 TP]: rc [0,0,0,1],
  //   pr [0,0,0,1/2]: 1/2. AP = (1 + 9 x 0.5) / 10 = 0.55, AP50 = 1, AP75 = 0.5.
  // The crowd region is never a miss: npig = 1, recall 1. maxDets 1 keeps d4 only: recall 0.
  // Everything is medium (R 2500; d4, d2 1600; d1 2500): APm = AP; small and large: -1.
  GtBuilder b;
  b.image(1).category(1).box(1, 1, {0, 0, 50, 50}).box(1, 1, {100, 0, 200, 200}, true);
  const std::vector<CocoDetection> dets = {
      det(1, 1, {0, 0, 50, 50}, 0.70), det(1, 1, {120, 20, 50, 50}, 0.90),
      det(1, 1, {150, 50, 40, 40}, 0.80), det(1, 1, {80, 0, 40, 40}, 0.95)};
  const CocoMetrics m = evaluate_coco_bbox(b.gt, dets);
  expect_stats(m, {0.55, 1, 0.5, kNo, 0.55, kNo, 0, 1, 1, kNo, 1, kNo});
  EXPECT_EQ(m.per_class[0].gt_count, 1u);
}

TEST(CocoEval, MaxDetsTruncation) {
  // Category 1: 99 false positives (scores 0.99 .. 0.01 step 0.01... all above 0.005) then the true
  // positive at 0.005: it is the 100th: tp = 1 at the end, pr = 1/100, envelope 1/100 everywhere:
  // AP = 0.01; recall 1 at maxDets 100, 0 at 1 and 10.
  // Category 2: the same with 100 false positives: the true positive is the 101st and is cut
  // (COCOeval keeps 100 per image and category): AP 0, recall 0.
  // Means over the two categories: AP 0.005, AR100 0.5. All boxes are medium (40x40).
  GtBuilder b;
  b.image(1).category(1).category(2);
  b.box(1, 1, {0, 0, 40, 40}).box(1, 2, {0, 0, 40, 40});
  std::vector<CocoDetection> dets;
  for (int cat = 1; cat <= 2; ++cat) {
    const int fps = cat == 1 ? 99 : 100;
    for (int i = 0; i < fps; ++i)
      dets.push_back(
          det(1, cat, {100.0 + 50 * (i % 10), 100.0 + 50 * (i / 10), 40, 40}, 0.9 - i * 0.001));
    dets.push_back(det(1, cat, {0, 0, 40, 40}, 0.005));
  }
  const CocoMetrics m = evaluate_coco_bbox(b.gt, dets);
  EXPECT_NEAR(m.per_class[0].ap, 0.01, 1e-12);
  EXPECT_NEAR(m.per_class[1].ap, 0.0, 1e-12);
  expect_stats(m, {0.005, 0.005, 0.005, kNo, 0.005, kNo, 0, 0, 0.5, kNo, 0.5, kNo});
}

TEST(CocoEval, EqualScoresFollowImageIdThenFileOrder) {
  // Across images: image 1 has a false positive, image 2 a true positive, both score 0.5; the
  // ground truth lists image 2 first, but COCOeval concatenates images by ascending id, so the
  // order is [FP, TP] with npig = 2 (one GT per image): rc = [0, 1/2], pr = [0, 1/2], envelope
  // [1/2, 1/2]: thresholds 0..0.50 (51 of them) get 1/2, the 50 above 0: AP = 25.5 / 101.
  GtBuilder b;
  b.image(2).image(1).category(1);
  b.box(1, 1, {0, 0, 50, 50}).box(2, 1, {0, 0, 50, 50});
  const std::vector<CocoDetection> dets = {det(2, 1, {0, 0, 50, 50}, 0.5),
                                           det(1, 1, {200, 200, 50, 50}, 0.5)};
  EXPECT_NEAR(evaluate_coco_bbox(b.gt, dets).stats[kAP], 25.5 / 101, 1e-12);

  // Within an image: two detections of score 0.5 on one GT, the first in file order misses, the
  // second hits: [FP, TP], rc = [0, 1], pr = [0, 1/2]: AP 1/2. Swapped: [TP, FP], rc = [1, 1],
  // pr = [1, 1/2], envelope [1, 1/2]: every threshold takes index 0: AP 1.
  GtBuilder c;
  c.image(1).category(1).box(1, 1, {0, 0, 50, 50});
  const CocoDetection miss = det(1, 1, {200, 200, 50, 50}, 0.5);
  const CocoDetection hit = det(1, 1, {0, 0, 50, 50}, 0.5);
  const std::vector<CocoDetection> miss_first = {miss, hit}, hit_first = {hit, miss};
  EXPECT_NEAR(evaluate_coco_bbox(c.gt, miss_first).stats[kAP], 0.5, 1e-12);
  EXPECT_NEAR(evaluate_coco_bbox(c.gt, hit_first).stats[kAP], 1.0, 1e-12);
}

TEST(CocoEval, AreaRanges) {
  // GT: S = (0,0,20,20) area 400 (small), L = (100,100,120,120) area 14400 (large).
  // dS (0.90) = S, dX (0.85) = (300,300,100,100) matches nothing (area 10000, large), dL (0.80) =
  // L. all:   [TP, FP, TP], npig 2: rc [.5,.5,1], pr [1,.5,2/3], envelope [1,2/3,2/3]: thresholds
  //        <= .5 (51) get 1, the other 50 get 2/3: AP = (51 + 50 x 2/3) / 101 at every IoU.
  // small: L is ignored; dS TP; dX unmatched and outside the range: ignored; dL matches the
  //        ignored L: ignored. AP 1.
  // large: S ignored, so dS (matched to it) is ignored; dX unmatched but inside the range: FP;
  //        dL TP: rc [0,0,1], pr [0,0,1/2]: 1/2.
  // medium: no GT: -1. Recall 1 (maxDets 1 keeps dS only: recall 1/2 over all areas).
  GtBuilder b;
  b.image(1).category(1).box(1, 1, {0, 0, 20, 20}).box(1, 1, {100, 100, 120, 120});
  const std::vector<CocoDetection> dets = {det(1, 1, {0, 0, 20, 20}, 0.90),
                                           det(1, 1, {300, 300, 100, 100}, 0.85),
                                           det(1, 1, {100, 100, 120, 120}, 0.80)};
  const double ap_all = (51 + 50 * (2.0 / 3)) / 101;
  expect_stats(evaluate_coco_bbox(b.gt, dets),
               {ap_all, ap_all, ap_all, 1, kNo, 0.5, 0.5, 1, 1, 1, kNo, 1});
}

TEST(CocoEval, DetectionOutsideTheRangeIgnoredOnlyWhenUnmatched) {
  // GT M = (0,0,40,40), area 1600 (medium). The detection (0,0,40,24) has area 960 (small) and
  // IoU 960/1600 = 0.6 with M.
  // medium: at IoU .50/.55/.60 it matches M: a true positive although its own area is outside the
  //   range: AP 1 there. Above .60 it is unmatched and outside: ignored, nd counts it but tp = fp
  //   = 0: rc [0], pr [0]: 0. APm = 3/10; ARm = 3/10.
  // all: the same matches; above .60 a false positive: AP 3/10, AP50 1, AP75 0.
  // small: M is outside: no GT: -1.
  GtBuilder b;
  b.image(1).category(1).box(1, 1, {0, 0, 40, 40});
  const std::vector<CocoDetection> dets = {det(1, 1, {0, 0, 40, 24}, 0.9)};
  expect_stats(evaluate_coco_bbox(b.gt, dets),
               {0.3, 1, 0, kNo, 0.3, kNo, 0.3, 0.3, 0.3, kNo, 0.3, kNo});
}

TEST(CocoEval, AreaFromTheAnnotationNotTheBox) {
  // A 50x50 box whose annotation says area 500 (a small mask in a medium box) counts as small.
  GtBuilder b;
  b.image(1).category(1).box(1, 1, {0, 0, 50, 50}, false, 500);
  const std::vector<CocoDetection> dets = {det(1, 1, {0, 0, 50, 50}, 0.9)};
  expect_stats(evaluate_coco_bbox(b.gt, dets), {1, 1, 1, 1, kNo, kNo, 1, 1, 1, 1, kNo, kNo});
}

// --- readers and bad input
// -------------------------------------------------------------------------

std::string error_of(auto&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kCorrupt) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return {};
}

TEST(CocoResults, ParsesAndRoundTrips) {
  const auto dets = parse_coco_results(
      R"([{"image_id": 5, "category_id": 3, "bbox": [1.5, 2, 3.25, 4], "score": 0.875,
           "segmentation": [[1, 2, 3]], "extra": {"a": [1, {"b": null}]}},
          {"score": 1e-3, "bbox": [0, 0, 0, 0], "category_id": 1, "image_id": 6}])");
  ASSERT_EQ(dets.size(), 2u);
  EXPECT_EQ(dets[0].image_id, 5);
  EXPECT_EQ(dets[0].category_id, 3);
  EXPECT_EQ(dets[0].bbox.w, 3.25);
  EXPECT_EQ(dets[0].score, 0.875);
  EXPECT_EQ(dets[1].score, 1e-3);
  std::vector<CocoDetection> odd = {det(139, 72, {5.862450122833252, 0.1, 1.0 / 3, 2e-7}, 0.1f)};
  const auto back = parse_coco_results(format_coco_results(odd));
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].bbox.x, odd[0].bbox.x);
  EXPECT_EQ(back[0].bbox.w, odd[0].bbox.w);
  EXPECT_EQ(back[0].bbox.h, odd[0].bbox.h);
  EXPECT_EQ(back[0].score, odd[0].score);
  EXPECT_TRUE(parse_coco_results(format_coco_results({})).empty());
}

TEST(CocoResults, BadInputNamesTheEntry) {
  EXPECT_NE(
      error_of([] { parse_coco_results(R"({"annotations": []})"); }).find("not a COCO results"),
      std::string::npos);
  EXPECT_NE(error_of([] {
              parse_coco_results(R"([{"image_id": 1, "category_id": 1,
      "bbox": [0, 0, 1, 1], "score": 0.5}, {"image_id": 7, "category_id": 1,
      "bbox": [0, 0, 1, 1], "score": NaN}])");
            }).find("detection 1 (image_id 7)"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              parse_coco_results(R"([{"image_id": 4, "category_id": 1,
      "bbox": [0, 0, -1, 1], "score": 0.5}])");
            }).find("detection 0 (image_id 4): bbox has a negative width"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              parse_coco_results(R"([{"image_id": 4, "category_id": 1,
      "bbox": [0, 0, 1], "score": 0.5}])");
            }).find("bbox"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              parse_coco_results(R"([{"image_id": 4, "bbox": [0, 0, 1, 1],
      "score": 0.5}])");
            }).find("no \"category_id\""),
            std::string::npos);
  EXPECT_NE(error_of([] {
              parse_coco_results(R"([{"image_id": 4.5, "category_id": 1,
      "bbox": [0, 0, 1, 1], "score": 0.5}])");
            }).find("image_id"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_coco_results(R"([1, 2])"); }).find("detection 0: not an object"),
            std::string::npos);
  error_of([] {
    parse_coco_results(R"([{"image_id": 4, "category_id": 1, "bbox": [0, 0, 1, 1],
      "score": 0.5})");
  });  // truncated
  error_of([] { parse_coco_results(""); });
}

TEST(CocoGroundTruthReader, BadInputNamesTheEntry) {
  const auto gt_with = [](const std::string& images, const std::string& anns) {
    return R"({"images": )" + images +
           R"(, "categories": [{"id": 1, "name": "a"}], "annotations": )" + anns + "}";
  };
  const std::string img = R"([{"id": 1, "file_name": "a.jpg"}])";
  EXPECT_NE(error_of([] {
              parse_coco_ground_truth(R"([{"image_id": 1}])");
            }).find("not a COCO instances"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_coco_ground_truth(R"({"images": []})"); }).find("\"annotations\""),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              parse_coco_ground_truth(gt_with(img, R"([{"id": 9, "image_id": 2, "category_id": 1,
                  "bbox": [0, 0, 1, 1]}])"));
            }).find("annotations[0] (id 9): image_id 2"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              parse_coco_ground_truth(gt_with(img, R"([{"id": 9, "image_id": 1, "category_id": 1,
                  "bbox": [0, 0, 1, -2]}])"));
            }).find("negative height"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              parse_coco_ground_truth(gt_with(
                  R"([{"id": 1, "file_name": "a.jpg"}, {"id": 1, "file_name": "b.jpg"}])", "[]"));
            }).find("images[1]: duplicate image id 1"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              parse_coco_ground_truth(gt_with(img, R"([{"id": 9, "image_id": 1, "category_id": 1,
                  "bbox": [0, 0, 1, 1]}, {"id": 9, "image_id": 1, "category_id": 1,
                  "bbox": [0, 0, 2, 2]}])"));
            }).find("annotations[1] (id 9): duplicate annotation id"),
            std::string::npos);
  const CocoGroundTruth gt = parse_coco_ground_truth(gt_with(img, R"([{"id": 9, "image_id": 1,
      "category_id": 1, "bbox": [0, 0, 4, 5], "iscrowd": 1, "segmentation": {"counts": "x"}}])"));
  ASSERT_EQ(gt.annotations.size(), 1u);
  EXPECT_TRUE(gt.annotations[0].iscrowd);
  EXPECT_EQ(gt.annotations[0].area, 20);  // no "area": w * h
}

TEST(CocoEval, UnknownImageIdIsCorrupt) {
  GtBuilder b;
  b.image(1).category(1);
  const std::vector<CocoDetection> dets = {det(1, 1, {0, 0, 5, 5}, 0.5),
                                           det(42, 1, {0, 0, 5, 5}, 0.5)};
  EXPECT_NE(error_of([&] { evaluate_coco_bbox(b.gt, dets); }).find("detection 1 (image_id 42)"),
            std::string::npos);
}

TEST(CocoEval, SummaryFormat) {
  std::array<double, kCocoStatCount> s{};
  s.fill(-1);
  s[kAP] = 0.36073987621138576;
  const std::string text = format_coco_summary(s);
  EXPECT_EQ(text.substr(0, text.find('\n')),
            " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.361");
  EXPECT_NE(
      text.find(
          " Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = -1.000\n"),
      std::string::npos);
}

TEST(CocoClassMapping, ByNameElseByPosition) {
  GtBuilder b;
  b.category(5, "dog").category(2, "cat");  // sorted by id below: cat (2), dog (5)
  std::stable_sort(b.gt.categories.begin(), b.gt.categories.end(),
                   [](const CocoCategory& x, const CocoCategory& y) { return x.id < y.id; });
  const auto named = map_classes_to_categories({"dog", "cat"}, b.gt);
  EXPECT_TRUE(named.by_name);
  EXPECT_EQ(named.category_ids, (std::vector<int64_t>{5, 2}));
  const auto positional = map_classes_to_categories({"a", "b"}, b.gt);
  EXPECT_FALSE(positional.by_name);
  EXPECT_EQ(positional.category_ids, (std::vector<int64_t>{2, 5}));
  EXPECT_THROW(map_classes_to_categories({"a", "b", "c"}, b.gt), Error);
  // Every category is a class name: a COCO model on a ground truth of some COCO categories.
  const auto subset = map_classes_to_categories({"cat", "bird", "dog"}, b.gt);
  EXPECT_TRUE(subset.by_name);
  EXPECT_EQ(subset.category_ids, (std::vector<int64_t>{2, CocoClassMapping::kNone, 5}));
}

}  // namespace
}  // namespace yoloxrt
