// inference/model_inspect.h - private: a model's signature as ONNX Runtime reports it.
// (The public entry points, inspect_model and read_onnx_metadata_props, are in detector.h.)
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <onnxruntime_cxx_api.h>

#include "yoloxrt/detector.h"

namespace yoloxrt::detail {

// Inputs, outputs and metadata of an open session. Throws Ort::Exception.
ModelInfo read_model_info(const Ort::Session& session);

// Throws Error(kNotFound) if `path` does not exist, Error(kIo) if it is a directory.
void require_model_file(const std::filesystem::path& path);

}  // namespace yoloxrt::detail
