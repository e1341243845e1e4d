// yoloxrt/model_metadata.h - what an exported model tells a detector about itself.
//
// The exporter writes these fields into the ONNX model's metadata_props; the detector reads them
// back so that `detect` needs no flags. Models from elsewhere have none: has_yoloxrt_metadata is
// then false and the detector infers what it can from the input/output shapes.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace yoloxrt {

enum class Family { kCjm, kMegvii };
enum class InputLayout { kNCHW, kNHWC };
enum class ChannelOrder { kRGB, kBGR };
enum class ResizePolicy { kCrop, kLetterbox, kPad };

// Layout of the model's output tensor [B, N, K].
enum class OutputFormat {
  kDecoded,        // K = 6: [x0, y0, w, h, label, prob] in input pixels (the cjm tutorial's)
  kRaw,            // K = 5 + C: [tx, ty, tw, th, sigmoid(obj), sigmoid(cls)...] (both families)
  kMegviiDecoded,  // K = 5 + C: [cx, cy, w, h, obj, cls...] in input pixels (Megvii's decode)
  // NMS inside the graph: four outputs (kEndToEndOutputs), TensorRT EfficientNMS's layout:
  // num_dets [B, 1] int32, det_boxes [B, K, 4] float32 (x1, y1, x2, y2 in input pixels),
  // det_scores [B, K] float32, det_classes [B, K] int32; rows past num_dets are zero.
  kEndToEnd,
};

// Output names of an end-to-end model, in this order.
inline constexpr const char* kEndToEndOutputs[4] = {"num_dets", "det_boxes", "det_scores",
                                                    "det_classes"};

// The NMS baked into an end-to-end model.
struct NmsSettings {
  float conf = 0.25f;      // keeps scores (obj * max cls) strictly above this
  float iou = 0.45f;       // a kept box suppresses boxes with IoU strictly above this
  int max_det = 100;       // K: rows per image
  bool per_class = false;  // suppress only within a class (default: class-agnostic)
};

struct ModelMetadata {
  bool has_yoloxrt_metadata = false;
  std::string yoloxrt_version;
  Family family = Family::kCjm;
  std::string model_type;                      // "yolox_tiny", "yolox_nano", "custom"
  std::vector<std::string> class_names;        // index = class id
  std::vector<std::array<uint8_t, 3>> colors;  // RGB 0..255, one per class (may be empty)
  std::array<float, 3> mean{0.f, 0.f, 0.f};    // in input channel order, on the 0..1 scale
  std::array<float, 3> std{1.f, 1.f, 1.f};     // (applied inside the graph; informational)
  std::vector<int> strides{8, 16, 32};
  InputLayout input_layout = InputLayout::kNCHW;
  ChannelOrder channel_order = ChannelOrder::kRGB;
  // Pixel range the graph's input expects: 255 means feed 0..255 values, 1 means feed 0..1.
  float input_range = 1.f;
  OutputFormat output_format = OutputFormat::kDecoded;
  ResizePolicy resize = ResizePolicy::kCrop;  // recommended pre-processing
  int default_height = 384;                   // recommended input size
  int default_width = 384;
  std::string source_sha256;       // of the checkpoint the model was exported from
  std::optional<NmsSettings> nms;  // set iff output_format is kEndToEnd

  // Serialises into ONNX metadata_props key/value pairs (keys are prefixed "yoloxrt.").
  std::map<std::string, std::string> to_props() const;
  // Parses metadata_props. Returns has_yoloxrt_metadata=false defaults if no "yoloxrt.version" key.
  // Throws Error(kCorrupt) naming the key if a yoloxrt key is present but malformed.
  static ModelMetadata from_props(const std::map<std::string, std::string>& props);
};

std::string to_string(Family f);
std::string to_string(OutputFormat f);
std::string to_string(ResizePolicy p);
// Parse the names above; throw Error(kInvalidArgument) listing the accepted values.
Family parse_family(const std::string& s);
OutputFormat parse_output_format(const std::string& s);
ResizePolicy parse_resize_policy(const std::string& s);

// The 80 COCO class names, in the order of Megvii's coco_classes.py.
const std::vector<std::string>& coco_class_names();

// The library's version, "MAJOR.MINOR.PATCH".
const char* version_string();

}  // namespace yoloxrt
