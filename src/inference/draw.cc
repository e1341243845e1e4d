#include "yoloxrt/draw.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>

#include <ft2build.h>
#include FT_FREETYPE_H

#include "inference/label_layout.h"
#include "yoloxrt/error.h"

namespace yoloxrt {
namespace fs = std::filesystem;

const std::vector<Rgb>& default_palette() {
  // Hues stepped by the golden angle so that neighbouring class ids get distant hues; three
  // saturation/value levels keep them apart when hues come close again.
  static const std::vector<Rgb> palette = [] {
    std::vector<Rgb> p;
    const double sat[] = {0.85, 0.60, 0.95};
    const double val[] = {0.95, 0.80, 0.65};
    for (int i = 0; i < 100; ++i) {
      const double h = std::fmod(i * 0.6180339887498949, 1.0) * 6.0;
      const double s = sat[i % 3], v = val[(i / 3) % 3];
      const int sector = static_cast<int>(h);
      const double f = h - sector;
      const double pv = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
      double r = 0, g = 0, b = 0;
      switch (sector % 6) {
        case 0:
          r = v, g = t, b = pv;
          break;
        case 1:
          r = q, g = v, b = pv;
          break;
        case 2:
          r = pv, g = v, b = t;
          break;
        case 3:
          r = pv, g = q, b = v;
          break;
        case 4:
          r = t, g = pv, b = v;
          break;
        default:
          r = v, g = pv, b = q;
          break;
      }
      auto u8 = [](double x) { return static_cast<uint8_t>(std::lround(x * 255.0)); };
      p.push_back({u8(r), u8(g), u8(b)});
    }
    return p;
  }();
  return palette;
}

fs::path default_font_path() {
  static const fs::path found = [] {
    const fs::path candidates[] = {
        "/usr/share/fonts/truetype/roboto/unhinted/RobotoTTF/Roboto-Regular.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"};
    for (const auto& c : candidates)
      if (fs::exists(c)) return c;
    std::error_code ec;
    fs::path any;
    for (const char* want : {"Roboto-Regular.ttf", "DejaVuSans.ttf", ""}) {
      for (auto it = fs::recursive_directory_iterator("/usr/share/fonts", ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        const fs::path& p = it->path();
        if (*want ? p.filename() == want : p.extension() == ".ttf") return p;
      }
      ec.clear();
    }
    return any;
  }();
  return found;
}

std::string format_label(const std::string& name, float score) {
  char pct[32];
  std::snprintf(pct, sizeof pct, "%.2f%%", static_cast<double>(score) * 100.0);
  return name + ": " + pct;
}

namespace {

// Per-thread FreeType state: FT_Library and its faces must not be shared between threads.
struct FreeTypeState {
  FT_Library library = nullptr;
  std::map<std::string, FT_Face> faces;
  FreeTypeState() {
    if (FT_Init_FreeType(&library)) library = nullptr;
  }
  ~FreeTypeState() {
    for (auto& [path, face] : faces)
      if (face) FT_Done_Face(face);
    if (library) FT_Done_FreeType(library);
  }
  // Returns the face, or nullptr if it cannot be opened (remembered, so each font fails once).
  FT_Face face(const fs::path& path) {
    auto it = faces.find(path.string());
    if (it != faces.end()) return it->second;
    FT_Face f = nullptr;
    if (!library || FT_New_Face(library, path.c_str(), 0, &f)) f = nullptr;
    faces[path.string()] = f;
    return f;
  }
};

FreeTypeState& freetype() {
  thread_local FreeTypeState state;
  return state;
}

// Decodes UTF-8 into code points; invalid bytes become U+FFFD.
std::vector<uint32_t> utf8_decode(const std::string& s) {
  std::vector<uint32_t> out;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    int n = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : -1;
    if (n < 0 || i + static_cast<size_t>(n) >= s.size() + (n == 0 ? 1 : 0)) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    uint32_t cp = n == 0 ? c : c & (0x3F >> n);
    bool ok = true;
    for (int k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + static_cast<size_t>(k)]);
      if ((cc >> 6) != 2) ok = false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    out.push_back(ok ? cp : 0xFFFD);
    i += ok ? static_cast<size_t>(n) + 1 : 1;
  }
  return out;
}

struct Bgr {
  uint8_t b, g, r;
};

void fill_rect(Image& im, int x0, int y0, int x1, int y1, Bgr c) {
  // Fills [x0, x1) x [y0, y1), clipped.
  x0 = std::max(x0, 0);
  y0 = std::max(y0, 0);
  x1 = std::min(x1, im.width);
  y1 = std::min(y1, im.height);
  for (int y = y0; y < y1; ++y) {
    uint8_t* p = im.row(y) + static_cast<size_t>(x0) * 3;
    for (int x = x0; x < x1; ++x, p += 3) {
      p[0] = c.b;
      p[1] = c.g;
      p[2] = c.r;
    }
  }
}

void blend_pixel(Image& im, int x, int y, Bgr c, unsigned alpha) {
  if (x < 0 || y < 0 || x >= im.width || y >= im.height || alpha == 0) return;
  uint8_t* p = im.row(y) + static_cast<size_t>(x) * 3;
  const unsigned inv = 255 - alpha;
  p[0] = static_cast<uint8_t>((c.b * alpha + p[0] * inv + 127) / 255);
  p[1] = static_cast<uint8_t>((c.g * alpha + p[1] * inv + 127) / 255);
  p[2] = static_cast<uint8_t>((c.r * alpha + p[2] * inv + 127) / 255);
}

struct TextMetrics {
  int width = 0, ascent = 0, descent = 0;
};

TextMetrics measure(FT_Face face, const std::vector<uint32_t>& text) {
  TextMetrics m;
  m.ascent = static_cast<int>(face->size->metrics.ascender >> 6);
  m.descent = static_cast<int>(-(face->size->metrics.descender >> 6));
  for (uint32_t cp : text)
    if (!FT_Load_Char(face, cp, FT_LOAD_DEFAULT))
      m.width += static_cast<int>(face->glyph->advance.x >> 6);
  return m;
}

void render_text(Image& im, FT_Face face, const std::vector<uint32_t>& text, int x, int baseline,
                 Bgr color) {
  for (uint32_t cp : text) {
    if (FT_Load_Char(face, cp, FT_LOAD_RENDER)) continue;
    const FT_GlyphSlot g = face->glyph;
    const FT_Bitmap& bm = g->bitmap;
    if (bm.pixel_mode == FT_PIXEL_MODE_GRAY) {
      const int left = x + g->bitmap_left, top = baseline - g->bitmap_top;
      for (unsigned r = 0; r < bm.rows; ++r) {
        const uint8_t* src = bm.buffer + static_cast<ptrdiff_t>(r) * bm.pitch;
        for (unsigned c = 0; c < bm.width; ++c)
          blend_pixel(im, left + static_cast<int>(c), top + static_cast<int>(r), color, src[c]);
      }
    }
    x += static_cast<int>(g->advance.x >> 6);
  }
}

int64_t overlap(const detail::PixelRect& a, const detail::PixelRect& b) {
  const int64_t w = std::min(a.x1, b.x1) - std::max(a.x0, b.x0);
  const int64_t h = std::min(a.y1, b.y1) - std::max(a.y0, b.y0);
  return w > 0 && h > 0 ? w * h : 0;
}

}  // namespace

