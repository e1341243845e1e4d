// inference/ort_env.h - private: the process-wide ONNX Runtime environment.
#pragma once

#include <onnxruntime_cxx_api.h>

namespace yoloxrt::detail {

// One Ort::Env for the process (thread-safe; outlives every session). Defined in detector.cc.
Ort::Env& ort_env();

}  // namespace yoloxrt::detail
