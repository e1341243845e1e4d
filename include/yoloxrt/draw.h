// yoloxrt/draw.h - annotate an image with detections (boxes and TrueType labels).
//
// Text is rendered with FreeType directly and alpha-blended onto the image.
// Drawing follows the cjm tutorial's look: a box outline 2 px wide in the class colour, and the
// label "<name>: 91.29%" on a filled box of the class colour above the box, font size
// 18 * (image diagonal / 1000) px, black text on light colours and white on dark ones. A label
// that would leave the image or overlap an earlier (higher-scoring) detection's label goes inside
// its box at the top, else below the box, else inside at the bottom.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "yoloxrt/detection.h"
#include "yoloxrt/image.h"

namespace yoloxrt {

using Rgb = std::array<uint8_t, 3>;

// A fixed palette of 100 well-separated RGB colours; class i uses entry i % 100.
const std::vector<Rgb>& default_palette();

// The default font: Roboto Regular if installed under /usr/share/fonts, else DejaVu Sans, else any
// .ttf found there. Returns an empty path if none is found.
std::filesystem::path default_font_path();

struct DrawOptions {
  std::filesystem::path font_path;  // empty: default_font_path(); no font at all: boxes only
  int line_width = 2;
  float font_scale = 18.f;  // font px = font_scale * diagonal / 1000 (at least 8 px)
};

// Draws `detections` (boxes in `image` pixels, as Detector::detect returns them) onto `image`.
// Class i is labelled class_label(class_names, i) and coloured colors[i] (RGB; the palette when
// `colors` is shorter). Boxes partly outside the image are clipped.
// Throws Error(kNotFound)/Error(kCorrupt) naming the font if an explicitly given font cannot be
// loaded. Thread-safe (each thread keeps its own FreeType state).
void draw_detections(Image& image, const std::vector<Detection>& detections,
                     const std::vector<std::string>& class_names, const std::vector<Rgb>& colors,
                     const DrawOptions& options = {});

// One box with its own colour and label text (empty: outline only), e.g. a track with its id.
struct LabeledBox {
  Box box;  // xyxy in image pixels
  Rgb color;
  std::string label;
};

// Draws boxes in draw_detections' look (outline, label on a filled box of the box colour above
// it). Throws and is thread-safe as draw_detections.
void draw_labeled_boxes(Image& image, const std::vector<LabeledBox>& boxes,
                        const DrawOptions& options = {});

// Draws a polyline through `points` (x, y in image pixels), `width` px thick, clipped to the
// image (e.g. a track's recent centres). Thread-safe.
void draw_polyline(Image& image, const std::vector<std::array<float, 2>>& points, Rgb color,
                   int width = 2);

// default_palette()[key % 100] for any key >= 0 (a class or track id; negative keys use 0).
Rgb palette_color(int key);

// Formats the label text "<name>: 91.29%" (score as a percentage with 2 decimals).
std::string format_label(const std::string& name, float score);

}  // namespace yoloxrt
