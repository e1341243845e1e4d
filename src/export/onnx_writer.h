// Pipeline stage 4 of export: stamp metadata, run the ONNX checker and strict shape inference,
// and serialise.
#pragma once

#include <string>

#include <onnx/onnx_pb.h>

#include "yoloxrt/model_metadata.h"

namespace yoloxrt::exporter {

// Sets producer and metadata_props from `metadata`, runs onnx::checker::check_model and strict
// shape inference (type checks on, node errors fatal) and returns the serialised bytes.
// Throws Error(kRuntime) with the checker's message if the model is invalid (a yoloxrt bug).
std::string finalize_model(onnx::ModelProto& model, const ModelMetadata& metadata);

}  // namespace yoloxrt::exporter
