// export/simplify_passes.h - the simplifier's passes on onnx::ModelProto, one function each, so
// that the exporter can run single passes on the graph it builds. Private to the export layer.
// Each pass lives in src/export/simplify/pass_NN_<name>.cc, numbered in the order
// simplify_model_bytes runs them (yoloxrt/simplify.h); validation in simplify/validate.cc, shared
// graph helpers in simplify/graph_utils.h.
//
// Every pass edits `model` in place, keeps graph input/output names and returns how many things it
// changed (nodes removed, initializers merged, ...). Passes treat an initializer as a constant
// unless it is also listed in graph.input (then it is a user-overridable default and stays alone).
// None of them re-sorts the graph except sort_topologically. None needs the graph to be sorted.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <onnx/onnx_pb.h>

namespace yoloxrt::simplify {

// Parses serialized ModelProto bytes. Throws Error(kUnsupported) over 2 GB, Error(kCorrupt) if the
// bytes do not parse or hold no graph / no ir_version.
onnx::ModelProto parse_model_bytes(std::string_view bytes);

// Throws Error(kUnsupported) if any tensor (initializer, Constant attribute, subgraph) keeps its
// data outside the file (data_location == EXTERNAL).
void reject_external_data(const onnx::ModelProto& model);

// Structural validation: every node input is a graph input, initializer or the output of some
// node (kCorrupt, naming node and input), no cycles (kCorrupt), every op of a known domain has a
// schema at the model's opset (kUnsupported), then onnx::checker::check_model (kCorrupt) and
// strict shape inference with type checks (kMismatch for type errors, else kCorrupt). Sorts the
// nodes topologically first (the checker requires it), so this is the one validating call that
// edits `model`.
void validate_model(onnx::ModelProto& model);

// The full ONNX check run on results: export/onnx_check.h's check_model_full on a copy (`model`
// is left as it is). Throws like validate_model.
void check_model_full(const onnx::ModelProto& model);

// Sets the dims of graph inputs: name -> shape. Throws Error(kInvalidArgument) for an unknown
// name, a rank mismatch or a changed static dim.
void apply_input_shapes(onnx::ModelProto& model,
                        const std::map<std::string, std::vector<int64_t>>& shapes);

// Converts Constant nodes (value / value_float(s) / value_int(s)) into initializers of the same
// name. Constants whose output is a graph output stay nodes.
int64_t constants_to_initializers(onnx::ModelProto& model);

// Removes Identity nodes and inference-mode Dropout nodes (mask unused, training_mode absent or
// constant false) by rewiring their consumers. When the removed output is a graph output, the
// producer's output is renamed instead, so graph output names never change.
int64_t remove_identities(onnx::ModelProto& model);

struct FoldStats {
  int64_t nodes_folded = 0;        // all nodes replaced by initializers
  int64_t shape_nodes_folded = 0;  // of which needed inferred shapes (Shape, Gather on a Shape...)
};

// Evaluates nodes whose inputs are all constant with the internal evaluator and replaces them by
// initializers named like their outputs; uses ONNX shape inference to fold Shape of static dims
// and the static entries of partially dynamic shapes (Gather/Slice/Concat/Unsqueeze chains).
// Repeats until nothing changes. Ops the evaluator does not know stay. Results larger than
// `max_elements` stay unevaluated. Clears graph.value_info (stale after folding).
FoldStats fold_constants(onnx::ModelProto& model, int64_t max_elements);

// Replaces If nodes whose condition is a constant by the nodes of the branch taken (names defined
// in the branch are renamed to stay unique; the branch outputs take the If's output names).
int64_t inline_constant_ifs(onnx::ModelProto& model);

// Folds BatchNormalization (inference mode) into a preceding Conv whose output has no other
// consumer and is not a graph output; the weights are recomputed in double precision:
//   s = gamma / sqrt(var + eps);  W' = W * s[oc];  B' = (B - mean) * s + beta.
int64_t fold_batch_norm_into_conv(onnx::ModelProto& model);

// Removes nodes none of whose outputs reach a graph output.
int64_t remove_dead_nodes(onnx::ModelProto& model);

// Removes initializers no node (nor subgraph) reads and that are not graph outputs or inputs.
int64_t remove_unused_initializers(onnx::ModelProto& model);

// Renames every initializer that equals an earlier one (same dtype, dims and bytes) to the earlier
// one and drops it. Initializers listed in graph.input or graph.output are never merged.
int64_t merge_duplicate_initializers(onnx::ModelProto& model);

// Orders graph.node topologically, keeping the original order where it is free. Throws
// Error(kCorrupt) naming a node on the cycle if there is one.
void sort_topologically(onnx::ModelProto& model);

// Node counts by op type ("domain::op" outside the default domain).
std::map<std::string, int64_t> count_ops(const onnx::GraphProto& graph);

}  // namespace yoloxrt::simplify
