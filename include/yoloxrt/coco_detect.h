// yoloxrt/coco_detect.h - run a Detector over the images of a COCO ground truth.
//
// The model side of `yoloxrt eval`: every image the ground truth lists is read from a folder,
// run through a Detector and its detections turned into COCO results (yoloxrt/coco_eval.h), ready
// for evaluate_coco_bbox or format_coco_results.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "yoloxrt/coco_eval.h"
#include "yoloxrt/detector.h"
#include "yoloxrt/image_header.h"

namespace yoloxrt {

// The evaluation settings `yoloxrt eval` uses by default, YOLOX's COCO evaluation style: scores
// > 0.001, per-class NMS at IoU 0.65 (YOLOX's nmsthre), at most 100 detections per image.
// Start from these and set the model-specific fields (size, resize, threads, ...).
DetectorOptions coco_eval_detector_options();

struct CocoDetectOptions {
  uint64_t max_pixels = kDefaultMaxImagePixels;  // images declaring more pixels are refused
  // Called before image i (done = i) and once at the end (done = total); may be empty.
  std::function<void(size_t done, size_t total, const std::string& file_name)> progress;
  bool keep_results_json = false;  // also return the COCO results file text
};

// Where the ground truth's image `file_name` lives: images_dir / file_name if it exists, else
// images_dir / its last component (ground truths that carry a "val2017/" prefix). Throws
// Error(kUnsafe) for an absolute file_name or one with a ".." component, Error(kNotFound) naming
// the file and the image id when neither exists.
std::filesystem::path resolve_coco_image(const std::filesystem::path& images_dir,
                                         const CocoImage& image);

// What detect_coco_images returns.
struct CocoDetectRun {
  // image_id from the ground truth, category_id = class_to_category[class_id], bbox [x1, y1,
  // x2 - x1, y2 - y1] (float arithmetic), score: exactly the values `results_json` holds (each
  // float as results.h writes it, read back), so evaluating either gives the same metrics.
  // Images in gt.images order, detections in the detector's order (descending score).
  std::vector<CocoDetection> detections;
  // The COCO results file (results.h's coco_results_json per image, in one list), when
  // CocoDetectOptions::keep_results_json; else empty.
  std::string results_json;
};

// Runs `detector` on every image of `gt`, read from `images_dir`. Detections of classes outside
// `class_to_category`, or mapped to CocoClassMapping::kNone, are dropped.
// Every image is located first (resolve_coco_image), so a missing one fails before any runs.
// Throws what resolve_coco_image, load_image and Detector::detect throw, naming the image;
// Error(kUnsupported) for a category id outside the int range of results.h's writer.
// Thread-safety: as Detector::detect (the detector may be shared).
CocoDetectRun detect_coco_images(const Detector& detector, const CocoGroundTruth& gt,
                                 const std::filesystem::path& images_dir,
                                 std::span<const int64_t> class_to_category,
                                 const CocoDetectOptions& options = {});

}  // namespace yoloxrt
