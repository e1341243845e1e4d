#include <map>

#include <onnx/onnx_pb.h>

#include "yoloxrt/error.h"
#include "yoloxrt/export.h"
#include "yoloxrt/file_io.h"

namespace yoloxrt {
namespace {

std::string element_type_name(int t) {
  switch (t) {
    case onnx::TensorProto::FLOAT:
      return "float32";
    case onnx::TensorProto::FLOAT16:
      return "float16";
    case onnx::TensorProto::DOUBLE:
      return "float64";
    case onnx::TensorProto::INT64:
      return "int64";
    case onnx::TensorProto::INT32:
      return "int32";
    case onnx::TensorProto::UINT8:
      return "uint8";
    case onnx::TensorProto::INT8:
      return "int8";
    case onnx::TensorProto::BOOL:
      return "bool";
    default:
      return "type" + std::to_string(t);
  }
}

OnnxTensorInfo tensor_info(const onnx::ValueInfoProto& v) {
  OnnxTensorInfo t;
  t.name = v.name();
  const auto& tt = v.type().tensor_type();
  t.element_type = element_type_name(tt.elem_type());
  for (const auto& d : tt.shape().dim())
    t.dims.push_back(d.has_dim_value() ? std::to_string(d.dim_value())
                                       : (d.dim_param().empty() ? "?" : d.dim_param()));
  return t;
}

}  // namespace

OnnxModelInfo inspect_onnx(const std::filesystem::path& path) {
  const auto bytes = read_file_bytes(path);
  onnx::ModelProto model;
  if (bytes.empty() || !model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) ||
      !model.has_graph())
    throw Error(ErrorKind::kCorrupt, "not a valid ONNX model (protobuf parse failed)",
                path.string());
  OnnxModelInfo info;
  info.producer = model.producer_name() + " " + model.producer_version();
  info.ir_version = model.ir_version();
  for (const auto& o : model.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") info.opset = o.version();
  const auto& g = model.graph();
  std::map<std::string, bool> init_names;
  for (const auto& i : g.initializer()) {
    init_names[i.name()] = true;
    uint64_t n = 1;
    for (auto d : i.dims()) n *= static_cast<uint64_t>(d);
    info.parameter_count += n;
  }
  info.initializer_count = static_cast<size_t>(g.initializer_size());
  for (const auto& i : g.input())
    if (!init_names.count(i.name())) info.inputs.push_back(tensor_info(i));
  for (const auto& o : g.output()) info.outputs.push_back(tensor_info(o));
  std::map<std::string, int> ops;
  for (const auto& n : g.node()) ++ops[n.op_type()];
  info.op_counts.assign(ops.begin(), ops.end());
  info.node_count = g.node_size();
  for (const auto& p : model.metadata_props()) info.metadata_props[p.key()] = p.value();
  try {
    info.metadata = ModelMetadata::from_props(info.metadata_props);
  } catch (const Error& e) {
    throw e.with_file(path.string());
  }
  return info;
}

}  // namespace yoloxrt
