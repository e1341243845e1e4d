// inspect_onnx: ModelInfo (yoloxrt/onnx_info.h) read from the protobuf; nothing is run.
#include <limits>
#include <map>
#include <set>

#include <onnx/onnx_pb.h>

#include "core/strings.h"
#include "yoloxrt/error.h"
#include "yoloxrt/export.h"
#include "yoloxrt/file_io.h"

namespace yoloxrt {
namespace {

TensorInfo tensor_info(const onnx::ValueInfoProto& v) {
  TensorInfo t;
  t.name = v.name();
  if (!v.type().has_tensor_type()) {
    t.element_type = "non-tensor";
    return t;
  }
  const auto& tt = v.type().tensor_type();
  t.element_type = core::element_type_name(tt.elem_type());
  for (const auto& d : tt.shape().dim()) {
    t.shape.push_back(d.has_dim_value() ? d.dim_value() : -1);
    t.dim_names.push_back(d.has_dim_value() ? std::string() : d.dim_param());
  }
  return t;
}

}  // namespace

ModelInfo inspect_onnx_bytes(std::string_view bytes) {
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()))
    throw Error(ErrorKind::kUnsupported,
                "model is " + std::to_string(bytes.size()) +
                    " bytes; protobuf models over 2 GB (external data) are not supported");
  onnx::ModelProto model;
  if (bytes.empty() || !model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) ||
      !model.has_graph())
    throw Error(ErrorKind::kCorrupt, "not a valid ONNX model (protobuf parse failed)");
  ModelInfo info;
  info.producer_name = model.producer_name();
  info.producer_version = model.producer_version();
  info.graph_name = model.graph().name();
  info.ir_version = model.ir_version();
  for (const auto& o : model.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") info.opset = o.version();
  const auto& g = model.graph();
  std::set<std::string> init_names;
  for (const auto& i : g.initializer()) {
    init_names.insert(i.name());
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
  return info;
}

ModelInfo inspect_onnx(const std::filesystem::path& path) {
  const auto bytes = read_file_bytes(path);
  try {
    return inspect_onnx_bytes(
        std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  } catch (const Error& e) {
    throw e.with_file(path.string());
  }
}

}  // namespace yoloxrt
