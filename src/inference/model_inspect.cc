// Model inspection through ONNX Runtime (detector.h: inspect_model; model_inspect.h).
#include "inference/model_inspect.h"

#include "core/strings.h"
#include "inference/ort_session.h"
#include "yoloxrt/error.h"

namespace yoloxrt {
namespace fs = std::filesystem;

namespace detail {
namespace {

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
  t.element_type = core::element_type_name(static_cast<int32_t>(info.GetElementType()));
  return t;
}

}  // namespace

ModelInfo read_model_info(const Ort::Session& session) {
  ModelInfo io;
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

}  // namespace detail

ModelInfo inspect_model(const fs::path& path) {
  detail::require_model_file(path);
  try {
    Ort::SessionOptions so;
    so.SetIntraOpNumThreads(1);
    so.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_DISABLE_ALL);
    Ort::Session session(detail::ort_env(), path.c_str(), so);
    return detail::read_model_info(session);
  } catch (const Ort::Exception& e) {
    throw Error(ErrorKind::kCorrupt, std::string("ONNX Runtime cannot load the model: ") + e.what(),
                path.string());
  }
}

std::map<std::string, std::string> read_onnx_metadata_props(const fs::path& path) {
  return inspect_model(path).metadata_props;
}

}  // namespace yoloxrt
