// yoloxrt/coco_detect.h - run a Detector over the images of a COCO ground truth.
//
// The model side of `yoloxrt eval`: every image the ground truth lists is read from a folder,
// run through a Detector and its detections turned into COCO results (yoloxrt/coco_eval.h), ready
// for evaluate_coco_bbox or format_coco_results.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <future>
#include <span>
#include <string>
#include <vector>

#include "yoloxrt/coco_eval.h"
#include "yoloxrt/detector.h"
#include "yoloxrt/pipeline.h"

namespace yoloxrt {

// The evaluation settings `yoloxrt eval` uses by default, YOLOX's COCO evaluation style: scores
// > 0.001, per-class NMS at IoU 0.65 (YOLOX's nmsthre), at most 100 detections per image.
// Start from these and set the model-specific fields (size, resize, threads, ...).
DetectorOptions coco_eval_detector_options();

struct CocoDetectOptions {
  // How the images are read and run (yoloxrt/pipeline.h): decode threads, batch, the in-flight
  // bound, fast_decode (changes pixels, so metrics), and max_pixels (images declaring more pixels
  // are refused). The defaults are one decode thread and one Run at a time; `yoloxrt eval` takes
  // its thread counts from default_thread_plan. process_threads is unused.
  PipelineOptions pipeline;
  // Called on the calling thread after each image's detections are in, in gt.images order
  // (done = 1 .. total, file_name = that image's); may be empty.
  std::function<void(size_t done, size_t total, const std::string& file_name)> progress;
  bool keep_results_json = false;  // also return the COCO results file text
  // The overload taking a future only: called once the detector has loaded, with the class
  // mapping it will use, before any progress call (on the calling thread or a pipeline thread);
  // e.g. to report the mapping. An exception it throws stops the run and propagates. May be empty.
  std::function<void(const Detector& detector, const CocoClassMapping& mapping)> ready;
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
  // The pipeline's counters and stage times (images, batches, wall and CPU time).
  PipelineStats stats;
};

// Runs `detector` on every image of `gt`, read from `images_dir`, with run_pipeline: images are
// read and decoded on options.pipeline.decode_threads threads while the model runs, and their
// results are taken in gt.images order, so the detections and results_json are exactly those of
// a one-image-at-a-time loop (load_image + Detector::detect), for any thread counts and batch
// size (fast_decode aside). Detections of classes outside `class_to_category`, or mapped to
// CocoClassMapping::kNone, are dropped.
// Every image is located first (resolve_coco_image), so a missing one fails before any runs.
// The first image (in gt.images order) that cannot be read, decoded or run stops the run: throws
// what resolve_coco_image, the decoder and Detector::detect throw, as an Error naming the image;
// Error(kUnsupported) for a category id outside the int range of results.h's writer;
// Error(kInvalidArgument) for zero thread counts or batch in options.pipeline.
// Thread-safety: as Detector::detect (the detector may be shared).
CocoDetectRun detect_coco_images(const Detector& detector, const CocoGroundTruth& gt,
                                 const std::filesystem::path& images_dir,
                                 std::span<const int64_t> class_to_category,
                                 const CocoDetectOptions& options = {});

// The same with the detector still loading (e.g. DetectorLoader::future(), yoloxrt/
// detector_loader.h): the images are located first, then read and decoded while it loads
// (run_pipeline's future overload). Once it is there, the class mapping is
// map_classes_to_categories(its class names, gt) and options.ready is called. Throws what the
// future holds (a model that could not load) in preference to any image's error, then what
// map_classes_to_categories and options.ready throw, and what the overload above throws.
// The pointed-to Detector must outlive the call.
CocoDetectRun detect_coco_images(std::shared_future<const Detector*> detector,
                                 const CocoGroundTruth& gt, const std::filesystem::path& images_dir,
                                 const CocoDetectOptions& options = {});

}  // namespace yoloxrt
