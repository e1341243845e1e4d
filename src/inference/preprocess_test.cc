// Tests of the fused pre-processing pass: layout, channel order, scaling, crop offsets, padding.
#include "inference/preprocess.h"

#include <gtest/gtest.h>

namespace yoloxrt::detail {
namespace {

// A w x h BGR image whose pixel (x, y) is (b, g, r) = (x, y, 100 + x + y).
ImageBuffer synthetic(int w, int h) {
  ImageBuffer buf(w, h);
  Image v = buf.view();
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      uint8_t* p = v.row(y) + x * 3;
      p[0] = static_cast<uint8_t>(x);
      p[1] = static_cast<uint8_t>(y);
      p[2] = static_cast<uint8_t>(100 + x + y);
    }
  return buf;
}

ResizePlan identity_plan(int w, int h, int in_w, int in_h, int off_x = 0, int off_y = 0) {
  ResizePlan p;
  p.image_w = p.resized_w = w;
  p.image_h = p.resized_h = h;
  p.input_w = in_w;
  p.input_h = in_h;
  p.offset_x = off_x;
  p.offset_y = off_y;
  return p;
}

TEST(FillInputTensor, NchwBgr255) {
  auto img = synthetic(4, 3);
  std::vector<float> t(3 * 3 * 4);
  fill_input_tensor(img.view(), identity_plan(4, 3, 4, 3),
                    {InputLayout::kNCHW, ChannelOrder::kBGR, 255.f}, t.data());
  const size_t plane = 12;
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 4; ++x) {
      EXPECT_EQ(t[0 * plane + y * 4 + x], x);
      EXPECT_EQ(t[1 * plane + y * 4 + x], y);
      EXPECT_EQ(t[2 * plane + y * 4 + x], 100 + x + y);
    }
}

TEST(FillInputTensor, NhwcRgbUnit) {
  auto img = synthetic(4, 3);
  std::vector<float> t(3 * 3 * 4);
  fill_input_tensor(img.view(), identity_plan(4, 3, 4, 3),
                    {InputLayout::kNHWC, ChannelOrder::kRGB, 1.f}, t.data());
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 4; ++x) {
      const float* p = &t[(y * 4 + x) * 3];
      EXPECT_FLOAT_EQ(p[0], (100 + x + y) / 255.f);
      EXPECT_FLOAT_EQ(p[1], y / 255.f);
      EXPECT_FLOAT_EQ(p[2], x / 255.f);
    }
}

TEST(FillInputTensor, PadsBottomRightWith114) {
  auto img = synthetic(3, 2);
  std::vector<float> t(3 * 4 * 5, -1.f);
  fill_input_tensor(img.view(), identity_plan(3, 2, 5, 4),
                    {InputLayout::kNCHW, ChannelOrder::kBGR, 255.f}, t.data());
  const size_t plane = 20;
  EXPECT_EQ(t[1 * 5 + 2], 2.f);                // inside: x = 2, y = 1, blue = x
  EXPECT_EQ(t[1 * 5 + 3], 114.f);              // right of the image
  EXPECT_EQ(t[plane + 2 * 5 + 0], 114.f);      // below, green plane
  EXPECT_EQ(t[2 * plane + 3 * 5 + 4], 114.f);  // bottom-right corner, red plane
}

TEST(FillInputTensor, CropsWithOffsets) {
  auto img = synthetic(8, 6);
  std::vector<float> t(3 * 2 * 4);
  fill_input_tensor(img.view(), identity_plan(8, 6, 4, 2, 2, 3),
                    {InputLayout::kNCHW, ChannelOrder::kBGR, 255.f}, t.data());
  EXPECT_EQ(t[0], 2.f);             // blue = source x = 0 + 2
  EXPECT_EQ(t[8], 3.f);             // green = source y = 0 + 3
  EXPECT_EQ(t[8 + 4 + 3], 4.f);     // green at (3, 1): y = 4
  EXPECT_EQ(t[16 + 4 + 3], 109.f);  // red at (3, 1): 100 + (3 + 2) + (1 + 3)
}

TEST(PreprocessImage, ResizesThenFills) {
  // A uniform image survives bilinear resizing exactly.
  ImageBuffer img(64, 48);
  Image v = img.view();
  for (int y = 0; y < 48; ++y)
    for (int x = 0; x < 64; ++x) {
      v.row(y)[x * 3] = 10;
      v.row(y)[x * 3 + 1] = 20;
      v.row(y)[x * 3 + 2] = 30;
    }
  const auto plan = plan_resize(ResizePolicy::kLetterbox, 64, 48, 32, 32);
  ASSERT_EQ(plan.resized_h, 24);
  std::vector<float> t(3 * 32 * 32);
  preprocess_image(v, plan, {InputLayout::kNCHW, ChannelOrder::kRGB, 255.f}, t.data());
  EXPECT_EQ(t[0], 30.f);                       // R first
  EXPECT_EQ(t[32 * 32 + 5 * 32 + 7], 20.f);    // G
  EXPECT_EQ(t[2 * 32 * 32 + 23 * 32], 10.f);   // B, last resized row
  EXPECT_EQ(t[2 * 32 * 32 + 24 * 32], 114.f);  // first padded row
}

}  // namespace
}  // namespace yoloxrt::detail
