// yoloxrt/detector.h - run a YOLOX ONNX model on images with ONNX Runtime.
//
// A Detector owns one ONNX Runtime session and everything needed to turn BGR images into
// detections in original-image pixels: the fused pre-processing (resize policy, layout, channel
// order, scaling), decoding of the model's output, thresholding, NMS and the mapping back.
//
// Models exported by yoloxrt describe themselves (ModelMetadata). Models from elsewhere
// (Megvii's released ONNX, the cjm tutorial's exports) are understood from their shapes:
//  - a fixed input H x W is used as the input size;
//  - an output [.., N, 6] is the cjm decoded format, [.., N, 5 + C] the raw format;
//  - 80 classes get the COCO names;
//  - the family (DetectorOptions::family, else "megvii" for an input named "images", else "cjm")
//    supplies the rest from conventions_for(family, "") (conventions.h): megvii => BGR, 0..255,
//    letterbox, 640 x 640 unless the input size is fixed; cjm => RGB, 0..1, crop, 384.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "yoloxrt/detection.h"
#include "yoloxrt/image.h"
#include "yoloxrt/labels.h"  // LabelSet, read_labels_file (DetectorOptions::labels_file)
#include "yoloxrt/model_metadata.h"
#include "yoloxrt/onnx_info.h"

namespace yoloxrt {

struct DetectorOptions {
  // Intra-op threads of the ONNX Runtime session; 0 lets ONNX Runtime choose (one per core).
  int threads = 0;
  // Execution providers in priority order, short ("cpu", "cuda", "tensorrt", "openvino", "dml",
  // "coreml", "rocm", "xnnpack", "qnn") or ORT names ("CUDAExecutionProvider"). Empty = CPU.
  // The CPU provider is always the fallback.
  std::vector<std::string> providers;
  // Optional optimised-model cache. If the file exists and is not older than the model, the session
  // loads it; otherwise the session optimises the model and saves the result there (atomically).
  std::filesystem::path cache_path;

  float conf = 0.45f;  // keep scores strictly above this
  float iou = 0.45f;   // NMS: IoU strictly above this suppresses
  bool per_class = false;
  size_t max_det = 300;  // 0 = no limit

  std::optional<ResizePolicy> resize;  // default: the metadata's (or the family's)
  std::optional<int> height, width;    // target size; default: the model's fixed input size, else
                                       // the metadata's default size
  // For models without yoloxrt metadata only.
  std::optional<Family> family;
  // A labels file (labels.h: read_labels_file); overrides the model's class names and colours.
  std::filesystem::path labels_file;

  bool collect_timing = false;  // accumulate TimingStats (a few clock reads per image)
};

// Time spent per phase, summed over all detect() calls since the Detector was opened, in ns.
struct TimingStats {
  uint64_t images = 0;
  uint64_t preprocess_ns = 0;   // resize + tensor fill
  uint64_t run_ns = 0;          // Ort::Session::Run
  uint64_t postprocess_ns = 0;  // decode + threshold + NMS + mapping back
};

// Opens `path` with ONNX Runtime (CPU, no optimisation) and returns its inputs, outputs and
// metadata (yoloxrt/onnx_info.h; the graph statistics stay zero). Throws Error(kNotFound) if the
// file does not exist, Error(kCorrupt) if ONNX Runtime cannot load it, naming the file.
ModelInfo inspect_model(const std::filesystem::path& path);

// The ONNX model's metadata_props (key -> value). Throws as inspect_model does.
std::map<std::string, std::string> read_onnx_metadata_props(const std::filesystem::path& path);

// Provider names the ONNX Runtime build offers ("CPUExecutionProvider", ...).
std::vector<std::string> available_providers();

// Post-processing thresholds for one image of a detect() call, overriding the DetectorOptions'
// conf, iou, per_class and max_det (same meanings). A server answering requests with their own
// thresholds batches them into one Run with these.
struct DetectParams {
  float conf = 0.45f;
  float iou = 0.45f;
  bool per_class = false;
  size_t max_det = 300;
};

// A model input made ahead of inference (Detector::make_input's output): lets a pipeline
// pre-process images on other threads so that its inference thread only runs the model.
struct PreparedInput {
  std::vector<float> values;   // 3 * plan.input_h * plan.input_w, the model's layout and range
  std::vector<int64_t> shape;  // with a batch axis of 1 when the model has one
  ResizePlan plan;             // the resize plan the values were made with
};

class Detector {
 public:
  // Loads the model. Throws Error(kNotFound) if it does not exist, Error(kCorrupt) if it is not a
  // model ONNX Runtime can load, Error(kUnsupported) if its inputs/outputs are not a YOLOX
  // detector's or a requested execution provider is not in this ONNX Runtime build (the message
  // lists the available ones), Error(kInvalidArgument) for impossible options. Errors name the
  // file.
  static std::unique_ptr<Detector> open(const std::filesystem::path& model_path,
                                        const DetectorOptions& options = {});
  virtual ~Detector() = default;

