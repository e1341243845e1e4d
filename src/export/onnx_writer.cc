#include "export/onnx_writer.h"

#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>

#include "yoloxrt/error.h"

namespace yoloxrt::exporter {

std::string finalize_model(onnx::ModelProto& model, const ModelMetadata& metadata) {
  model.set_producer_name("yoloxrt");
  model.set_producer_version(version_string());
  model.set_doc_string("YOLOX " + metadata.model_type + " exported by yoloxrt");
  model.clear_metadata_props();
  for (const auto& [k, v] : metadata.to_props()) {
    auto* p = model.add_metadata_props();
    p->set_key(k);
    p->set_value(v);
  }
  try {
    onnx::checker::check_model(model);
    onnx::ShapeInferenceOptions strict(/*check_type=*/true, /*strict_mode=*/1,
                                       /*data_prop=*/false);
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(), strict);
  } catch (const std::exception& e) {
    throw Error(ErrorKind::kRuntime, std::string("ONNX checker rejected the built graph: ") + e.what());
  }
  std::string bytes;
  if (!model.SerializeToString(&bytes))
    throw Error(ErrorKind::kRuntime, "could not serialise the ONNX model");
  return bytes;
}

}  // namespace yoloxrt::exporter
