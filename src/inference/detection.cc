#include "yoloxrt/detection.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "yoloxrt/error.h"

namespace yoloxrt {

// class_label is defined in src/core/results.cc (the result writers need it in the core).

float iou(const Box& a, const Box& b) {
  const float iw = std::min(a.x2, b.x2) - std::max(a.x1, b.x1);
  const float ih = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
  if (iw <= 0.f || ih <= 0.f) return 0.f;
  const float inter = iw * ih;
  const float area_a = std::max(0.f, a.width()) * std::max(0.f, a.height());
  const float area_b = std::max(0.f, b.width()) * std::max(0.f, b.height());
  const float uni = area_a + area_b - inter;
  return uni > 0.f ? inter / uni : 0.f;
}

namespace {

void require_row_len(size_t row_len, const char* fn) {
  if (row_len < 6)
    throw Error(ErrorKind::kInvalidArgument,
                std::string(fn) + ": row length " + std::to_string(row_len) +
                    " is too short (expected 5 + classes, at least 6)");
}

// Returns (index of the max class, max class score) over row[5..row_len).
inline std::pair<int, float> best_class(const float* row, size_t row_len) {
  const float* cls = row + 5;
  const size_t n = row_len - 5;
  // Two passes: a branch-free max reduction the compiler vectorises, then the first index that
  // holds it (argmax's first-index tie rule, as numpy and ORT use).
  float best_v = cls[0];
#pragma omp simd reduction(max : best_v)
  for (size_t c = 0; c < n; ++c) best_v = cls[c] > best_v ? cls[c] : best_v;
  size_t best = 0;
  while (best < n && !(cls[best] == best_v)) ++best;
  return {best < n ? static_cast<int>(best) : 0, best_v};
}

}  // namespace

std::vector<Detection> decode_raw_output(const float* rows, size_t num_rows, size_t row_len,
                                         int input_h, int input_w, std::span<const int> strides,
                                         float conf) {
  require_row_len(row_len, "decode_raw_output");
  size_t anchors = 0;
  for (int s : strides) {
    if (s <= 0) throw Error(ErrorKind::kInvalidArgument, "decode_raw_output: stride must be > 0");
    anchors += static_cast<size_t>(input_h / s) * static_cast<size_t>(input_w / s);
  }
  if (anchors != num_rows)
    throw Error(ErrorKind::kMismatch, "decode_raw_output: the output has " +
                                          std::to_string(num_rows) + " rows but an input of " +
                                          std::to_string(input_h) + "x" + std::to_string(input_w) +
                                          " has " + std::to_string(anchors) + " anchors");
  std::vector<Detection> out;
  const float* row = rows;
  for (int s : strides) {
    const int gh = input_h / s, gw = input_w / s;
    const float fs = static_cast<float>(s);
    for (int gy = 0; gy < gh; ++gy) {
      for (int gx = 0; gx < gw; ++gx, row += row_len) {
        // Classes are sigmoided (<= 1), so obj bounds the score: skip the class scan early.
        const float obj = row[4];
        if (!(obj > conf)) continue;
        const auto [cls, cls_score] = best_class(row, row_len);
        const float score = obj * cls_score;
        if (!(score > conf)) continue;
        const float cx = (row[0] + static_cast<float>(gx)) * fs;
        const float cy = (row[1] + static_cast<float>(gy)) * fs;
        const float w = std::exp(row[2]) * fs;
        const float h = std::exp(row[3]) * fs;
        out.push_back({{cx - w * 0.5f, cy - h * 0.5f, cx + w * 0.5f, cy + h * 0.5f}, cls, score});
      }
    }
  }
  return out;
}

std::vector<Detection> decode_decoded_output(const float* rows, size_t num_rows, float conf) {
  std::vector<Detection> out;
  for (size_t i = 0; i < num_rows; ++i) {
    const float* r = rows + i * 6;
    if (!(r[5] > conf)) continue;
    out.push_back(
        {{r[0], r[1], r[0] + r[2], r[1] + r[3]}, static_cast<int>(std::lround(r[4])), r[5]});
  }
  return out;
}

std::vector<Detection> decode_megvii_decoded_output(const float* rows, size_t num_rows,
                                                    size_t row_len, float conf) {
  require_row_len(row_len, "decode_megvii_decoded_output");
  std::vector<Detection> out;
  for (size_t i = 0; i < num_rows; ++i) {
    const float* r = rows + i * row_len;
    if (!(r[4] > conf)) continue;
    const auto [cls, cls_score] = best_class(r, row_len);
    const float score = r[4] * cls_score;
    if (!(score > conf)) continue;
    const float hw = r[2] * 0.5f, hh = r[3] * 0.5f;
    out.push_back({{r[0] - hw, r[1] - hh, r[0] + hw, r[1] + hh}, cls, score});
  }
  return out;
}

std::vector<Detection> decode_end_to_end_output(int64_t num_dets, const float* boxes,
                                                const float* scores, const int32_t* classes,
                                                size_t k, float conf) {
  const size_t n = static_cast<size_t>(std::clamp<int64_t>(num_dets, 0, static_cast<int64_t>(k)));
  std::vector<Detection> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (!(scores[i] > conf)) continue;
    const float* b = boxes + 4 * i;
    out.push_back({{b[0], b[1], b[2], b[3]}, classes[i], scores[i]});
  }
  return out;
}