  // Detects objects in one BGR image. Returns detections in descending score order, boxes xyxy in
  // original-image pixels clipped to the image (boxes that clip to nothing are dropped).
  // Thread-safe: any number of threads may call detect on one Detector at once. Throws
  // Error(kInvalidArgument) for an empty image, Error(kRuntime) if ONNX Runtime fails.
  virtual std::vector<Detection> detect(const Image& image) const = 0;

  // Detects objects in several images; result i belongs to images[i]. If the model's batch axis is
  // dynamic, images of the same planned input size go through one Run; otherwise one Run per image.
  virtual std::vector<std::vector<Detection>> detect(std::span<const Image> images) const = 0;

  // Same, with image i post-processed with params[i] instead of the options' thresholds.
  // REQUIRES: params.size() == images.size() (else Error(kInvalidArgument)); conf and iou in
  // [0, 1] (else Error(kInvalidArgument)).
  virtual std::vector<std::vector<Detection>> detect(
      std::span<const Image> images, std::span<const DetectParams> params) const = 0;

  // The model's metadata, completed by what was inferred from shapes and options (for models
  // without yoloxrt metadata has_yoloxrt_metadata stays false but the other fields are filled).
  virtual const ModelMetadata& metadata() const = 0;

  // The options after defaults were resolved (resize policy, size, ...).
  virtual const DetectorOptions& options() const = 0;

  // True if the model fixes its input H and W; options().height and options().width are then that
  // size.
  virtual bool fixed_input() const = 0;

  // The resize plan used for an image of this size.
  virtual ResizePlan plan_for(int image_w, int image_h) const = 0;

  // Sums since open (all zero unless options.collect_timing).
  virtual TimingStats timing() const = 0;

  // The model input for `image` exactly as detect() feeds it: *values receives 3 * H * W floats in
  // the model's layout, channel order and range, *shape the tensor shape (with a batch axis of 1
  // when the model has one). Returns the resize plan used. Thread-safe. Throws
  // Error(kInvalidArgument) for an empty image, Error(kRuntime) on OpenCV errors.
  virtual ResizePlan make_input(const Image& image, std::vector<float>* values,
                                std::vector<int64_t>* shape) const = 0;

  // Fills `input` from `image` with make_input (reusing input->values' capacity).
  void prepare(const Image& image, PreparedInput* input) const {
    input->plan = make_input(image, &input->values, &input->shape);
  }

  // Detects objects in inputs made by this Detector's make_input / prepare; result i belongs to
  // inputs[i] and equals what detect() returns for the image inputs[i] was made from. Inputs of
  // one input size go through one Run when the model's batch axis is dynamic, else one Run each.
  // Thread-safe. Throws Error(kInvalidArgument) for a null input or one whose values do not match
  // its plan, Error(kRuntime) if ONNX Runtime fails.
  virtual std::vector<std::vector<Detection>> detect_prepared(
      std::span<const PreparedInput* const> inputs) const = 0;

  // The name of the model's image input.
  virtual const std::string& input_name() const = 0;
};

}  // namespace yoloxrt
