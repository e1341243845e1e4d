// list_conv_nodes (yoloxrt/conv_graph.h).
#include "yoloxrt/conv_graph.h"

#include <unordered_map>

#include <onnx/onnx_pb.h>

#include "export/silu_pattern.h"
#include "export/simplify_eval.h"
#include "export/simplify_passes.h"

namespace yoloxrt {

std::vector<ConvNode> list_conv_nodes(std::string_view model_bytes) {
  const onnx::ModelProto model = simplify::parse_model_bytes(model_bytes);
  const auto& g = model.graph();
  std::unordered_map<std::string, const onnx::TensorProto*> inits;
  for (const auto& t : g.initializer()) inits[t.name()] = &t;
  std::unordered_map<std::string, std::vector<const onnx::NodeProto*>> consumers;
  for (const auto& n : g.node())
    for (const auto& i : n.input()) consumers[i].push_back(&n);
  auto readers = [&](const std::string& t) {
    auto it = consumers.find(t);
    return it == consumers.end() ? std::vector<const onnx::NodeProto*>{} : it->second;
  };
  std::vector<ConvNode> out;
  for (const auto& n : g.node()) {
    if (n.op_type() != "Conv" || n.input_size() < 2 || n.output_size() < 1) continue;
    ConvNode c;
    c.name = n.name();
    c.input = n.input(0);
    c.output = n.output(0);
    for (const auto& at : n.attribute())
      if (at.name() == "group") c.group = at.i();
    auto w = inits.find(n.input(1));
    if (w != inits.end() && w->second->dims_size() == 4) {
      c.constant_weight = true;
      c.out_channels = w->second->dims(0);
      c.in_channels = w->second->dims(1) * c.group;
      c.depthwise = c.group > 1 && w->second->dims(1) == 1;
      auto v = simplify::value_from_tensor(*w->second);
      if (v && v->is_float() && c.out_channels > 0) {
        const size_t per = v->f.size() / static_cast<size_t>(c.out_channels);
        c.weight_sq_norms.assign(static_cast<size_t>(c.out_channels), 0.0);
        for (size_t i = 0; i < v->f.size(); ++i)
          c.weight_sq_norms[i / per] += static_cast<double>(v->f[i]) * v->f[i];
      }
    }
    // SiLU: Mul(y, Sigmoid(y)) in either input order.
    for (const auto* s : readers(c.output)) {
      if (s->op_type() != "Sigmoid" || s->output_size() != 1) continue;
      for (const auto* m : readers(s->output(0)))
        if (exporter::is_silu_mul(*s, *m)) c.activation_output = m->output(0);
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::map<std::string, TensorRange> quantized_ranges(std::string_view qdq_model_bytes) {
  const onnx::ModelProto model = simplify::parse_model_bytes(qdq_model_bytes);
  const auto& g = model.graph();
  std::unordered_map<std::string, const onnx::TensorProto*> inits;
  for (const auto& t : g.initializer()) inits[t.name()] = &t;
  std::map<std::string, TensorRange> out;
  for (const auto& n : g.node()) {
    if (n.op_type() != "QuantizeLinear" || n.input_size() < 3) continue;
    auto s = inits.find(n.input(1));
    auto z = inits.find(n.input(2));
    if (s == inits.end() || z == inits.end()) continue;
    const auto sv = simplify::value_from_tensor(*s->second);
    if (!sv || sv->f.size() != 1) continue;
    // 8-bit zero points: one raw byte, or one int32_data entry (the value_from_tensor evaluator
    // has no 8-bit types).
    const onnx::TensorProto& zt = *z->second;
    const bool is_u8 = zt.data_type() == onnx::TensorProto::UINT8;
    if (!is_u8 && zt.data_type() != onnx::TensorProto::INT8) continue;
    double zp = 0;
    if (zt.raw_data().size() == 1)
      zp = is_u8 ? static_cast<uint8_t>(zt.raw_data()[0]) : static_cast<int8_t>(zt.raw_data()[0]);
    else if (zt.raw_data().empty() && zt.int32_data_size() == 1)
      zp = zt.int32_data(0);
    else
      continue;
    const double scale = sv->f[0];
    const double qmin = is_u8 ? 0 : -128, qmax = is_u8 ? 255 : 127;
    out[n.input(0)] = {static_cast<float>((qmin - zp) * scale),
                       static_cast<float>((qmax - zp) * scale)};
  }
  return out;
}

}  // namespace yoloxrt
