// yoloxrt/simplify.h - a native ONNX simplifier (constant folding, shape folding, BN fusion,
// clean-up).
//
// Works on serialized ModelProto bytes so that callers need no protobuf types. The passes run in
// the export layer (the only layer that sees protobuf); numerical verification with ONNX Runtime
// lives in yoloxrt/model_compare.h and is the caller's job (the CLI does it before writing).
//
// Pipeline, in order (each stage is one function in src/export/simplify_passes.h, one file in
// src/export/simplify/, numbered as below):
//   parse -> validate (validate.cc: external data, undefined inputs, cycles, unknown ops, checker,
//   strict shape inference) -> 01 fix input shapes -> [02 Constant nodes to initializers -> 03
//   Identity/Dropout removal -> 04 constant folding + shape folding -> 05 If with constant
//   condition inlined, repeated until nothing changes] -> 06 BatchNormalization into Conv -> 07
//   dead nodes -> 08 duplicate initializers -> 09 unused initializers -> 10 topological sort ->
//   full ONNX check of the result (export/onnx_check.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace yoloxrt {

struct SimplifyOptions {
  // Constant folding and shape folding. Off = only structural clean-up (--no-fold).
  bool fold_constants = true;
  // Fold BatchNormalization into the preceding Conv.
  bool fold_batch_norm = true;
  // Fixes input dims: input name -> full shape. The rank must match the model's; a dim that is
  // static in the model must keep its value. Unlisted inputs keep their dynamic dims.
  std::map<std::string, std::vector<int64_t>> input_shapes;
  // Folded tensors with more elements than this are not materialised (the subgraph stays), so a
  // cheap Expand/ConstantOfShape cannot blow up the file.
  int64_t max_folded_elements = int64_t{1} << 22;
};

struct SimplifyReport {
  // op_type -> node count ("domain::op" outside the default domain), before and after.
  std::map<std::string, int64_t> ops_before;
  std::map<std::string, int64_t> ops_after;
  int64_t nodes_before = 0;
  int64_t nodes_after = 0;
  int64_t constants_to_initializers = 0;  // Constant nodes turned into initializers
  int64_t identities_removed = 0;         // Identity and Dropout nodes
  int64_t nodes_folded = 0;               // nodes evaluated to constants (incl. shape folding)
  int64_t shape_nodes_folded = 0;         // of which resolved from inferred static dims
  int64_t ifs_inlined = 0;  // If nodes with a constant condition replaced by their branch
  int64_t batch_norms_folded = 0;
  int64_t dead_nodes_removed = 0;
  int64_t initializers_merged = 0;   // duplicates (same dtype, shape and bytes) renamed to one
  int64_t initializers_removed = 0;  // unused after the passes
  uint64_t bytes_before = 0;
  uint64_t bytes_after = 0;
};

// Simplifies a serialized ONNX model. On success returns the report and stores the serialized
// result in *out_bytes (REQUIRES: out_bytes != nullptr). The result passed onnx::checker
// (check_model plus strict shape inference). Dynamic dims stay dynamic unless options fix them.
// Throws Error without a file (use Error::with_file):
//   kCorrupt      the bytes do not parse, a node input is undefined, the graph has a cycle, or the
//                 ONNX checker rejects the model (before or after simplification);
//   kMismatch     inconsistent element types (strict shape inference);
//   kUnsupported  external tensor data (models > 2 GB), an unknown op of a known domain;
//   kInvalidArgument  input_shapes names an unknown input or contradicts a static dim.
SimplifyReport simplify_model_bytes(std::string_view in_bytes, const SimplifyOptions& options,
                                    std::string* out_bytes);

// Reads `path` and calls simplify_model_bytes; errors name `path`.
SimplifyReport simplify_model_file(const std::filesystem::path& path,
                                   const SimplifyOptions& options, std::string* out_bytes);

// Runs the validation stage alone (see simplify_model_bytes for the errors thrown).
void validate_model_bytes(std::string_view model_bytes);

}  // namespace yoloxrt
