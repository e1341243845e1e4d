#include "track/iou.h"

#include <algorithm>

namespace yoloxrt::track {

double iou_plus_one(const TlbrBox& a, const TlbrBox& b) {
  // The operations in cython_bbox's order (b plays its query box).
  const double iw = std::min(a.x2, b.x2) - std::max(a.x1, b.x1) + 1;
  if (!(iw > 0)) return 0;
  const double ih = std::min(a.y2, b.y2) - std::max(a.y1, b.y1) + 1;
  if (!(ih > 0)) return 0;
  const double area_b = (b.x2 - b.x1 + 1) * (b.y2 - b.y1 + 1);
  const double ua = (a.x2 - a.x1 + 1) * (a.y2 - a.y1 + 1) + area_b - iw * ih;
  return iw * ih / ua;
}

void iou_distance(const std::vector<TlbrBox>& a, const std::vector<TlbrBox>& b,
                  std::vector<double>& out) {
  out.resize(a.size() * b.size());
  for (size_t i = 0; i < a.size(); ++i)
    for (size_t j = 0; j < b.size(); ++j) out[i * b.size() + j] = 1 - iou_plus_one(a[i], b[j]);
}

}  // namespace yoloxrt::track