namespace detail {

std::vector<PixelRect> place_labels(const std::vector<PixelRect>& boxes,
                                    const std::vector<PixelRect>& labels, int image_w, int image_h,
                                    int line_width) {
  std::vector<PixelRect> placed;
  placed.reserve(boxes.size());
  for (size_t i = 0; i < boxes.size(); ++i) {
    const PixelRect& box = boxes[i];
    const int w = labels[i].width(), h = labels[i].height();
    const int x = std::clamp(box.x0, 0, std::max(0, image_w - w));
    const int tops[] = {box.y0 - h, box.y0 + line_width, box.y1, box.y1 - line_width - h};
    int best = -1;
    int64_t best_overlap = 0;
    for (int k = 0; k < 4; ++k) {
      const PixelRect r{x, tops[k], x + w, tops[k] + h};
      if (r.y0 < 0 || r.y1 > image_h) continue;
      int64_t o = 0;
      for (const PixelRect& p : placed) o += overlap(r, p);
      if (best < 0 || o < best_overlap) best = k, best_overlap = o;
      if (o == 0) break;
    }
    const int y = best >= 0 ? tops[best] : std::clamp(tops[0], 0, std::max(0, image_h - h));
    placed.push_back({x, y, x + w, y + h});
  }
  return placed;
}

}  // namespace detail

Rgb palette_color(int key) {
  const auto& p = default_palette();
  return p[static_cast<size_t>(std::max(key, 0)) % p.size()];
}

void draw_detections(Image& image, const std::vector<Detection>& detections,
                     const std::vector<std::string>& class_names, const std::vector<Rgb>& colors,
                     const DrawOptions& options) {
  std::vector<LabeledBox> boxes;
  boxes.reserve(detections.size());
  for (const Detection& d : detections) {
    const Rgb rgb = d.class_id >= 0 && static_cast<size_t>(d.class_id) < colors.size()
                        ? colors[static_cast<size_t>(d.class_id)]
                        : palette_color(d.class_id);
    boxes.push_back({d.box, rgb, format_label(class_label(class_names, d.class_id), d.score)});
  }
  draw_labeled_boxes(image, boxes, options);
}