std::vector<Detection> nms(std::vector<Detection> detections, const NmsOptions& options) {
  std::stable_sort(detections.begin(), detections.end(),
                   [](const Detection& a, const Detection& b) { return a.score > b.score; });
  std::vector<Detection> kept;
  // The kept boxes' areas, so that each test is a few multiplies: IoU > t <=> inter > t * union.
  std::vector<float> kept_area;
  const size_t cap = options.max_det ? options.max_det : detections.size();
  kept.reserve(std::min(detections.size(), cap));
  kept_area.reserve(kept.capacity());
  const float t = options.iou_threshold;
  for (const Detection& d : detections) {
    if (kept.size() >= cap) break;
    const Box& b = d.box;
    const float area = std::max(0.f, b.width()) * std::max(0.f, b.height());
    bool suppressed = false;
    for (size_t j = 0; j < kept.size(); ++j) {
      const Detection& k = kept[j];
      if (options.per_class && k.class_id != d.class_id) continue;
      const float iw = std::min(b.x2, k.box.x2) - std::max(b.x1, k.box.x1);
      if (iw <= 0.f) continue;
      const float ih = std::min(b.y2, k.box.y2) - std::max(b.y1, k.box.y1);
      if (ih <= 0.f) continue;
      const float inter = iw * ih;
      const float uni = area + kept_area[j] - inter;
      if (uni > 0.f && inter / uni > t) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) {
      kept.push_back(d);
      kept_area.push_back(area);
    }
  }
  return kept;
}

namespace {

int floor32(int v) { return v / 32 * 32; }
int ceil32(int v) { return (v + 31) / 32 * 32; }

void require_positive(int v, const char* what) {
  if (v <= 0)
    throw Error(ErrorKind::kInvalidArgument,
                std::string("plan_resize: ") + what + " must be > 0, got " + std::to_string(v));
}

// Short side to `target` keeping the aspect ratio; the long side is truncated as the cjm tutorial
// does (int(long / (short / target))).
void resize_short_side(ResizePlan& p, int target) {
  const int short_side = std::min(p.image_w, p.image_h);
  const double ratio = static_cast<double>(short_side) / target;
  if (p.image_w <= p.image_h) {
    p.resized_w = target;
    p.resized_h = std::max(1, static_cast<int>(p.image_h / ratio));
  } else {
    p.resized_h = target;
    p.resized_w = std::max(1, static_cast<int>(p.image_w / ratio));
  }
  p.scale = static_cast<double>(target) / short_side;
}

void fit_inside(ResizePlan& p, int target_h, int target_w) {
  // Megvii preproc: r = min(H/h, W/w), resize to (int(w r), int(h r)), paste top-left.
  const double r = std::min(static_cast<double>(target_h) / p.image_h,
                            static_cast<double>(target_w) / p.image_w);
  p.scale = r;
  p.resized_w = std::max(1, static_cast<int>(p.image_w * r));
  p.resized_h = std::max(1, static_cast<int>(p.image_h * r));
  p.input_w = target_w;
  p.input_h = target_h;
}

}  // namespace

ResizePlan plan_resize(ResizePolicy policy, int image_w, int image_h, int target_h, int target_w,
                       bool exact) {
  require_positive(image_w, "image width");
  require_positive(image_h, "image height");
  require_positive(target_h, "target height");
  require_positive(target_w, "target width");
  ResizePlan p;
  p.policy = policy;
  p.image_w = image_w;
  p.image_h = image_h;
  switch (policy) {
    case ResizePolicy::kLetterbox:
      fit_inside(p, target_h, target_w);
      break;
    case ResizePolicy::kPad:
      if (exact) {
        fit_inside(p, target_h, target_w);
      } else {
        resize_short_side(p, std::min(target_h, target_w));
        p.input_w = ceil32(p.resized_w);
        p.input_h = ceil32(p.resized_h);
      }
      break;
    case ResizePolicy::kCrop:
      if (exact) {
        const double r = std::max(static_cast<double>(target_h) / image_h,
                                  static_cast<double>(target_w) / image_w);
        p.scale = r;
        p.resized_w = std::max(target_w, static_cast<int>(image_w * r));
        p.resized_h = std::max(target_h, static_cast<int>(image_h * r));
        p.input_w = target_w;
        p.input_h = target_h;
      } else {
        // cjm tutorial: short side to the target, then cut each side down to a multiple of 32.
        resize_short_side(p, std::min(target_h, target_w));
        p.input_w = floor32(p.resized_w);
        p.input_h = floor32(p.resized_h);
      }
      p.offset_x = (p.resized_w - p.input_w) / 2;
      p.offset_y = (p.resized_h - p.input_h) / 2;
      break;
  }
  if (p.input_w < 32 || p.input_h < 32)
    throw Error(ErrorKind::kInvalidArgument,
                "plan_resize: the model input would be " + std::to_string(p.input_h) + "x" +
                    std::to_string(p.input_w) + " (each side must be at least 32)");
  return p;
}

Box map_box_to_original(const Box& b, const ResizePlan& plan) {
  const double s = plan.scale;
  auto mx = [&](float v) {
    return static_cast<float>(
        std::clamp((v + plan.offset_x) / s, 0.0, static_cast<double>(plan.image_w)));
  };
  auto my = [&](float v) {
    return static_cast<float>(
        std::clamp((v + plan.offset_y) / s, 0.0, static_cast<double>(plan.image_h)));
  };
  return {mx(b.x1), my(b.y1), mx(b.x2), my(b.y2)};
}

Box map_box_to_input(const Box& b, const ResizePlan& plan) {
  const double s = plan.scale;
  return {
      static_cast<float>(b.x1 * s - plan.offset_x), static_cast<float>(b.y1 * s - plan.offset_y),
      static_cast<float>(b.x2 * s - plan.offset_x), static_cast<float>(b.y2 * s - plan.offset_y)};
}

}  // namespace yoloxrt
