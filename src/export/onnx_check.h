// export/onnx_check.h - the one whole-model check: onnx::checker::check_model, then strict shape
// inference with type checks (what Python's onnx.checker.check_model(full_check=True) does). Run
// by the exporter on the graph it built (before writing) and by the simplifier on its input
// (validation) and on its result. Private to the export layer.
#pragma once

#include <onnx/onnx_pb.h>

namespace yoloxrt::exporter {

// Checks `model` and leaves the inferred shapes in graph.value_info (pass a copy to keep `model`
// as it was). Conv-like nodes without kernel_shape get it spelled out from an initializer weight
// (the spec's default): libonnx's inference reads out of bounds otherwise.
// Throws Error (no file; callers attach it) by what is wrong with the model:
//   kCorrupt   the checker rejects it, or shape inference fails for a reason other than types;
//   kMismatch  shape inference finds inconsistent element types.
void check_model_full(onnx::ModelProto& model);

}  // namespace yoloxrt::exporter
