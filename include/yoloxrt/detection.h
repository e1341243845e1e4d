// yoloxrt/detection.h - detections and the pure post-processing of YOLOX outputs.
//
// Everything here is plain arithmetic on floats: no ONNX Runtime, no OpenCV, so it can be unit
// tested and benchmarked on hand-made tensors. All functions are thread-safe (no shared state).
//
// Coordinate frames:
//  - "input pixels": the pixel grid of the tensor fed to the model (after resize/crop/pad);
//  - "original pixels": the pixel grid of the image the caller passed in.
// Boxes are always xyxy (x1, y1 top-left, x2, y2 bottom-right), in float pixels, x right, y down.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "yoloxrt/model_metadata.h"

namespace yoloxrt {

struct Box {
  float x1 = 0, y1 = 0, x2 = 0, y2 = 0;

  float width() const { return x2 - x1; }
  float height() const { return y2 - y1; }
};

struct Detection {
  Box box;
  int class_id = 0;
  float score = 0;  // obj * max(cls) for raw outputs, the model's prob for decoded ones, 0..1
};

// Returns class_names[class_id], or "class <id>" when the id is outside the list.
std::string class_label(const std::vector<std::string>& class_names, int class_id);

// Intersection over union with areas w*h (no "+1" pixel convention). Returns 0 when the union is
// empty (degenerate boxes).
float iou(const Box& a, const Box& b);

// --- decoding ------------------------------------------------------------------------------------
// Each decoder reads one image's output rows [N, K] (row-major) and returns the rows whose score is
// strictly greater than `conf`, in row order, with boxes in input pixels. Nothing is clipped here.

// Raw YOLOX rows [tx, ty, tw, th, obj, cls_0..cls_{C-1}] (obj and cls already sigmoided), K = 5 +
// C. Both families' raw output (Megvii demo_postprocess / cjm wrapper without box calculation):
// anchors are the grid cells of each stride in `strides` order, (input_h/s) x (input_w/s) cells
// row-major with x fastest; cx = (tx + gx) * s, cy = (ty + gy) * s, w = exp(tw) * s,
// h = exp(th) * s; score = obj * max(cls), class = argmax(cls) (first on ties).
// The exps are only computed for rows that pass the threshold.
// Throws Error(kMismatch) if num_rows differs from the anchor count of the grids, and
// Error(kInvalidArgument) if row_len < 6.
std::vector<Detection> decode_raw_output(const float* rows, size_t num_rows, size_t row_len,
                                         int input_h, int input_w, std::span<const int> strides,
                                         float conf);

// cjm tutorial's decoded rows [x0, y0, w, h, label, prob] (K = 6): keeps prob > conf.
std::vector<Detection> decode_decoded_output(const float* rows, size_t num_rows, float conf);

// Megvii's decoded rows [cx, cy, w, h, obj, cls...] (K = 5 + C), score = obj * max(cls).
// Throws Error(kInvalidArgument) if row_len < 6.
std::vector<Detection> decode_megvii_decoded_output(const float* rows, size_t num_rows,
                                                    size_t row_len, float conf);

// One image's outputs of an end-to-end model (OutputFormat::kEndToEnd, NMS already done in the
// graph): the first num_dets rows (clamped to 0..k) of boxes [k, 4] (x1, y1, x2, y2 in input
// pixels), scores [k] and classes [k]; keeps score > conf, in row order (the graph's NMS order,
// descending score).
std::vector<Detection> decode_end_to_end_output(int64_t num_dets, const float* boxes,
                                                const float* scores, const int32_t* classes,
                                                size_t k, float conf);

// --- non-maximum suppression ---------------------------------------------------------------------
struct NmsOptions {
  float iou_threshold = 0.45f;  // a box is suppressed by a kept one when IoU > this (strict)
  bool per_class = false;       // false: class-agnostic (both families' demos); true: per class
  size_t max_det = 300;         // at most this many are returned (0 = no limit)
};

// Greedy NMS: sorts by score descending (stable, so equal scores keep their input order), keeps a
// box unless a kept box (of the same class if per_class) overlaps it with IoU > threshold.
// Returns the kept detections in descending score order.
std::vector<Detection> nms(std::vector<Detection> detections, const NmsOptions& options);

// --- resize geometry -----------------------------------------------------------------------------
// How an image of image_w x image_h becomes the model input of input_w x input_h:
//  1. resize it (bilinear) to resized_w x resized_h, a uniform scale of `scale` (up to the
//     integer truncation of the sizes);
//  2. take the input pixel (x, y) from the resized pixel (x + offset_x, y + offset_y); pixels
//     outside the resized image are filled with kPadValue (on the 0..255 scale).
// An input-pixel point p maps back to original pixels as (p + offset) / scale.
struct ResizePlan {
  ResizePolicy policy = ResizePolicy::kLetterbox;
  int image_w = 0, image_h = 0;
  int resized_w = 0, resized_h = 0;
  int input_w = 0, input_h = 0;
  int offset_x = 0, offset_y = 0;  // >= 0 when cropping, 0 otherwise
  double scale = 1.0;              // resized / original
};

// Megvii's letterbox canvas value.
constexpr float kPadValue = 114.f;

// Plans the resize of an image_w x image_h image for a target of target_h x target_w.
//  - kLetterbox (Megvii preproc): r = min(target_h / h, target_w / w), resized
//    (int(w r), int(h r)), pasted top-left on a target_h x target_w canvas.
//  - kCrop (cjm tutorial): if `exact` is false, the short side becomes min(target_h, target_w)
//    keeping the aspect ratio (long side int(long * r)), then each side is cut down to a multiple
//    of 32 by cropping equally from both ends (offset = (resized - input) / 2, integer). If
//    `exact`, the image is scaled to cover target_h x target_w (r = max(...)) and centre-cropped to
//    it.
//  - kPad: if `exact` is false, short side to min(target_h, target_w), then the input is the
//    resized image padded bottom/right up to multiples of 32 (nothing cropped). If `exact`, the
//    same as letterbox.
// Use exact = true for models with a fixed input size, or when the user gave H x W.
// Throws Error(kInvalidArgument) for non-positive sizes or a computed input side below 32.
ResizePlan plan_resize(ResizePolicy policy, int image_w, int image_h, int target_h, int target_w,
                       bool exact = false);

// Maps a box from input pixels to original pixels ((p + offset) / scale) and clips it to
// [0, image_w] x [0, image_h].
Box map_box_to_original(const Box& box, const ResizePlan& plan);

// The forward map (original -> input pixels: p * scale - offset), not clipped. For tests and for
// callers that draw on the model input.
Box map_box_to_input(const Box& box, const ResizePlan& plan);

}  // namespace yoloxrt