void draw_labeled_boxes(Image& image, const std::vector<LabeledBox>& boxes,
                        const DrawOptions& options) {
  if (image.empty()) return;
  FT_Face face = nullptr;
  const fs::path font = options.font_path.empty() ? default_font_path() : options.font_path;
  if (!font.empty()) {
    face = freetype().face(font);
    if (!face && !options.font_path.empty()) {
      if (!fs::exists(options.font_path))
        throw Error(ErrorKind::kNotFound, "font file does not exist", options.font_path.string());
      throw Error(ErrorKind::kCorrupt, "FreeType cannot load the font", options.font_path.string());
    }
  }
  const double diagonal =
      std::hypot(static_cast<double>(image.width), static_cast<double>(image.height));
  const int font_px =
      std::max(8, static_cast<int>(std::lround(options.font_scale * diagonal / 1000.0)));
  if (face && FT_Set_Pixel_Sizes(face, 0, static_cast<FT_UInt>(font_px))) face = nullptr;
  const int lw = std::max(1, options.line_width);

  struct Item {
    Bgr color;
    bool light;  // text black rather than white
    std::vector<uint32_t> text;
    TextMetrics metrics;
  };
  std::vector<Item> items;
  std::vector<detail::PixelRect> outlines, labels;
  const int pad = std::max(1, font_px / 6);
  for (const LabeledBox& b : boxes) {
    const Rgb rgb = b.color;
    const Bgr c{rgb[2], rgb[1], rgb[0]};
    const int x1 = static_cast<int>(std::lround(b.box.x1)),
              y1 = static_cast<int>(std::lround(b.box.y1));
    const int x2 = static_cast<int>(std::lround(b.box.x2)),
              y2 = static_cast<int>(std::lround(b.box.y2));
    // Outline: lw pixels inside [x1, x2] x [y1, y2].
    fill_rect(image, x1, y1, x2 + 1, y1 + lw, c);
    fill_rect(image, x1, y2 + 1 - lw, x2 + 1, y2 + 1, c);
    fill_rect(image, x1, y1, x1 + lw, y2 + 1, c);
    fill_rect(image, x2 + 1 - lw, y1, x2 + 1, y2 + 1, c);
    if (!face || b.label.empty()) continue;
    Item it;
    it.color = c;
    // ITU-R BT.601 luma decides the text colour.
    it.light = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] > 140;
    it.text = utf8_decode(b.label);
    it.metrics = measure(face, it.text);
    outlines.push_back({x1, y1, x2 + 1, y2 + 1});
    labels.push_back(
        {0, 0, it.metrics.width + 2 * pad, it.metrics.ascent + it.metrics.descent + 2 * pad});
    items.push_back(std::move(it));
  }
  // Labels after all outlines, so that no outline is drawn over a label.
  const auto placed = detail::place_labels(outlines, labels, image.width, image.height, lw);
  for (size_t i = 0; i < items.size(); ++i) {
    const detail::PixelRect& r = placed[i];
    fill_rect(image, r.x0, r.y0, r.x1, r.y1, items[i].color);
    const Bgr text_color = items[i].light ? Bgr{0, 0, 0} : Bgr{255, 255, 255};
    render_text(image, face, items[i].text, r.x0 + pad, r.y0 + pad + items[i].metrics.ascent,
                text_color);
  }
}

void draw_polyline(Image& image, const std::vector<std::array<float, 2>>& points, Rgb color,
                   int width) {
  if (image.empty() || points.empty()) return;
  const Bgr c{color[2], color[1], color[0]};
  const int w = std::max(1, width);
  const int lo = -(w - 1) / 2, hi = lo + w;  // a w x w dot around each point on the line
  auto dot = [&](double x, double y) {
    const int cx = static_cast<int>(std::lround(x)), cy = static_cast<int>(std::lround(y));
    fill_rect(image, cx + lo, cy + lo, cx + hi, cy + hi, c);
  };
  auto finite = [](const std::array<float, 2>& p) {
    return std::isfinite(p[0]) && std::isfinite(p[1]);
  };
  if (finite(points[0])) dot(points[0][0], points[0][1]);
  for (size_t k = 1; k < points.size(); ++k) {
    if (!finite(points[k - 1]) || !finite(points[k])) continue;
    const double x0 = points[k - 1][0], y0 = points[k - 1][1];
    const double dx = points[k][0] - x0, dy = points[k][1] - y0;
    // Far-off points (a box that left the frame) are clipped by fill_rect; cap the steps.
    const int steps =
        std::min(100000, static_cast<int>(std::ceil(std::max(std::abs(dx), std::abs(dy)))));
    for (int s = 1; s <= steps; ++s) dot(x0 + dx * s / steps, y0 + dy * s / steps);
  }
}

}  // namespace yoloxrt
