// yoloxrt/results.h - detection results as text: detect's JSON, JSON Lines and COCO results.
//
// One home for the result formats, so that the CLI (`detect`), a server answering one request,
// an evaluator writing COCO results and a tracker all print the same bytes. Pure text building
// on Detection (yoloxrt/detection.h): no ONNX Runtime, no OpenCV. Every function is thread-safe
// (no shared state); a ResultsWriter is not (one thread writes it).
//
// Numbers: scores and box coordinates are float32 values, printed in their shortest decimal form
// that reads back as the same float32 (std::to_chars on the float), so 408.f prints 408.0 and
// never 407.9999084472656. Non-finite values print as null (JSON has no NaN).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "yoloxrt/detection.h"

namespace yoloxrt {

// One image's (or one video frame's) detections, as the detect JSON describes them.
struct ImageResult {
  std::string image;                  // the input as the user named it (a path, or a request name)
  std::optional<int64_t> frame;       // 0-based frame index for video frames; absent for images
  int width = 0, height = 0;          // the original image's size in pixels
  std::vector<Detection> detections;  // boxes xyxy in original-image pixels (Detector::detect)
  // Tracking (yoloxrt track): empty, or one track id per detection; each record then starts
  // with "track_id".
  std::vector<int> track_ids;
};

// The name an ImageResult prints: `image` lexically normalised (generic separators, "." and
// "dir/.." removed: "a/./b/../c.jpg" -> "a/c.jpg", "./x.jpg" -> "x.jpg"; a leading ".." stays).
// No file-system access, so symlinks are not resolved.
std::string display_image_name(const std::string& image);

// One image's JSON object on one line (no trailing newline), keys in this order:
//   {"image": display_image_name(image), ["frame": N,] "width": W, "height": H,
//    "detections": [{["track_id": T,] "label": class_label(class_names, id), "class_id": id,
//                    "score": s, "box": [x1, y1, x2, y2]}, ...]}
// Detections keep their order (Detector::detect returns them by descending score).
std::string detection_json(const ImageResult& result, const std::vector<std::string>& class_names);

// --- COCO results
// --------------------------------------------------------------------------------- COCO's result
// format: one object per detection {"image_id", "category_id", "bbox": [x, y, w, h], "score"} (bbox
// top-left + size in original pixels), the list pycocotools' loadRes reads.

// COCO's category ids of the 80 COCO classes in YOLOX's (and coco_class_names()') order: the 2017
// annotation files skip some ids (class 11 "stop sign" is category 13, class 79 is 90).
std::span<const int> coco80_category_ids();

// How class ids become COCO category ids: category_ids[class_id] when class_id is inside the
// list, else class_id itself. Empty (the default) = the class id is the category id. Use
// coco80_category_ids() for models trained on COCO's 80 classes.
struct CocoCategoryMap {
  std::vector<int> category_ids;
  int category_id(int class_id) const;
};

// The COCO image id of an input: its file stem when that is all digits (COCO file names are
// their ids, "000000000139.jpg" -> 139) and below 10^17, else `index` (its position among the
// inputs).
int64_t coco_image_id(const std::string& image, size_t index);

// One image's COCO result objects, each on one line, comma-separated (no brackets, no trailing
// comma or newline; empty when there are no detections): a ResultsWriter of kind kCoco puts them
// inside one array. Detections are written in their order.
std::string coco_results_json(const ImageResult& result, int64_t image_id,
                              const CocoCategoryMap& categories);

// --- MOTChallenge
// --------------------------------------------------------------------------------- A MOTChallenge
// row "frame,id,x,y,w,h,score,...": frame from 1, (x, y) the box's top-left corner and (w, h) its
// size in pixels, double precision (trackers work in double). Detection files (det.txt) have id -1;
// track files the track id. The reader is yoloxrt/mot.h's.
struct MotRow {
  int frame = 0;
  int id = -1;
  double x = 0, y = 0, w = 0, h = 0;
  double score = 0;
};

// One MOTChallenge result line per row, "frame,id,x,y,w,h,score,-1,-1,-1\n", with x, y, w, h to 4
// decimals and the score to 6 (what ByteTrack's reference tracks print).
std::string format_mot_rows(std::span<const MotRow> rows);

// --- writers
// --------------------------------------------------------------------------------------
enum class ResultsFormat {
  kJson,       // one JSON array of detection_json objects, one object per line
  kJsonLines,  // detection_json objects, one per line (JSON Lines)
  kCoco,       // one JSON array of COCO result objects (coco_results_json)
};

// Streams results to a file, so memory stays bounded however many images there are. The file is
// written under a temporary name and appears at `path` only when close() succeeds; a writer
// destroyed without close() (an error, Ctrl-C unwinding) leaves nothing behind.
// Not thread-safe: add() from one thread (or under the caller's lock), in the order wanted.
class ResultsWriter {
 public:
  struct Options {
    std::vector<std::string> class_names;  // labels of kJson / kJsonLines records
    CocoCategoryMap categories;            // kCoco only
  };
  // Throws Error(kIo) naming `path` if the temporary cannot be created (missing folder, ...).
  static std::unique_ptr<ResultsWriter> open(const std::filesystem::path& path,
                                             ResultsFormat format, Options options);
  virtual ~ResultsWriter() = default;

  // Appends one image. `index` is its position among the inputs (for coco_image_id; the other
  // formats ignore it). Throws Error(kIo) naming the file if writing fails (disk full).
  virtual void add(const ImageResult& result, size_t index) = 0;
  // Finishes the file (closing bracket), flushes it and renames it into place. Throws Error(kIo).
  virtual void close() = 0;
};

}  // namespace yoloxrt
