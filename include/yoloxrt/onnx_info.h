// yoloxrt/onnx_info.h - what an ONNX model declares: its inputs, outputs and metadata.
//
// One description filled by two readers, one per layer:
//  - inspect_onnx / inspect_onnx_bytes (yoloxrt/export.h) parse the protobuf; nothing is run. They
//    fill every field, the graph statistics included.
//  - inspect_model (yoloxrt/detector.h) asks ONNX Runtime. It fills the tensors, producer_name,
//    graph_name and metadata_props, and leaves the graph statistics zero/empty.
// Plain data: no protobuf or ONNX Runtime types; copyable, no thread-safety concerns.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace yoloxrt {

// One graph input or output.
struct TensorInfo {
  std::string name;
  std::string element_type;            // "float32", "int64", ...; "non-tensor" for sequences/maps
  std::vector<int64_t> shape;          // -1 where the dim is dynamic
  std::vector<std::string> dim_names;  // as long as shape: the dim_param of a dynamic dim, else ""

  // "[batch, 3, 416, 416]": numbers, symbolic names, "?" for an unnamed dynamic dim.
  std::string shape_string() const;
  // dim i as text the same way ("416", "batch", "?"). REQUIRES: i < shape.size().
  std::string dim_string(size_t i) const;
};

struct ModelInfo {
  // The model's real inputs (initializers also listed as graph inputs are left out) and outputs.
  std::vector<TensorInfo> inputs, outputs;
  std::map<std::string, std::string> metadata_props;  // key -> value, yoloxrt.* keys included
  std::string producer_name, producer_version, graph_name;

  // Graph statistics (filled by inspect_onnx only).
  int64_t ir_version = 0;
  int64_t opset = 0;                                   // of the default (ai.onnx) domain
  std::vector<std::pair<std::string, int>> op_counts;  // by op type, sorted by name
  int node_count = 0;
  size_t initializer_count = 0;
  uint64_t parameter_count = 0;  // elements over all initializers
};

}  // namespace yoloxrt
