// track/iou.h - IoU distances for the tracker, with ByteTrack's +1 pixel convention.
//
// Not yoloxrt::iou (detection.h): ByteTrack's cython_bbox.bbox_overlaps counts a box x1..x2 as
// x2 - x1 + 1 pixels wide, works in double precision, and the tracker needs its exact arithmetic
// to reproduce ByteTrack's assignments. Private to the track layer; pure functions.
#pragma once

#include <vector>

namespace yoloxrt::track {

struct TlbrBox {
  double x1, y1, x2, y2;
};

// cython_bbox.bbox_overlaps(a, b)[i][j]: intersection (iw, ih each + 1, 0 unless both > 0) over
// area_a + area_b - intersection, areas with + 1 on both sides.
double iou_plus_one(const TlbrBox& a, const TlbrBox& b);

// matching.iou_distance: out[i * b.size() + j] = 1 - iou_plus_one(a[i], b[j]); `out` is resized.
void iou_distance(const std::vector<TlbrBox>& a, const std::vector<TlbrBox>& b,
                  std::vector<double>& out);

}  // namespace yoloxrt::track
