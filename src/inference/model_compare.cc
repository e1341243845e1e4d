#include "yoloxrt/model_compare.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include <onnxruntime_cxx_api.h>

#include "inference/ort_session.h"
#include "yoloxrt/error.h"

namespace yoloxrt {
namespace {

struct Session {
  std::unique_ptr<Ort::Session> session;
  std::vector<std::string> input_names, output_names;
  std::vector<ONNXTensorElementDataType> input_types;
};

Session open_session(std::string_view bytes, const char* which) {
  Session s;
  try {
    Ort::SessionOptions so;
    so.SetIntraOpNumThreads(1);
    // As written: ORT's own fusions would blur what the comparison is meant to show.
    so.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_DISABLE_ALL);
    s.session = std::make_unique<Ort::Session>(detail::ort_env(), bytes.data(), bytes.size(), so);
    Ort::AllocatorWithDefaultOptions alloc;
    for (size_t k = 0; k < s.session->GetInputCount(); ++k) {
      s.input_names.emplace_back(s.session->GetInputNameAllocated(k, alloc).get());
      s.input_types.push_back(
          s.session->GetInputTypeInfo(k).GetTensorTypeAndShapeInfo().GetElementType());
    }
    for (size_t k = 0; k < s.session->GetOutputCount(); ++k)
      s.output_names.emplace_back(s.session->GetOutputNameAllocated(k, alloc).get());
  } catch (const Ort::Exception& e) {
    throw Error(ErrorKind::kRuntime,
                std::string("ONNX Runtime cannot load model ") + which + ": " + e.what());
  }
  return s;
}

// Converts a numeric output to doubles.
std::vector<double> to_doubles(const Ort::Value& v, const std::string& name) {
  const auto info = v.GetTensorTypeAndShapeInfo();
  const size_t n = info.GetElementCount();
  std::vector<double> out(n);
  auto copy = [&](const auto* p) {
    for (size_t k = 0; k < n; ++k) out[k] = static_cast<double>(p[k]);
  };
  switch (info.GetElementType()) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT:
      copy(v.GetTensorData<float>());
      break;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE:
      copy(v.GetTensorData<double>());
      break;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64:
      copy(v.GetTensorData<int64_t>());
      break;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32:
      copy(v.GetTensorData<int32_t>());
      break;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL:
      copy(v.GetTensorData<bool>());
      break;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8:
      copy(v.GetTensorData<uint8_t>());
      break;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8:
      copy(v.GetTensorData<int8_t>());
      break;
    default:
      throw Error(ErrorKind::kUnsupported, "output '" + name + "' has an element type (" +
                                               std::to_string(info.GetElementType()) +
                                               ") the comparison does not handle");
  }
  return out;
}

}  // namespace

