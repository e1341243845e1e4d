// Tests of the pure post-processing: decode, IoU, NMS, resize plans and back-mapping.
#include "yoloxrt/detection.h"

#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "yoloxrt/error.h"

namespace yoloxrt {
namespace {

constexpr int kStrides[] = {8, 16, 32};

// A raw output for a 64x64 input: 64 + 16 + 4 = 84 anchors, 2 classes (K = 7); all zero scores.
std::vector<float> empty_raw(size_t k = 7) { return std::vector<float>(84 * k, 0.f); }

TEST(DecodeRawOutput, DecodesKnownAnchors) {
  auto raw = empty_raw();
  // Stride 8, cell (gx=3, gy=2) -> row 2*8+3 = 19.
  float* r = &raw[19 * 7];
  r[0] = 0.5f, r[1] = 0.25f, r[2] = 0.f, r[3] = std::log(2.f), r[4] = 0.9f, r[5] = 0.2f,
  r[6] = 0.8f;
  // Stride 32, cell (gx=1, gy=1) -> row 64 + 16 + 3 = 83.
  float* q = &raw[83 * 7];
  q[0] = 0.f, q[1] = 0.f, q[2] = std::log(0.5f), q[3] = 0.f, q[4] = 0.6f, q[5] = 0.7f, q[6] = 0.1f;
  auto dets = decode_raw_output(raw.data(), 84, 7, 64, 64, kStrides, 0.1f);
  ASSERT_EQ(dets.size(), 2u);
  // cx = (0.5+3)*8 = 28, cy = (0.25+2)*8 = 18, w = 8, h = 16.
  EXPECT_FLOAT_EQ(dets[0].box.x1, 24.f);
  EXPECT_FLOAT_EQ(dets[0].box.y1, 10.f);
  EXPECT_FLOAT_EQ(dets[0].box.x2, 32.f);
  EXPECT_NEAR(dets[0].box.y2, 26.f, 1e-5);
  EXPECT_EQ(dets[0].class_id, 1);
  EXPECT_FLOAT_EQ(dets[0].score, 0.9f * 0.8f);
  // cx = 32, cy = 32, w = 16, h = 32.
  EXPECT_FLOAT_EQ(dets[1].box.x1, 24.f);
  EXPECT_FLOAT_EQ(dets[1].box.y1, 16.f);
  EXPECT_FLOAT_EQ(dets[1].box.x2, 40.f);
  EXPECT_FLOAT_EQ(dets[1].box.y2, 48.f);
  EXPECT_EQ(dets[1].class_id, 0);
}

TEST(DecodeRawOutput, ThresholdIsStrict) {
  auto raw = empty_raw();
  raw[4] = 1.f, raw[5] = 0.5f;  // score exactly 0.5
  EXPECT_TRUE(decode_raw_output(raw.data(), 84, 7, 64, 64, kStrides, 0.5f).empty());
  EXPECT_EQ(decode_raw_output(raw.data(), 84, 7, 64, 64, kStrides, 0.4999f).size(), 1u);
}

TEST(DecodeRawOutput, RejectsWrongAnchorCount) {
  auto raw = empty_raw();
  EXPECT_THROW(decode_raw_output(raw.data(), 83, 7, 64, 64, kStrides, 0.1f), Error);
  EXPECT_THROW(decode_raw_output(raw.data(), 84, 7, 64, 96, kStrides, 0.1f), Error);
  EXPECT_THROW(decode_raw_output(raw.data(), 84, 5, 64, 64, kStrides, 0.1f), Error);
}

TEST(DecodeRawOutput, NonSquareGridIsRowMajorXFastest) {
  // 32 x 64 input: stride 8 grid is 4 rows x 8 columns; row 9 is (gx=1, gy=1).
  const size_t n = 4 * 8 + 2 * 4 + 1 * 2;
  std::vector<float> raw(n * 6, 0.f);
  raw[9 * 6 + 4] = 1.f, raw[9 * 6 + 5] = 1.f;
  auto d = decode_raw_output(raw.data(), n, 6, 32, 64, kStrides, 0.5f);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_FLOAT_EQ(d[0].box.x1, 8.f - 4.f);
  EXPECT_FLOAT_EQ(d[0].box.y1, 8.f - 4.f);
}

TEST(DecodeDecodedOutput, ConvertsXywhAndKeepsAboveConf) {
  const float rows[] = {10, 20, 30, 40, 3, 0.9f,   //
                        0,  0,  5,  5,  1, 0.45f,  // exactly conf: dropped
                        1,  2,  3,  4,  0, 0.46f};
  auto d = decode_decoded_output(rows, 3, 0.45f);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_FLOAT_EQ(d[0].box.x2, 40.f);
  EXPECT_FLOAT_EQ(d[0].box.y2, 60.f);
  EXPECT_EQ(d[0].class_id, 3);
  EXPECT_EQ(d[1].class_id, 0);
}

TEST(DecodeMegviiDecodedOutput, ConvertsCentres) {
  const float rows[] = {50, 50, 20, 10, 0.9f, 0.1f, 0.9f};
  auto d = decode_megvii_decoded_output(rows, 1, 7, 0.5f);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_FLOAT_EQ(d[0].box.x1, 40.f);
  EXPECT_FLOAT_EQ(d[0].box.y2, 55.f);
  EXPECT_EQ(d[0].class_id, 1);
  EXPECT_FLOAT_EQ(d[0].score, 0.81f);
}

TEST(Iou, KnownValues) {
  EXPECT_FLOAT_EQ(iou({0, 0, 10, 10}, {0, 0, 10, 10}), 1.f);
  EXPECT_FLOAT_EQ(iou({0, 0, 10, 10}, {5, 0, 15, 10}), 50.f / 150.f);
  EXPECT_FLOAT_EQ(iou({0, 0, 10, 10}, {10, 0, 20, 10}), 0.f);  // touching
  EXPECT_FLOAT_EQ(iou({0, 0, 0, 0}, {0, 0, 0, 0}), 0.f);       // degenerate
  EXPECT_FLOAT_EQ(iou({0, 0, 10, 10}, {2, 2, 4, 4}), 4.f / 100.f);
}

Detection det(float x1, float y1, float x2, float y2, float score, int cls = 0) {
  return {{x1, y1, x2, y2}, cls, score};
}

TEST(Nms, EmptyInput) { EXPECT_TRUE(nms({}, {}).empty()); }

TEST(Nms, SuppressesOverlapsAndSortsByScore) {
  auto kept =
      nms({det(0, 0, 10, 10, 0.5f), det(1, 0, 11, 10, 0.9f), det(50, 50, 60, 60, 0.7f)}, {});
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_FLOAT_EQ(kept[0].score, 0.9f);
  EXPECT_FLOAT_EQ(kept[1].score, 0.7f);
}

TEST(Nms, IouEqualToThresholdDoesNotSuppress) {
  // IoU = 50 / 150 = 1/3 exactly representable enough: threshold at the same float.
  const float t = iou({0, 0, 10, 10}, {5, 0, 15, 10});
  auto kept = nms({det(0, 0, 10, 10, 0.9f), det(5, 0, 15, 10, 0.8f)}, {t, false, 0});
  EXPECT_EQ(kept.size(), 2u);
  kept = nms({det(0, 0, 10, 10, 0.9f), det(5, 0, 15, 10, 0.8f)}, {t - 1e-6f, false, 0});
  EXPECT_EQ(kept.size(), 1u);
}

TEST(Nms, TiesKeepInputOrder) {
  auto kept = nms({det(0, 0, 10, 10, 0.5f, 1), det(0, 0, 10, 10, 0.5f, 2)}, {});
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].class_id, 1);
}

