// Model inspection through ONNX Runtime (detector.h: inspect_model; model_inspect.h).
#include "inference/model_inspect.h"

#include "inference/ort_session.h"
#include "yoloxrt/error.h"

namespace yoloxrt {
namespace fs = std::filesystem;

namespace detail {
namespace {

std::string element_type_name(ONNXTensorElementDataType t) {
  switch (t) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT:
      return "float32";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16:
      return "float16";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE:
      return "float64";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8:
      return "uint8";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8:
      return "int8";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32:
      return "int32";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64:
      return "int64";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL:
      return "bool";
    default:
      return "type " + std::to_string(static_cast<int>(t));
  }
}

TensorInfo tensor_info(const Ort::TypeInfo& type_info, std::string name) {
  TensorInfo t;
  t.name = std::move(name);
  if (type_info.GetONNXType() != ONNX_TYPE_TENSOR) {
    t.element_type = "non-tensor";
    return t;
  }
  auto info = type_info.GetTensorTypeAndShapeInfo();
  t.shape = info.GetShape();
  std::vector<const char*> sym(t.shape.size(), nullptr);
  info.GetSymbolicDimensions(sym.data(), sym.size());
  for (const char* s : sym) t.dim_names.emplace_back(s ? s : "");
  t.element_type = element_type_name(info.GetElementType());
  return t;
}

}  // namespace

ModelIO read_model_io(const Ort::Session& session) {
  ModelIO io;
  Ort::AllocatorWithDefaultOptions alloc;
  for (size_t i = 0; i < session.GetInputCount(); ++i)
    io.inputs.push_back(
        tensor_info(session.GetInputTypeInfo(i), session.GetInputNameAllocated(i, alloc).get()));
  for (size_t i = 0; i < session.GetOutputCount(); ++i)
    io.outputs.push_back(
        tensor_info(session.GetOutputTypeInfo(i), session.GetOutputNameAllocated(i, alloc).get()));
  Ort::ModelMetadata md = session.GetModelMetadata();
  io.producer_name = md.GetProducerNameAllocated(alloc).get();
  io.graph_name = md.GetGraphNameAllocated(alloc).get();
  for (auto& key : md.GetCustomMetadataMapKeysAllocated(alloc)) {
    auto value = md.LookupCustomMetadataMapAllocated(key.get(), alloc);
    io.metadata_props[key.get()] = value ? value.get() : "";
  }
  return io;
}

void require_model_file(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec))
    throw Error(ErrorKind::kNotFound, "model file does not exist", path.string());
  if (fs::is_directory(path, ec))
    throw Error(ErrorKind::kIo, "is a directory, expected an ONNX model file", path.string());
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += shape[i] < 0 ? std::string("?") : std::to_string(shape[i]);
  }
  return s + "]";
}

}  // namespace detail

ModelIO inspect_model(const fs::path& path) {
  detail::require_model_file(path);
  try {
    Ort::SessionOptions so;
    so.SetIntraOpNumThreads(1);
    so.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_DISABLE_ALL);
    Ort::Session session(detail::ort_env(), path.c_str(), so);
    return detail::read_model_io(session);
  } catch (const Ort::Exception& e) {
    throw Error(ErrorKind::kCorrupt, std::string("ONNX Runtime cannot load the model: ") + e.what(),
                path.string());
  }
}

std::map<std::string, std::string> read_onnx_metadata_props(const fs::path& path) {
  return inspect_model(path).metadata_props;
}

}  // namespace yoloxrt
