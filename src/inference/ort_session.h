// inference/ort_session.h - private: the process's ONNX Runtime environment and how a detector's
// session is set up (execution providers, optimised-model cache).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <onnxruntime_cxx_api.h>

#include "yoloxrt/detector.h"

namespace yoloxrt::detail {

// The one Ort::Env of the process, created on first use and alive until exit (it must outlive
// every session). Thread-safe. Every ONNX Runtime session in yoloxrt (and its tests and
// benchmarks) is created with it.
Ort::Env& ort_env();

// Session options with `threads` intra-op threads (0 = ONNX Runtime's choice), full graph
// optimisation and the execution providers `providers` (short names such as "cuda" or ORT names)
// appended in priority order; the CPU provider is always the fallback. Throws Error(kUnsupported)
// naming `file` if a provider is not in this ONNX Runtime build (the message lists the available
// ones) or cannot be enabled.
Ort::SessionOptions make_session_options(int threads, const std::vector<std::string>& providers,
                                         const std::string& file);

// Opens `model` as options.threads / options.providers say. With a non-empty options.cache_path,
// loads the optimised-model cache when it is at least as new as the model; otherwise (no cache, or
// a stale or broken one) optimises the model and saves the result there atomically. Throws
// Error(kCorrupt) naming the model if ONNX Runtime cannot load it, and as make_session_options.
std::unique_ptr<Ort::Session> open_session(const std::filesystem::path& model,
                                           const DetectorOptions& options);

}  // namespace yoloxrt::detail
