// yoloxrt/coco_eval.h - COCO ground truth, COCO results and COCOeval's `bbox` metrics.
//
// What pycocotools' COCOeval (iouType "bbox", default Params) computes, reproduced number for
// number: IoU thresholds 0.50:0.05:0.95, 101 recall points with the precision envelope, maxDets
// 1/10/100 per image and category, area ranges all / small / medium / large on the ground truth's
// `area`, crowd regions, the score order and ties of its stable (mergesort) sorts, and -1 where a
// metric has no ground truth. Plain JSON and arithmetic: no ONNX Runtime, no OpenCV.
//
// Boxes are COCO's [x, y, w, h] (top-left corner and size) in original-image pixels, as doubles
// (pycocotools computes in float64). All functions are thread-safe (no shared state).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace yoloxrt {

struct CocoBox {
  double x = 0, y = 0, w = 0, h = 0;  // top-left corner and size, pixels
};

struct CocoImage {
  int64_t id = 0;
  std::string file_name;
  int width = 0, height = 0;  // 0 when the file does not say
};

struct CocoCategory {
  int64_t id = 0;
  std::string name;
};

struct CocoAnnotation {
  int64_t id = 0;  // COCOeval treats a match to id 0 as no match; kept as read
  int64_t image_id = 0;
  int64_t category_id = 0;
  CocoBox bbox;
  double area = 0;  // the annotation's "area" (official COCO: the mask area); else w * h
  bool iscrowd = false;
};

// A COCO "instances" ground truth. `images` and `annotations` keep the file's order (which
// decides COCOeval's tie-breaking); `categories` are sorted by id (COCOeval's order).
struct CocoGroundTruth {
  std::vector<CocoImage> images;
  std::vector<CocoCategory> categories;
  std::vector<CocoAnnotation> annotations;
};

// One detection of a COCO results file.
struct CocoDetection {
  int64_t image_id = 0;
  int64_t category_id = 0;
  CocoBox bbox;
  double score = 0;
};

// Parses a COCO instances JSON: an object with "images" [{id, file_name, width?, height?}],
// "annotations" [{id, image_id, category_id, bbox [x, y, w, h], area?, iscrowd?}] and
// "categories" [{id, name}]. Other keys (info, licenses, segmentation, ...) are ignored.
// Throws Error(kCorrupt) without a file name, naming the entry (list and index, or id), for:
// malformed JSON or a missing list; a missing or non-integer id; duplicate image ids, file
// names, category ids or annotation ids; an annotation whose image_id or category_id is not
// listed; a bbox that is not 4 finite numbers or has a negative width or height; a negative or
// non-finite area.
CocoGroundTruth parse_coco_ground_truth(std::string_view json_text);
// Reads and parses `path`; errors name it (Error(kNotFound)/Error(kIo) when unreadable).
CocoGroundTruth read_coco_ground_truth(const std::filesystem::path& path);

// Parses a COCO results file: a JSON list [{image_id, category_id, bbox [x, y, w, h], score}]
// (other keys ignored), in file order. Streams the text (no JSON tree), so 500,000 detections cost
// their own 56 bytes each. Throws Error(kCorrupt) without a file name, naming the entry (index and
// image_id where known) for: malformed JSON (a NaN literal included), a top level that is not a
// list, an entry that is not an object or misses a field, non-integer ids, a bbox that is not 4
// finite numbers or has a negative width or height, a non-finite score.
std::vector<CocoDetection> parse_coco_results(std::string_view json_text);
// Reads and parses `path`; errors name it.
std::vector<CocoDetection> read_coco_results(const std::filesystem::path& path);

// The inverse of parse_coco_results for CocoDetection values (doubles): a JSON list, one
// detection per line, numbers in their shortest form that reads back as the same double (so
// re-reading gives identical metrics). Detections of a Detector (floats) are written by
// results.h's coco_results_json / ResultsWriter.
std::string format_coco_results(std::span<const CocoDetection> detections);

// How a model's class ids become ground-truth category ids: category_ids[class_id].
//  - by name (by_name = true) when every class name is a category name, or every category name
//    is a class name (a COCO model on a ground truth of a few COCO categories); classes without a
//    category of their name get kNone and their detections are dropped;
//  - else by position: class i -> the i-th category in id order (a model trained on the
//    dataset's categories in the usual order).
// Throws Error(kMismatch) when the names do not match and the model has more classes than the
// ground truth has categories.
struct CocoClassMapping {
  static constexpr int64_t kNone = std::numeric_limits<int64_t>::min();
  std::vector<int64_t> category_ids;  // index = class id; kNone = not evaluated
  bool by_name = false;
};
CocoClassMapping map_classes_to_categories(const std::vector<std::string>& class_names,
                                           const CocoGroundTruth& gt);

// The 12 standard numbers, in COCOeval.stats order.
enum CocoStat { kAP, kAP50, kAP75, kAPs, kAPm, kAPl, kAR1, kAR10, kAR100, kARs, kARm, kARl };
constexpr int kCocoStatCount = 12;
// "AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl".
std::string_view coco_stat_name(int stat);

struct CocoClassMetrics {
  int64_t category_id = 0;
  std::string name;
  double ap = -1;    // AP@[.50:.95], area all, maxDets 100; -1 when the class has no ground truth
  double ap50 = -1;  // AP@.50, area all, maxDets 100; -1 likewise
  size_t gt_count = 0;    // non-crowd ground-truth boxes
  size_t detections = 0;  // detections of this category that were evaluated
};

struct CocoMetrics {
  std::array<double, kCocoStatCount> stats{};  // COCOeval.stats; -1 where no ground truth
  std::vector<CocoClassMetrics> per_class;     // one per gt.categories entry, in its order
  size_t images = 0;                           // images evaluated (every ground-truth image)
  size_t detections = 0;  // detections evaluated (before the 100 per image and category cut)
  // Detections whose category_id is not a ground-truth category: COCOeval ignores them too.
  size_t unknown_category_detections = 0;
};

// Evaluates `detections` against `gt` as COCOeval(gt, gt.loadRes(detections), "bbox") then
// evaluate(), accumulate(), summarize() does. Detection i's COCO id is i + 1 (loadRes's), so the
// order of `detections` decides ties exactly as the order of a results file does.
// Throws Error(kCorrupt) without a file name, naming the detection (index and image_id) for an
// image_id that is not a ground-truth image (loadRes's assertion), a bbox with a negative or
// non-finite size, a non-finite score.
// Cost: O(sum over image x category of D x G x 10 x 4) plus sorting; memory ~100 bytes per
// detection. No per-pair maps.
CocoMetrics evaluate_coco_bbox(const CocoGroundTruth& gt,
                               std::span<const CocoDetection> detections);

// COCOeval.summarize()'s 12 lines, each ending in '\n':
// " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.361".
std::string format_coco_summary(const std::array<double, kCocoStatCount>& stats);

// A per-class table, one line per category: id, name, AP, AP50, GT count ("-" for -1), each line
// ending in '\n', with a header line.
std::string format_coco_per_class(const CocoMetrics& metrics);

}  // namespace yoloxrt
