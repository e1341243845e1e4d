// Fuzzes the COCO readers and the evaluator. The first byte picks the input: even = a results
// file, evaluated against a small fixed ground truth; odd = a ground truth, evaluated with a
// detection on each of its boxes and one beside it (so matching, crowd and area paths all run).
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "yoloxrt/coco_eval.h"
#include "yoloxrt/error.h"

namespace {

const yoloxrt::CocoGroundTruth& fixed_ground_truth() {
  static const yoloxrt::CocoGroundTruth gt = yoloxrt::parse_coco_ground_truth(R"({
    "images": [{"id": 1, "file_name": "1.jpg"}, {"id": 2, "file_name": "2.jpg"}],
    "categories": [{"id": 1, "name": "a"}, {"id": 3, "name": "b"}],
    "annotations": [
      {"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 20, 20], "area": 400},
      {"id": 2, "image_id": 1, "category_id": 1, "bbox": [10, 10, 50, 50], "area": 2500},
      {"id": 3, "image_id": 2, "category_id": 3, "bbox": [0, 0, 200, 200], "area": 40000,
       "iscrowd": 1},
      {"id": 4, "image_id": 2, "category_id": 3, "bbox": [5, 5, 120, 100], "area": 9000}]})");
  return gt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    if (data[0] % 2 == 0) {
      const auto dets = yoloxrt::parse_coco_results(text);
      (void)yoloxrt::evaluate_coco_bbox(fixed_ground_truth(), dets);
    } else {
      const auto gt = yoloxrt::parse_coco_ground_truth(text);
      std::vector<yoloxrt::CocoDetection> dets;
      for (size_t i = 0; i < gt.annotations.size() && i < 1000; ++i) {
        const auto& a = gt.annotations[i];
        dets.push_back({a.image_id, a.category_id, a.bbox, 1.0 / double(i + 1)});
        dets.push_back({a.image_id,
                        a.category_id,
                        {a.bbox.x + a.bbox.w / 2, a.bbox.y, a.bbox.w, a.bbox.h},
                        0.5});
      }
      (void)yoloxrt::evaluate_coco_bbox(gt, dets);
    }
  } catch (const yoloxrt::Error&) {
  }
  return 0;
}
