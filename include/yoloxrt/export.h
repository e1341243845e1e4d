// yoloxrt/export.h - PyTorch checkpoint -> ONNX model, natively.
//
// The pipeline: locate and read the checkpoint (core) -> recognise the family and architecture ->
// build the graph with BN folded and the tutorial's wrapper -> ONNX checker + shape inference ->
// write atomically. Every function here throws yoloxrt::Error; nothing is written on failure.
#pragma once

#include <array>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "yoloxrt/checkpoint_folder.h"
#include "yoloxrt/model_metadata.h"
#include "yoloxrt/onnx_info.h"
#include "yoloxrt/tensor.h"

namespace yoloxrt {

struct ExportOptions {
  std::optional<std::string> model_type;      // overrides the file stem / shape inference
  std::optional<double> depth, width;         // custom factors (both or neither)
  bool scale_input = false;                   // graph takes 0..255 pixels and scales them (cjm)
  bool channels_last = false;                 // NHWC input
  std::optional<OutputFormat> output_format;  // default kDecoded
  std::optional<std::array<float, 3>> mean;   // r,g,b on the 0..1 scale (overrides norm_stats)
  std::optional<std::array<float, 3>> std;
  std::optional<ChannelOrder> channel_order;    // default: the family's (cjm RGB, Megvii BGR)
  bool legacy = false;                          // Megvii weights before 0.1.1: RGB, /255, ImageNet
  int opset = 17;                               // 11..17
  std::optional<std::pair<int, int>> fixed_hw;  // static H x W (multiples of 32)
  bool dynamic_batch = true;
  std::optional<std::string> input_name;  // default: cjm "input", Megvii "images"
  std::string output_name = "output";
  // End-to-end model: NMS inside the graph (OutputFormat::kEndToEnd, four outputs named
  // kEndToEndOutputs instead of output_name). Excludes output formats other than kDecoded.
  std::optional<NmsSettings> nms;
};

// What export found and made.
struct ExportedModel {
  std::string onnx_bytes;  // filled by export_model only (export_checkpoint streams)
  uint64_t file_size = 0;  // filled by export_checkpoint
  ModelMetadata metadata;
  Family source_family = Family::kCjm;
  CheckpointSource source;            // the weights file and side files that were used
  std::string architecture;           // human-readable summary
  std::vector<std::string> warnings;  // e.g. "no colormap: using COCO class names"
  int node_count = 0;
  size_t tensor_count = 0;  // tensors read from the checkpoint
};

// Builds the ONNX model for the checkpoint at `path` (a folder or a weights file) in memory.
ExportedModel export_model(const std::filesystem::path& path, const ExportOptions& options);

// export_model, then writes it atomically to `out` (or, if `out` is empty, to the tutorial's
// default name: `<dataset>-<model_type>.onnx` beside the checkpoint, `<stem>.onnx` without a
// colormap). Refuses to overwrite the checkpoint itself. Returns the model; `written` receives the
// path.
ExportedModel export_checkpoint(const std::filesystem::path& path, const std::filesystem::path& out,
                                const ExportOptions& options, std::filesystem::path* written);

// What `yoloxrt info` reports about a checkpoint, without building a graph.
struct CheckpointInfo {
  CheckpointSource source;
  Family family = Family::kCjm;
  std::string architecture;
  std::string model_type;
  int num_classes = 0;
  size_t tensor_count = 0;
  uint64_t parameter_count = 0;
  std::string sha256;
};
CheckpointInfo inspect_checkpoint(const std::filesystem::path& path);

// What an ONNX model declares (yoloxrt/onnx_info.h), parsed with protobuf; nothing is run. Every
// field is filled, the graph statistics included; yoloxrt metadata stays in metadata_props (parse
// it with ModelMetadata::from_props). Throws Error(kCorrupt) if the bytes are not a parseable ONNX
// model, Error(kUnsupported) over 2 GB; inspect_onnx names the file (and throws as read_file_bytes
// does if it is unreadable).
ModelInfo inspect_onnx_bytes(std::string_view model_bytes);
ModelInfo inspect_onnx(const std::filesystem::path& path);

// Rewrites a checkpoint in the other family's layout (key names and Focus order), as a torch.save
// zip archive. Megvii output is wrapped as {"model": state_dict}. Written atomically.
void convert_checkpoint(const std::filesystem::path& in, const std::filesystem::path& out,
                        Family to);

}  // namespace yoloxrt
