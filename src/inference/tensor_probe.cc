#include "yoloxrt/tensor_probe.h"

#include <algorithm>
#include <memory>

#include <onnxruntime_cxx_api.h>

#include "inference/ort_session.h"
#include "yoloxrt/error.h"
#include "yoloxrt/image.h"

namespace yoloxrt {

ProbeReport probe_tensors(const Detector& planner, std::string_view probe_model_bytes,
                          const std::vector<std::string>& tensors,
                          const std::vector<std::filesystem::path>& images,
                          const ProbeOptions& options, const TensorSink& sink,
                          const ProbeProgress& progress,
                          const std::function<void(const std::string&)>& warn) {
  std::unique_ptr<Ort::Session> session;
  std::vector<std::string> outputs;
  try {
    Ort::SessionOptions so;
    so.SetIntraOpNumThreads(options.threads);
    // Basic optimisations only: they keep every named intermediate tensor computable as written.
    so.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_BASIC);
    session = std::make_unique<Ort::Session>(detail::ort_env(), probe_model_bytes.data(),
                                             probe_model_bytes.size(), so);
    Ort::AllocatorWithDefaultOptions alloc;
    for (size_t i = 0; i < session->GetOutputCount(); ++i)
      outputs.emplace_back(session->GetOutputNameAllocated(i, alloc).get());
  } catch (const Ort::Exception& e) {
    throw Error(ErrorKind::kRuntime,
                std::string("ONNX Runtime cannot load the calibration model: ") + e.what());
  }
  const std::string& input_name = planner.input_name();
  std::vector<std::string> run_names;
  bool want_input = false;
  for (const auto& t : tensors) {
    if (t == input_name) {
      want_input = true;
    } else if (std::find(outputs.begin(), outputs.end(), t) != outputs.end()) {
      run_names.push_back(t);
    } else {
      throw Error(ErrorKind::kNotFound, "tensor '" + t + "' is not an output of the probe model");
    }
  }
  std::vector<const char*> out_names;
  for (const auto& n : run_names) out_names.push_back(n.c_str());

  ProbeReport report;
  std::vector<float> input;
  std::vector<int64_t> shape;
  static const Ort::MemoryInfo mem = Ort::MemoryInfo::CreateCpu(OrtDeviceAllocator, OrtMemTypeCPU);
  for (size_t i = 0; i < images.size(); ++i) {
    if (progress) progress(i, images.size(), images[i]);
    ImageBuffer img;
    try {
      img = load_image(images[i], options.max_pixels);
    } catch (const Error& e) {
      report.skipped.push_back(e.what());
      if (warn) warn(std::string(e.what()) + " (skipped)");
      continue;
    }
    planner.make_input(img.view(), &input, &shape);
    if (want_input) sink(input_name, std::span<const float>(input.data(), input.size()));
    if (!out_names.empty()) {
      std::vector<Ort::Value> values;
      try {
        Ort::Value tensor = Ort::Value::CreateTensor<float>(mem, input.data(), input.size(),
                                                            shape.data(), shape.size());
        const char* in_names[] = {input_name.c_str()};
        values = session->Run(Ort::RunOptions{nullptr}, in_names, &tensor, 1, out_names.data(),
                              out_names.size());
      } catch (const Ort::Exception& e) {
        throw Error(ErrorKind::kRuntime,
                    std::string("ONNX Runtime failed on ") + images[i].string() + ": " + e.what());
      }
      for (size_t k = 0; k < values.size(); ++k) {
        auto info = values[k].GetTensorTypeAndShapeInfo();
        if (info.GetElementType() != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT)
          throw Error(ErrorKind::kUnsupported, "tensor '" + run_names[k] + "' is not float32");
        sink(run_names[k],
             std::span<const float>(values[k].GetTensorData<float>(), info.GetElementCount()));
      }
    }
    ++report.images_run;
  }
  if (progress) progress(images.size(), images.size(), {});
  if (report.images_run == 0)
    throw Error(ErrorKind::kInvalidArgument, "none of the " + std::to_string(images.size()) +
                                                 " calibration images could be read");
  return report;
}

}  // namespace yoloxrt