CompareResult compare_models(std::string_view model_a, std::string_view model_b,
                             const std::vector<InputShape>& shapes, int runs, uint64_t seed) {
  Session a = open_session(model_a, "A"), b = open_session(model_b, "B");
  std::map<std::string, std::vector<int64_t>> dims_by_name;
  for (const auto& s : shapes) dims_by_name[s.name] = s.dims;
  for (const auto& name : a.input_names)
    if (!dims_by_name.count(name))
      throw Error(ErrorKind::kInvalidArgument, "no shape given for input '" + name + "'");
  for (const auto& name : a.output_names)
    if (std::find(b.output_names.begin(), b.output_names.end(), name) == b.output_names.end())
      throw Error(ErrorKind::kMismatch, "model B has no output '" + name + "'");

  CompareResult result;
  for (const auto& name : a.output_names) result.outputs.push_back(OutputDiff{name});
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  auto mem = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);

  for (int run = 0; run < runs; ++run) {
    // One byte buffer per input of A; both models' Ort::Values view the same buffers.
    std::map<std::string, std::pair<std::vector<uint8_t>, ONNXTensorElementDataType>> buffers;
    for (size_t k = 0; k < a.input_names.size(); ++k) {
      const auto& name = a.input_names[k];
      size_t n = 1;
      for (int64_t d : dims_by_name[name]) n *= static_cast<size_t>(std::max<int64_t>(d, 0));
      const auto type = a.input_types[k];
      std::vector<uint8_t> buf;
      switch (type) {
        case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT: {
          buf.resize(n * sizeof(float));
          auto* p = reinterpret_cast<float*>(buf.data());
          for (size_t e = 0; e < n; ++e) p[e] = static_cast<float>(uniform(rng));
          break;
        }
        case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE: {
          buf.resize(n * sizeof(double));
          auto* p = reinterpret_cast<double*>(buf.data());
          for (size_t e = 0; e < n; ++e) p[e] = uniform(rng);
          break;
        }
        case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64:
          buf.assign(n * 8, 0);
          break;
        case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32:
          buf.assign(n * 4, 0);
          break;
        case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL:
          buf.assign(n, 0);
          break;
        default:
          throw Error(ErrorKind::kUnsupported, "input '" + name + "' has an element type (" +
                                                   std::to_string(type) +
                                                   ") the comparison cannot generate");
      }
      buffers[name] = {std::move(buf), type};
    }
    auto feed = [&](const Session& s, std::vector<const char*>& names) {
      std::vector<Ort::Value> values;
      for (const auto& name : s.input_names) {
        auto it = buffers.find(name);
        if (it == buffers.end())
          throw Error(ErrorKind::kMismatch, "model B has an input '" + name + "' that A lacks");
        const auto& dims = dims_by_name[name];
        values.push_back(Ort::Value::CreateTensor(mem, it->second.first.data(),
                                                  it->second.first.size(), dims.data(), dims.size(),
                                                  it->second.second));
        names.push_back(name.c_str());
      }
      return values;
    };
    std::vector<const char*> a_names, b_names, out_names;
    std::vector<Ort::Value> a_inputs = feed(a, a_names), b_inputs = feed(b, b_names);
    for (const auto& name : a.output_names) out_names.push_back(name.c_str());

    std::vector<Ort::Value> a_out, b_out;
    try {
      a_out = a.session->Run(Ort::RunOptions{nullptr}, a_names.data(), a_inputs.data(),
                             a_inputs.size(), out_names.data(), out_names.size());
    } catch (const Ort::Exception& e) {
      throw Error(ErrorKind::kRuntime,
                  std::string("ONNX Runtime failed running model A: ") + e.what());
    }
    try {
      b_out = b.session->Run(Ort::RunOptions{nullptr}, b_names.data(), b_inputs.data(),
                             b_inputs.size(), out_names.data(), out_names.size());
    } catch (const Ort::Exception& e) {
      throw Error(ErrorKind::kRuntime,
                  std::string("ONNX Runtime failed running model B: ") + e.what());
    }

    for (size_t k = 0; k < a_out.size(); ++k) {
      OutputDiff& d = result.outputs[k];
      const auto ia = a_out[k].GetTensorTypeAndShapeInfo(),
                 ib = b_out[k].GetTensorTypeAndShapeInfo();
      if (ia.GetShape() != ib.GetShape() || ia.GetElementType() != ib.GetElementType())
        throw Error(ErrorKind::kMismatch, "output '" + d.name + "' differs in shape or type");
      d.shape = ia.GetShape();
      const auto va = to_doubles(a_out[k], d.name), vb = to_doubles(b_out[k], d.name);
      for (size_t e = 0; e < va.size(); ++e) {
        // NaN in one but not the other counts as an infinite difference.
        const double diff = (std::isnan(va[e]) != std::isnan(vb[e])) ? INFINITY
                            : std::isnan(va[e])                      ? 0.0
                                                                     : std::fabs(va[e] - vb[e]);
        d.max_abs_diff = std::max(d.max_abs_diff, diff);
        if (std::isfinite(va[e])) d.max_abs_ref = std::max(d.max_abs_ref, std::fabs(va[e]));
      }
    }
  }
  for (auto& d : result.outputs) {
    d.rel_diff = d.max_abs_diff / std::max(d.max_abs_ref, 1e-30);
    result.worst_rel_diff = std::max(result.worst_rel_diff, d.rel_diff);
    result.worst_abs_diff = std::max(result.worst_abs_diff, d.max_abs_diff);
  }
  return result;
}

}  // namespace yoloxrt