TEST(Nms, EverythingSuppressedButTheBest) {
  std::vector<Detection> dets;
  for (int i = 0; i < 20; ++i) dets.push_back(det(0, 0, 100, 100 + i * 0.1f, 0.1f + i * 0.01f));
  auto kept = nms(dets, {});
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_FLOAT_EQ(kept[0].score, 0.1f + 19 * 0.01f);
}

TEST(Nms, PerClassKeepsOverlapsOfDifferentClasses) {
  std::vector<Detection> dets = {det(0, 0, 10, 10, 0.9f, 0), det(0, 0, 10, 10, 0.8f, 1),
                                 det(0, 0, 10, 10, 0.7f, 0)};
  EXPECT_EQ(nms(dets, {0.45f, false, 0}).size(), 1u);
  auto kept = nms(dets, {0.45f, true, 0});
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].class_id, 0);
  EXPECT_EQ(kept[1].class_id, 1);
}

TEST(Nms, MaxDetCaps) {
  std::vector<Detection> dets;
  for (int i = 0; i < 10; ++i) dets.push_back(det(i * 20.f, 0, i * 20.f + 10, 10, 0.1f * i));
  auto kept = nms(dets, {0.45f, false, 3});
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_FLOAT_EQ(kept[0].score, 0.9f);
  EXPECT_FLOAT_EQ(kept[2].score, 0.7f);
  EXPECT_EQ(nms(dets, {0.45f, false, 0}).size(), 10u);
}

TEST(PlanResize, LetterboxMatchesMegviiDog) {
  auto p = plan_resize(ResizePolicy::kLetterbox, 768, 576, 416, 416);
  EXPECT_EQ(p.resized_w, 416);
  EXPECT_EQ(p.resized_h, 312);
  EXPECT_EQ(p.input_w, 416);
  EXPECT_EQ(p.input_h, 416);
  EXPECT_EQ(p.offset_x, 0);
  EXPECT_EQ(p.offset_y, 0);
  EXPECT_NEAR(p.scale, 0.5416666666, 1e-9);
}

