// inference/label_layout.h - private: where draw_detections puts each label.
#pragma once

#include <vector>

namespace yoloxrt::detail {

// A half-open pixel rectangle [x0, x1) x [y0, y1).
struct PixelRect {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  int width() const { return x1 - x0; }
  int height() const { return y1 - y0; }
};

// Places one label of size label_w x label_h per box (in drawing order, so earlier boxes, the
// higher scores, get the better places), left-aligned with its box and kept inside the image
// horizontally. Tried in turn: above the box, inside it at its top (below its `line_width` top
// edge), below it, inside it at its bottom; the first that lies inside the image and overlaps no
// label placed before wins; if none does, the one with the least overlap among those inside the
// image (or the first, when none fits the image). REQUIRES: labels.size() == boxes.size().
std::vector<PixelRect> place_labels(const std::vector<PixelRect>& boxes,
                                    const std::vector<PixelRect>& labels, int image_w, int image_h,
                                    int line_width);

}  // namespace yoloxrt::detail
