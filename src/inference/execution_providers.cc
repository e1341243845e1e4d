// The ONNX Runtime environment and execution-provider setup (ort_session.h).
#include <algorithm>
#include <map>
#include <memory>

#include "core/strings.h"
#include "inference/ort_session.h"
#include "yoloxrt/error.h"

namespace yoloxrt {
namespace detail {
namespace {

// Short provider names -> ONNX Runtime's provider names.
std::string ort_provider_name(const std::string& name) {
  static const std::map<std::string, std::string> kNames = {
      {"cpu", "CPUExecutionProvider"},           {"cuda", "CUDAExecutionProvider"},
      {"tensorrt", "TensorrtExecutionProvider"}, {"trt", "TensorrtExecutionProvider"},
      {"openvino", "OpenVINOExecutionProvider"}, {"dml", "DmlExecutionProvider"},
      {"directml", "DmlExecutionProvider"},      {"coreml", "CoreMLExecutionProvider"},
      {"rocm", "ROCMExecutionProvider"},         {"migraphx", "MIGraphXExecutionProvider"},
      {"xnnpack", "XnnpackExecutionProvider"},   {"qnn", "QNNExecutionProvider"},
  };
  auto it = kNames.find(core::to_lower(name));
  return it == kNames.end() ? name : it->second;
}

void append_provider(Ort::SessionOptions& so, const std::string& ort_name) {
  if (ort_name == "CPUExecutionProvider") return;  // always present as the fallback
  if (ort_name == "CUDAExecutionProvider") {
    OrtCUDAProviderOptionsV2* opts = nullptr;
    Ort::ThrowOnError(Ort::GetApi().CreateCUDAProviderOptions(&opts));
    std::unique_ptr<OrtCUDAProviderOptionsV2, void (*)(OrtCUDAProviderOptionsV2*)> guard(
        opts, Ort::GetApi().ReleaseCUDAProviderOptions);
    so.AppendExecutionProvider_CUDA_V2(*opts);
  } else if (ort_name == "TensorrtExecutionProvider") {
    OrtTensorRTProviderOptionsV2* opts = nullptr;
    Ort::ThrowOnError(Ort::GetApi().CreateTensorRTProviderOptions(&opts));
    std::unique_ptr<OrtTensorRTProviderOptionsV2, void (*)(OrtTensorRTProviderOptionsV2*)> guard(
        opts, Ort::GetApi().ReleaseTensorRTProviderOptions);
    so.AppendExecutionProvider_TensorRT_V2(*opts);
  } else if (ort_name == "OpenVINOExecutionProvider") {
    so.AppendExecutionProvider_OpenVINO_V2({});
  } else {
    static const std::map<std::string, std::string> kGeneric = {
        {"XnnpackExecutionProvider", "XNNPACK"}, {"QNNExecutionProvider", "QNN"},
        {"CoreMLExecutionProvider", "CoreML"},   {"DmlExecutionProvider", "DML"},
        {"ROCMExecutionProvider", "ROCM"},       {"MIGraphXExecutionProvider", "MIGraphX"}};
    auto it = kGeneric.find(ort_name);
    so.AppendExecutionProvider(it == kGeneric.end() ? ort_name : it->second, {});
  }
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

}  // namespace

Ort::Env& ort_env() {
  // One environment for the process; Ort::Env is thread-safe and must outlive every session.
  static Ort::Env env(ORT_LOGGING_LEVEL_ERROR, "yoloxrt");
  return env;
}

Ort::SessionOptions make_session_options(int threads, const std::vector<std::string>& providers,
                                         const std::string& file) {
  Ort::SessionOptions so;
  so.SetIntraOpNumThreads(threads);
  so.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_ALL);
  const auto available = Ort::GetAvailableProviders();
  for (const auto& p : providers) {
    const std::string ort_name = ort_provider_name(p);
    if (std::find(available.begin(), available.end(), ort_name) == available.end())
      throw Error(ErrorKind::kUnsupported,
                  "execution provider '" + p +
                      "' is not in this ONNX Runtime build (available: " + join(available) + ")",
                  file);
    try {
      append_provider(so, ort_name);
    } catch (const Ort::Exception& e) {
      throw Error(ErrorKind::kUnsupported,
                  "cannot enable execution provider '" + p + "': " + e.what(), file);
    }
  }
  return so;
}

}  // namespace detail

std::vector<std::string> available_providers() { return Ort::GetAvailableProviders(); }

}  // namespace yoloxrt