TEST(PlanResize, CropIsTheTutorials) {
  // 1000 x 667 at 384: short side 384, long int(1000 / (667/384)) = 575 -> input 544, offset 15.
  auto p = plan_resize(ResizePolicy::kCrop, 1000, 667, 384, 384);
  EXPECT_EQ(p.resized_h, 384);
  EXPECT_EQ(p.resized_w, 575);
  EXPECT_EQ(p.input_h, 384);
  EXPECT_EQ(p.input_w, 544);
  EXPECT_EQ(p.offset_x, 15);
  EXPECT_EQ(p.offset_y, 0);
  // Portrait, with both sides cut: 500 x 900 at 400 -> 400 x 720 -> 384 x 704, offsets 8, 8.
  p = plan_resize(ResizePolicy::kCrop, 500, 900, 400, 400);
  EXPECT_EQ(p.resized_w, 400);
  EXPECT_EQ(p.resized_h, 720);
  EXPECT_EQ(p.input_w, 384);
  EXPECT_EQ(p.input_h, 704);
  EXPECT_EQ(p.offset_x, 8);
  EXPECT_EQ(p.offset_y, 8);
}

TEST(PlanResize, CropExactCoversTheTarget) {
  auto p = plan_resize(ResizePolicy::kCrop, 768, 576, 416, 416, true);
  EXPECT_EQ(p.input_w, 416);
  EXPECT_EQ(p.input_h, 416);
  EXPECT_EQ(p.resized_h, 416);
  EXPECT_EQ(p.resized_w, 554);
  EXPECT_EQ(p.offset_x, 69);
}

TEST(PlanResize, PadRoundsUp) {
  auto p = plan_resize(ResizePolicy::kPad, 1000, 667, 384, 384);
  EXPECT_EQ(p.resized_w, 575);
  EXPECT_EQ(p.input_w, 576);
  EXPECT_EQ(p.input_h, 384);
  EXPECT_EQ(p.offset_x, 0);
}

TEST(PlanResize, RejectsBadSizes) {
  EXPECT_THROW(plan_resize(ResizePolicy::kCrop, 0, 10, 384, 384), Error);
  EXPECT_THROW(plan_resize(ResizePolicy::kCrop, 10, 10, -1, 384), Error);
  EXPECT_THROW(plan_resize(ResizePolicy::kCrop, 100, 100, 16, 16), Error);
}

// Forward then back: random boxes inside the image come back within 0.5 px, for each policy.
TEST(MapBox, RoundTripsForEveryPolicy) {
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> size(40, 2000);
  for (ResizePolicy policy : {ResizePolicy::kCrop, ResizePolicy::kLetterbox, ResizePolicy::kPad}) {
    for (int trial = 0; trial < 200; ++trial) {
      const int w = size(rng), h = size(rng);
      const bool exact = trial % 2 == 1;
      const auto plan = plan_resize(policy, w, h, 416, exact ? 320 : 416, exact);
      std::uniform_real_distribution<float> ux(0.f, static_cast<float>(w));
      std::uniform_real_distribution<float> uy(0.f, static_cast<float>(h));
      float a = ux(rng), b = ux(rng), c = uy(rng), d = uy(rng);
      const Box box{std::min(a, b), std::min(c, d), std::max(a, b), std::max(c, d)};
      const Box back = map_box_to_original(map_box_to_input(box, plan), plan);
      EXPECT_NEAR(back.x1, box.x1, 0.5f) << to_string(policy) << " " << w << "x" << h;
      EXPECT_NEAR(back.y1, box.y1, 0.5f);
      EXPECT_NEAR(back.x2, box.x2, 0.5f);
      EXPECT_NEAR(back.y2, box.y2, 0.5f);
    }
  }
}

TEST(MapBox, ClipsToTheImage) {
  const auto plan = plan_resize(ResizePolicy::kLetterbox, 768, 576, 416, 416);
  const Box b = map_box_to_original({-10, -10, 416, 416}, plan);
  EXPECT_FLOAT_EQ(b.x1, 0.f);
  EXPECT_FLOAT_EQ(b.y1, 0.f);
  EXPECT_FLOAT_EQ(b.x2, 768.f);
  EXPECT_FLOAT_EQ(b.y2, 576.f);
}

TEST(ClassLabel, FallsBackToTheId) {
  EXPECT_EQ(class_label({"a", "b"}, 1), "b");
  EXPECT_EQ(class_label({"a", "b"}, 2), "class 2");
  EXPECT_EQ(class_label({}, -1), "class -1");
}

}  // namespace
}  // namespace yoloxrt
