// Tests of the family conventions table.
#include "yoloxrt/conventions.h"

#include <gtest/gtest.h>

namespace yoloxrt {
namespace {

TEST(ConventionsFor, MegviiSizeFollowsTheExperimentFiles) {
  // Megvii's exps: nano and tiny run at 416, yolox_base (s, m, l, x and anything else) at 640.
  for (const char* t : {"yolox_nano", "yolox_tiny"}) {
    EXPECT_EQ(conventions_for(Family::kMegvii, t).default_size, 416) << t;
    EXPECT_EQ(conventions_for(Family::kMegvii, t, /*legacy=*/true).default_size, 416) << t;
  }
  for (const char* t : {"yolox_s", "yolox_m", "yolox_l", "yolox_x", "custom", ""}) {
    EXPECT_EQ(conventions_for(Family::kMegvii, t).default_size, 640) << t;
    EXPECT_EQ(conventions_for(Family::kMegvii, t, /*legacy=*/true).default_size, 640) << t;
  }
}

TEST(ConventionsFor, MegviiTakesBgrPixelsLetterboxed) {
  const Conventions c = conventions_for(Family::kMegvii, "yolox_s");
  EXPECT_EQ(c.input_name, "images");
  EXPECT_EQ(c.channel_order, ChannelOrder::kBGR);
  EXPECT_EQ(c.network_range, 255.f);
  EXPECT_EQ(c.input_range, 255.f);
  EXPECT_EQ(c.resize, ResizePolicy::kLetterbox);
  EXPECT_EQ(c.mean, (std::array<float, 3>{0.f, 0.f, 0.f}));
  EXPECT_EQ(c.std, (std::array<float, 3>{1.f, 1.f, 1.f}));
}

TEST(ConventionsFor, LegacyMegviiIsRgbImageNetOnTheUnitScale) {
  const Conventions c = conventions_for(Family::kMegvii, "yolox_nano", /*legacy=*/true);
  EXPECT_EQ(c.channel_order, ChannelOrder::kRGB);
  EXPECT_EQ(c.network_range, 1.f);
  EXPECT_EQ(c.input_range, 255.f);  // the exported graph scales 0..255 pixels itself
  EXPECT_FLOAT_EQ(c.mean[0], 0.485f);
  EXPECT_FLOAT_EQ(c.std[2], 0.225f);
}

TEST(ConventionsFor, CjmIsTheTutorials) {
  for (const char* t : {"yolox_tiny", "yolox_s", "custom"}) {
    const Conventions c = conventions_for(Family::kCjm, t, /*legacy=*/true);  // legacy: ignored
    EXPECT_EQ(c.input_name, "input");
    EXPECT_EQ(c.channel_order, ChannelOrder::kRGB);
    EXPECT_EQ(c.network_range, 1.f);
    EXPECT_EQ(c.input_range, 1.f);
    EXPECT_EQ(c.resize, ResizePolicy::kCrop);
    EXPECT_EQ(c.default_size, 384);
    EXPECT_EQ(c.output_format, OutputFormat::kDecoded);
    EXPECT_EQ(c.mean, (std::array<float, 3>{0.5f, 0.5f, 0.5f}));
  }
}

}  // namespace
}  // namespace yoloxrt
