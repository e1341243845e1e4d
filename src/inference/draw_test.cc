// Tests of draw_detections: pixels change on the box and its label, and not far away.
#include "yoloxrt/draw.h"

#include <gtest/gtest.h>

#include "inference/label_layout.h"
#include "yoloxrt/error.h"

namespace yoloxrt {
namespace {

ImageBuffer grey(int w, int h) {
  ImageBuffer b(w, h);
  Image v = b.view();
  for (int y = 0; y < h; ++y) std::fill(v.row(y), v.row(y) + w * 3, uint8_t{128});
  return b;
}

bool pixel_is(const Image& im, int x, int y, uint8_t b, uint8_t g, uint8_t r) {
  const uint8_t* p = im.row(y) + x * 3;
  return p[0] == b && p[1] == g && p[2] == r;
}

int changed_in(const Image& im, int x0, int y0, int x1, int y1) {
  int n = 0;
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) n += !pixel_is(im, x, y, 128, 128, 128);
  return n;
}

TEST(DrawDetections, DrawsOutlineAndLabelOnly) {
  auto buf = grey(400, 300);
  Image im = buf.view();
  const std::vector<Rgb> colors = {{255, 0, 0}};
  draw_detections(im, {{{100, 120, 200, 220}, 0, 0.9129f}}, {"dog"}, colors);
  // Outline in the class colour (RGB red -> BGR 0,0,255) on all four sides, 2 px wide.
  EXPECT_TRUE(pixel_is(im, 150, 120, 0, 0, 255));
  EXPECT_TRUE(pixel_is(im, 150, 121, 0, 0, 255));
  EXPECT_TRUE(pixel_is(im, 100, 170, 0, 0, 255));
  EXPECT_TRUE(pixel_is(im, 200, 170, 0, 0, 255));
  EXPECT_TRUE(pixel_is(im, 150, 220, 0, 0, 255));
  // The inside of the box stays untouched, and so does the far corner.
  EXPECT_EQ(changed_in(im, 105, 125, 195, 215), 0);
  EXPECT_EQ(changed_in(im, 300, 250, 400, 300), 0);
  // A label above the box (when a font is available): some changed pixels, some of them white
  // text on the dark red fill.
  if (!default_font_path().empty()) {
    EXPECT_GT(changed_in(im, 100, 100, 200, 120), 200);
    int light = 0;  // the red fill has G = 0; text pixels blend towards white
    for (int y = 100; y < 120; ++y)
      for (int x = 100; x < 200; ++x) light += im.row(y)[x * 3 + 1] > 160;
    EXPECT_GT(light, 5);
  }
}

TEST(DrawDetections, LabelGoesInsideWhenNoRoomAbove) {
  auto buf = grey(400, 300);
  Image im = buf.view();
  draw_detections(im, {{{10, 0, 200, 150}, 3, 0.5f}}, {}, {});
  if (!default_font_path().empty()) EXPECT_GT(changed_in(im, 15, 3, 100, 15), 100);
}

TEST(DrawDetections, ClipsBoxesOutsideTheImage) {
  auto buf = grey(50, 40);
  Image im = buf.view();
  EXPECT_NO_THROW(draw_detections(
      im, {{{-100, -100, 500, 500}, 7, 0.5f}, {{60, 60, 90, 90}, 1, 0.4f}}, {}, {}));
}

TEST(DrawDetections, MissingFontNamesTheFile) {
  auto buf = grey(50, 40);
  Image im = buf.view();
  DrawOptions o;
  o.font_path = "/nonexistent/font.ttf";
  try {
    draw_detections(im, {{{1, 1, 10, 10}, 0, 0.5f}}, {}, {}, o);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
    EXPECT_EQ(e.file(), "/nonexistent/font.ttf");
  }
}

using detail::PixelRect;

int64_t overlap_area(const PixelRect& a, const PixelRect& b) {
  const int64_t w = std::min(a.x1, b.x1) - std::max(a.x0, b.x0);
  const int64_t h = std::min(a.y1, b.y1) - std::max(a.y0, b.y0);
  return w > 0 && h > 0 ? w * h : 0;
}

void expect_apart_and_inside(const std::vector<PixelRect>& r, int w, int h) {
  for (size_t i = 0; i < r.size(); ++i) {
    EXPECT_GE(r[i].x0, 0) << i;
    EXPECT_GE(r[i].y0, 0) << i;
    EXPECT_LE(r[i].x1, w) << i;
    EXPECT_LE(r[i].y1, h) << i;
    for (size_t j = 0; j < i; ++j) EXPECT_EQ(overlap_area(r[i], r[j]), 0) << i << " vs " << j;
  }
}

TEST(PlaceLabels, NeighbouringBoxesGetLabelsThatDoNotOverlap) {
  // Five boxes side by side, each narrower than its label: labels all above would overlap.
  std::vector<PixelRect> boxes, labels;
  for (int i = 0; i < 5; ++i) {
    boxes.push_back({60 * i, 100, 60 * i + 60, 250});
    labels.push_back({0, 0, 100, 20});
  }
  const auto r = detail::place_labels(boxes, labels, 400, 400, 2);
  ASSERT_EQ(r.size(), 5u);
  expect_apart_and_inside(r, 400, 400);
  EXPECT_EQ(r[0].y1, 100);  // the first (highest score) keeps the place above its box
  for (size_t i = 0; i < r.size(); ++i) {
    EXPECT_EQ(r[i].width(), 100);
    EXPECT_EQ(r[i].height(), 20);
  }
}

TEST(PlaceLabels, LabelsStayInsideTheImage) {
  // A box touching the top right corner, and one filling the bottom edge.
  const std::vector<PixelRect> boxes = {{150, 0, 200, 60}, {0, 170, 200, 200}};
  const std::vector<PixelRect> labels = {{0, 0, 90, 16}, {0, 0, 90, 16}};
  const auto r = detail::place_labels(boxes, labels, 200, 200, 2);
  expect_apart_and_inside(r, 200, 200);
  EXPECT_EQ(r[0].x1, 200);  // shifted left to fit
  EXPECT_EQ(r[0].y0, 2);    // inside the box, under its top edge
  EXPECT_EQ(r[1].y1, 170);  // above its box
}

TEST(PlaceLabels, IdenticalBoxesGetTheirLabelsOnDifferentSides) {
  const std::vector<PixelRect> boxes(3, PixelRect{50, 50, 150, 150});
  const std::vector<PixelRect> labels(3, PixelRect{0, 0, 80, 20});
  const auto r = detail::place_labels(boxes, labels, 300, 300, 2);
  expect_apart_and_inside(r, 300, 300);
  EXPECT_EQ(r[0].y0, 30);   // above
  EXPECT_EQ(r[1].y0, 52);   // inside, at the top
  EXPECT_EQ(r[2].y0, 150);  // below
  // A fifth identical box has no free place left: its label still stays inside the image.
  const auto crowded =
      detail::place_labels(std::vector<PixelRect>(5, PixelRect{50, 50, 150, 150}),
                           std::vector<PixelRect>(5, PixelRect{0, 0, 80, 20}), 300, 300, 2);
  EXPECT_GE(crowded[4].y0, 0);
  EXPECT_LE(crowded[4].y1, 300);
}

TEST(FormatLabel, TwoDecimalPercent) { EXPECT_EQ(format_label("dog", 0.91289f), "dog: 91.29%"); }

TEST(DefaultPalette, HasDistinctColours) {
  const auto& p = default_palette();
  ASSERT_GE(p.size(), 80u);
  for (size_t i = 0; i < 80; ++i)
    for (size_t j = i + 1; j < 80; ++j) EXPECT_NE(p[i], p[j]) << i << " " << j;
}

TEST(DrawLabeledBoxes, EachBoxHasItsOwnColourAndLabel) {
  auto buf = grey(400, 300);
  Image im = buf.view();
  draw_labeled_boxes(
      im, {{{50, 60, 100, 160}, {0, 255, 0}, "id 1"}, {{200, 60, 260, 160}, {0, 0, 255}, ""}});
  EXPECT_TRUE(pixel_is(im, 75, 160, 0, 255, 0));   // green outline (BGR)
  EXPECT_TRUE(pixel_is(im, 230, 160, 255, 0, 0));  // blue outline
  if (!default_font_path().empty()) {
    EXPECT_GT(changed_in(im, 50, 40, 100, 60), 50);  // label above the first box
    EXPECT_EQ(changed_in(im, 200, 40, 260, 58), 0);  // none above the second
  }
  EXPECT_EQ(palette_color(3), default_palette()[3]);
  EXPECT_EQ(palette_color(103), default_palette()[3]);
  EXPECT_EQ(palette_color(-5), default_palette()[0]);
}

TEST(DrawPolyline, DrawsConnectedSegmentsClipped) {
  auto buf = grey(100, 80);
  Image im = buf.view();
  draw_polyline(im, {{10.f, 10.f}, {50.f, 10.f}, {50.f, 200.f}}, {255, 0, 0}, 3);
  for (int x = 10; x <= 50; x += 5) EXPECT_TRUE(pixel_is(im, x, 10, 0, 0, 255)) << x;
  EXPECT_TRUE(pixel_is(im, 50, 79, 0, 0, 255));  // clipped at the bottom edge
  EXPECT_TRUE(pixel_is(im, 10, 9, 0, 0, 255));   // 3 px thick
  EXPECT_EQ(changed_in(im, 60, 20, 100, 80), 0);
  EXPECT_EQ(changed_in(im, 0, 20, 45, 80), 0);
}

}  // namespace
}  // namespace yoloxrt
