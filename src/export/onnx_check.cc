// The whole-model check (export/onnx_check.h), shared by the exporter and the simplifier.
#include "export/onnx_check.h"

#include <exception>
#include <string>
#include <unordered_map>

#include <onnx/checker.h>
#include <onnx/defs/schema.h>
#include <onnx/shape_inference/implementation.h>

#include "export/simplify/graph_utils.h"
#include "yoloxrt/error.h"

namespace yoloxrt::exporter {
namespace {

using onnx::ModelProto;

void translate_inference_error(const std::exception& e) {
  const std::string what = e.what();
  // Type errors from shape inference come tagged by onnx ("[TypeInferenceError]") or, for type
  // constraints, as "bound to different types".
  const bool is_type = what.find("TypeInferenceError") != std::string::npos ||
                       what.find("bound to different types") != std::string::npos ||
                       what.find("type mismatch") != std::string::npos ||
                       what.find("inconsistent type") != std::string::npos;
  throw Error(is_type ? ErrorKind::kMismatch : ErrorKind::kCorrupt,
              std::string(is_type ? "type check failed: " : "shape inference failed: ") + what);
}

// ONNX's conv shape inference (libonnx 1.13, convPoolShapeInference) takes the kernel shape from
// the weight's dims when the node has no kernel_shape attribute, and then indexes the dilations
// and strides (sized from the input's rank) with it: a weight of higher rank than the input reads
// out of bounds and crashed `yoloxrt simplify` (found by fuzz/onnx_fuzz.cc). Spelling the
// attribute out from an initializer weight (what the spec says it defaults to) makes ONNX compare
// the lengths and fail cleanly instead.
void spell_out_kernel_shapes(ModelProto& model) {
  std::unordered_map<std::string, const onnx::TensorProto*> inits;
  for (const auto& t : model.graph().initializer()) inits[t.name()] = &t;
  for (auto& n : *model.mutable_graph()->mutable_node()) {
    if (!simplify::is_default_domain(n.domain())) continue;
    const std::string& op = n.op_type();
    const int w = op == "Conv" || op == "ConvTranspose" || op == "ConvInteger" ? 1
                  : op == "QLinearConv"                                        ? 3
                                                                               : -1;
    if (w < 0 || n.input_size() <= w) continue;
    bool has = false;
    for (const auto& a : n.attribute()) has = has || a.name() == "kernel_shape";
    const auto it = inits.find(n.input(w));
    if (has || it == inits.end() || it->second->dims_size() < 3) continue;
    auto* a = n.add_attribute();
    a->set_name("kernel_shape");
    a->set_type(onnx::AttributeProto::INTS);
    for (int d = 2; d < it->second->dims_size(); ++d) a->add_ints(it->second->dims(d));
  }
}

}  // namespace

void check_model_full(ModelProto& model) {
  try {
    onnx::checker::check_model(model);
  } catch (const onnx::checker::ValidationError& e) {
    throw Error(ErrorKind::kCorrupt, std::string("ONNX checker: ") + e.what());
  }
  // check_model(full_check=True) of the Python API = checker + strict shape inference with type
  // checks.
  spell_out_kernel_shapes(model);
  try {
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(),
                                       onnx::ShapeInferenceOptions(/*check_type=*/true,
                                                                   /*strict_mode=*/1,
                                                                   /*data_prop=*/false));
  } catch (const std::exception& e) {
    translate_inference_error(e);
  }
}

}  // namespace yoloxrt::exporter
