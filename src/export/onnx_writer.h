// Pipeline stage 4 of export: stamp metadata, run the ONNX checker and strict shape inference,
// and serialise.
#pragma once

#include <filesystem>
#include <string>

#include <onnx/onnx_pb.h>

#include "yoloxrt/model_metadata.h"

namespace yoloxrt::exporter {

// Sets producer and metadata_props from `metadata`, runs the whole-model check
// (export/onnx_check.h; inferred shapes are kept as value_info). If the model fails it (a yoloxrt
// bug) throws the check's Error (kCorrupt, or kMismatch for type errors) with the check's message.
void finalize_model(onnx::ModelProto& model, const ModelMetadata& metadata);

// Serialises `model` into `path` atomically (temp file, fsync, rename), streaming: no second copy
// of the weights is made in memory. Throws Error(kIo) naming `path`.
void write_model_file(const onnx::ModelProto& model, const std::filesystem::path& path);

}  // namespace yoloxrt::exporter
