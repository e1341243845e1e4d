// The QDQ rewrite: which tensors become int8 and how (see yoloxrt/qdq.h for the placement).
#include "yoloxrt/qdq.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <onnx/onnx_pb.h>

#include "export/silu_pattern.h"
#include "export/simplify_eval.h"
#include "export/simplify_passes.h"
#include "yoloxrt/error.h"

namespace yoloxrt {
namespace {

using onnx::ModelProto;
using onnx::NodeProto;
using onnx::TensorProto;

constexpr float kSiluInputFloor = 6.f;

int default_opset(const ModelProto& m) {
  for (const auto& o : m.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") return static_cast<int>(o.version());
  return 0;
}

bool is_quantized_op(const std::string& op) {
  return op == "QuantizeLinear" || op == "DequantizeLinear" || op == "DynamicQuantizeLinear" ||
         op.starts_with("QLinear") || op.ends_with("Integer") || op == "QGemm";
}

// What the analysis found, shared by plan_qdq and insert_qdq so that both decide alike.
struct Analysis {
  std::vector<const NodeProto*> region;      // graph order
  std::vector<std::string> quantized;        // tensors to get a Q/DQ pair, graph order
  std::map<std::string, std::string> alias;  // MaxPool/Resize output -> input (same params)
  std::map<std::string, TensorRange> fixed;  // Sigmoid outputs: [0, 1], not calibrated
  std::set<std::string> silu_inputs;         // x of x * Sigmoid(x)
  std::vector<std::string> calibration;      // quantized minus aliases
  std::vector<std::string> graph_inputs;     // calibration tensors that are graph inputs
  std::vector<const NodeProto*> convs;       // region convs
  std::unordered_map<std::string, const TensorProto*> initializers;
};

Analysis analyze(const ModelProto& model, const QdqOptions& options) {
  const auto& g = model.graph();
  Analysis a;
  std::unordered_set<std::string> graph_input_names;
  for (const auto& t : g.initializer()) a.initializers[t.name()] = &t;
  for (const auto& vi : g.input())
    if (!a.initializers.count(vi.name())) graph_input_names.insert(vi.name());
  // Initializers that are also graph inputs are overridable, hence not constant.
  for (const auto& vi : g.input()) a.initializers.erase(vi.name());

  std::unordered_set<std::string> constant(graph_input_names.size());
  for (const auto& [name, t] : a.initializers) constant.insert(name);
  std::unordered_map<std::string, std::vector<const NodeProto*>> consumers;
  std::set<std::string> node_names;
  bool any_conv = false;
  for (const auto& n : g.node()) {
    if (is_quantized_op(n.op_type()))
      throw Error(ErrorKind::kUnsupported, "the model is already quantized (it has a " +
                                               n.op_type() + " node '" + n.name() +
                                               "'); quantize the float model instead");
    if (n.op_type() == "Constant")
      for (const auto& o : n.output()) constant.insert(o);
    for (const auto& in : n.input())
      if (!in.empty()) consumers[in].push_back(&n);
    node_names.insert(n.name());
  }
  std::vector<std::string> unknown;
  for (const auto& e : options.exclude)
    if (!node_names.count(e)) unknown.push_back(e);
  if (!unknown.empty()) {
    std::string list;
    for (const auto& u : unknown) list += (list.empty() ? "'" : ", '") + u + "'";
    throw Error(ErrorKind::kInvalidArgument,
                "--exclude names nodes the model does not have: " + list +
                    " (`yoloxrt info MODEL` lists the ops; node names are the graph's)");
  }
  std::set<std::string> excluded(options.exclude.begin(), options.exclude.end());

  auto conv_weight = [&](const NodeProto& n) -> const TensorProto* {
    if (n.op_type() != "Conv" || n.input_size() < 2) return nullptr;
    auto it = a.initializers.find(n.input(1));
    if (it == a.initializers.end() || it->second->data_type() != TensorProto::FLOAT ||
        it->second->dims_size() != 4)
      return nullptr;
    if (n.input_size() > 2 && !n.input(2).empty()) {
      auto b = a.initializers.find(n.input(2));
      if (b == a.initializers.end() || b->second->data_type() != TensorProto::FLOAT) return nullptr;
    }
    return it->second;
  };
  std::unordered_set<std::string> float_tensors;  // filled below, once exclusions are final
  auto candidate = [&](const NodeProto& n) {
    if (excluded.count(n.name()) || n.output_size() != 1) return false;
    if ((n.op_type() == "Sigmoid" || n.op_type() == "Mul") &&
        std::any_of(n.input().begin(), n.input().end(),
                    [&](const std::string& i) { return float_tensors.count(i) > 0; }))
      return false;
    const std::string& op = n.op_type();
    if (op == "Conv") {
      const TensorProto* w = conv_weight(n);
      if (!w) return false;
      if (!options.quantize_depthwise)
        for (const auto& at : n.attribute())
          if (at.name() == "group" && at.i() > 1 && w->dims(1) == 1) return false;
      return true;
    }
    if (op == "Sigmoid" || op == "Mul")
      if (!options.quantize_silu) return false;
    if (op == "Mul" || op == "Add")
      return n.input_size() == 2 && !constant.count(n.input(0)) && !constant.count(n.input(1));
    return op == "Sigmoid" || op == "Concat" || op == "MaxPool" || op == "Resize";
  };
  for (const auto& n : g.node()) any_conv |= conv_weight(n) != nullptr;
  // The first conv in graph order reads the (pre-processed) input: the stem.
  const int leading_float = std::max(options.float_leading_convs, options.quantize_stem ? 0 : 1);
  int leading_seen = 0;
  for (const auto& n : g.node()) {
    if (leading_seen >= leading_float) break;
    if (conv_weight(n)) {
      excluded.insert(n.name());
      ++leading_seen;
    }
  }
  if (!any_conv)
    throw Error(ErrorKind::kUnsupported,
                "the model has no Conv with a constant float weight: nothing to quantize");
  if (!options.per_tensor && default_opset(model) < 13)
    throw Error(ErrorKind::kUnsupported,
                "per-channel weights need opset >= 13 (the model has opset " +
                    std::to_string(default_opset(model)) +
                    "): re-export with --opset 13 or later, or use --per-tensor");

  // An excluded node takes its activation along: a Sigmoid reading its output and a Mul reading
  // either stay float too, so the excluded conv's output is never quantized.
  for (const auto& n : g.node())
    if (excluded.count(n.name()))
      for (const auto& o : n.output()) float_tensors.insert(o);
  for (const auto& n : g.node())
    if (n.op_type() == "Sigmoid" && n.input_size() == 1 && float_tensors.count(n.input(0)))
      float_tensors.insert(n.output(0));
  // A candidate is in the region if it is a Conv or a path of candidates leads from it to a Conv.
  std::unordered_map<const NodeProto*, int> memo;  // 0 unknown, 1 in, 2 out, 3 visiting
  std::function<bool(const NodeProto*)> in_region = [&](const NodeProto* n) -> bool {
    int& m = memo[n];
    if (m == 1 || m == 2) return m == 1;
    if (m == 3) return false;  // a cycle; validation rejects those elsewhere
    m = 3;
    bool in = false;
    if (candidate(*n)) {
      if (n->op_type() == "Conv") in = true;
      auto it = consumers.find(n->output(0));
      if (it != consumers.end())
        for (const NodeProto* c : it->second)
          if (in_region(c)) in = true;
    }
    memo[n] = in ? 1 : 2;
    return in;
  };

  std::unordered_set<std::string> seen;
  std::vector<std::string> order_inputs, order_rest;
  auto add_tensor = [&](const std::string& t) {
    if (t.empty() || constant.count(t) || !seen.insert(t).second) return;
    (graph_input_names.count(t) ? order_inputs : order_rest).push_back(t);
  };
  for (const auto& n : g.node()) {
    if (!in_region(&n)) continue;
    a.region.push_back(&n);
    if (n.op_type() == "Conv") a.convs.push_back(&n);
    const std::string& op = n.op_type();
    // Data inputs only: Resize's roi/scales/sizes and Conv's weight/bias are not activations.
    const int data_inputs =
        (op == "Conv" || op == "Resize" || op == "MaxPool" || op == "Sigmoid") ? 1 : n.input_size();
    for (int i = 0; i < data_inputs; ++i) add_tensor(n.input(i));
    add_tensor(n.output(0));
    if (op == "MaxPool" || op == "Resize") a.alias[n.output(0)] = n.input(0);
    // A sigmoid's natural range: clipping its top would scale every large SiLU output down.
    if (op == "Sigmoid") {
      a.fixed[n.output(0)] = {0.f, 1.f};
      // SiLU: Mul(x, Sigmoid(x)) in either input order.
      auto it = consumers.find(n.output(0));
      if (it != consumers.end())
        for (const NodeProto* m : it->second)
          if (exporter::is_silu_mul(n, *m)) a.silu_inputs.insert(n.input(0));
    }
  }
  if (a.convs.empty())
    throw Error(ErrorKind::kUnsupported,
                "every convolution is excluded (the stem stays float unless quantize_stem / "
                "--quantize-stem): nothing to quantize");
  a.quantized = order_inputs;
  a.quantized.insert(a.quantized.end(), order_rest.begin(), order_rest.end());
  for (const auto& t : a.quantized) {
    if (a.alias.count(t) || a.fixed.count(t)) continue;
    a.calibration.push_back(t);
    if (graph_input_names.count(t)) a.graph_inputs.push_back(t);
  }
  return a;
}

// Follows alias chains (a MaxPool of a MaxPool) to the tensor whose range was calibrated.
std::string range_source(const Analysis& a, std::string t) {
  for (int guard = 0; guard < 1000; ++guard) {
    auto it = a.alias.find(t);
    if (it == a.alias.end()) return t;
    t = it->second;
  }
  return t;
}

// The inputs of each int8 Concat take its output's range, so that ONNX Runtime's QLinearConcat
// copies bytes instead of requantizing every input through a lookup table. Tensors read by
// several Concats (directly or through a MaxPool/Resize alias) join one group, whose range is the
// union of its Concat outputs' own ranges. Returns the shared range per range source; tensors in
// no group are absent.
std::map<std::string, TensorRange> shared_concat_ranges(
    const Analysis& a, const std::function<TensorRange(const std::string&)>& own_range) {
  std::map<std::string, TensorRange> out;
  std::map<std::string, std::string> parent;
  std::set<std::string> concat_outputs;
  std::function<std::string(const std::string&)> find = [&](const std::string& x) {
    auto it = parent.find(x);
    if (it == parent.end() || it->second == x) return x;
    return it->second = find(it->second);
  };
  for (const NodeProto* n : a.region) {
    if (n->op_type() != "Concat") continue;
    const std::string root = find(range_source(a, n->output(0)));
    concat_outputs.insert(range_source(a, n->output(0)));
    parent.emplace(root, root);
    for (const auto& in : n->input()) {
      const std::string r = find(range_source(a, in));
      if (r != root) parent[r] = root;
    }
  }
  std::map<std::string, TensorRange> group;
  for (const auto& t : concat_outputs) {
    const TensorRange r = own_range(t);
    auto [it, fresh] = group.emplace(find(t), r);
    if (!fresh) {
      it->second.min = std::min(it->second.min, r.min);
      it->second.max = std::max(it->second.max, r.max);
    }
  }
  for (const auto& [t, p] : parent) out[t] = group.at(find(t));
  return out;
}

std::vector<float> float_data(const TensorProto& t) {
  auto v = simplify::value_from_tensor(t);
  if (!v || !v->is_float())
    throw Error(ErrorKind::kUnsupported, "initializer '" + t.name() + "' is not float data");
  return std::vector<float>(v->f.begin(), v->f.end());
}

TensorProto make_tensor(const std::string& name, int32_t dtype, const std::vector<int64_t>& dims,
                        const void* data, size_t bytes) {
  TensorProto t;
  t.set_name(name);
  t.set_data_type(dtype);
  for (int64_t d : dims) t.add_dims(d);
  t.set_raw_data(std::string(static_cast<const char*>(data), bytes));
  return t;
}

NodeProto make_node(const std::string& op, std::vector<std::string> inputs,
                    const std::string& output, const std::string& name, int64_t axis = -1) {
  NodeProto n;
  n.set_op_type(op);
  n.set_name(name);
  for (auto& i : inputs) n.add_input(i);
  n.add_output(output);
  if (axis >= 0) {
    auto* at = n.add_attribute();
    at->set_name("axis");
    at->set_type(onnx::AttributeProto::INT);
    at->set_i(axis);
  }
  return n;
}

}  // namespace

QuantParams activation_quant_params(TensorRange r, ActivationType type) {
  float lo = std::min(r.min, 0.f), hi = std::max(r.max, 0.f);
  if (!std::isfinite(lo) || !std::isfinite(hi))
    throw Error(ErrorKind::kInvalidArgument, "activation range is not finite");
  QuantParams p;
  if (hi - lo <= 0.f) return p;  // an all-zero tensor: any scale represents it
  p.scale = (hi - lo) / 255.f;
  const double q0 = type == ActivationType::kUint8 ? 0.0 : -128.0;
  const long zp = std::lround(q0 - static_cast<double>(lo) / p.scale);
  p.zero_point =
      static_cast<int>(std::clamp<long>(zp, static_cast<long>(q0), static_cast<long>(q0) + 255));
  return p;
}

QdqPlan plan_qdq(std::string_view model_bytes, const QdqOptions& options) {
  const ModelProto model = simplify::parse_model_bytes(model_bytes);
  const Analysis a = analyze(model, options);
  QdqPlan plan;
  for (const auto* c : a.convs) plan.conv_nodes.push_back(c->name());
  plan.calibration_tensors = a.calibration;
  plan.graph_inputs = a.graph_inputs;
  plan.region_nodes = static_cast<int>(a.region.size());
  std::unordered_set<const NodeProto*> region(a.region.begin(), a.region.end());
  std::unordered_set<std::string> graph_outputs;
  for (const auto& o : model.graph().output()) graph_outputs.insert(o.name());
  std::unordered_set<std::string> leaves;
  for (const auto& n : model.graph().node())
    if (!region.count(&n))
      for (const auto& i : n.input()) leaves.insert(i);
  for (const auto& t : a.quantized)
    if ((leaves.count(t) || graph_outputs.count(t)) &&
        std::find(a.graph_inputs.begin(), a.graph_inputs.end(), t) == a.graph_inputs.end())
      plan.region_outputs.push_back(t);
  return plan;
}

std::string add_graph_outputs(std::string_view model_bytes,
                              const std::vector<std::string>& tensors) {
  ModelProto model = simplify::parse_model_bytes(model_bytes);
  auto* g = model.mutable_graph();
  std::unordered_set<std::string> produced, inputs, outputs;
  for (const auto& n : g->node())
    for (const auto& o : n.output()) produced.insert(o);
  for (const auto& i : g->input()) inputs.insert(i.name());
  for (const auto& o : g->output()) outputs.insert(o.name());
  for (const auto& t : tensors) {
    if (inputs.count(t) || outputs.count(t)) continue;
    if (!produced.count(t))
      throw Error(ErrorKind::kNotFound, "no node of the model produces tensor '" + t + "'");
    auto* vi = g->add_output();
    vi->set_name(t);
    vi->mutable_type()->mutable_tensor_type()->set_elem_type(TensorProto::FLOAT);
    outputs.insert(t);
  }
  std::string out;
  model.SerializeToString(&out);
  return out;
}

std::string insert_qdq(std::string_view model_bytes, const QdqOptions& options,
                       const std::map<std::string, TensorRange>& ranges,
                       const std::map<std::string, std::string>& metadata) {
  ModelProto model = simplify::parse_model_bytes(model_bytes);
  const Analysis a = analyze(model, options);
  for (const auto& t : a.calibration)
    if (!ranges.count(t))
      throw Error(ErrorKind::kInvalidArgument, "no calibrated range for tensor '" + t + "'");

  auto* g = model.mutable_graph();
  const int32_t act_type =
      options.activation_type == ActivationType::kUint8 ? TensorProto::UINT8 : TensorProto::INT8;
  std::vector<TensorProto> new_inits;
  std::map<std::string, QuantParams> params;                               // per quantized tensor
  std::map<std::string, std::pair<std::string, std::string>> param_names;  // scale, zp initializers
  // The range a tensor's own statistics give it.
  auto own_range = [&](const std::string& src) {
    const auto fixed = a.fixed.find(src);
    TensorRange r = fixed != a.fixed.end() ? fixed->second : ranges.at(src);
    // SiLU is flat below about -6 (SiLU(-6) = -0.015, SiLU(-inf) = 0): the codes below it
    // would be spent on one output value, so the SiLU input's range stops there.
    if (a.silu_inputs.count(src)) r.min = std::max(r.min, -kSiluInputFloor);
    return r;
  };
  const std::map<std::string, TensorRange> shared = options.share_concat_ranges
                                                        ? shared_concat_ranges(a, own_range)
                                                        : std::map<std::string, TensorRange>{};
  for (const auto& t : a.quantized) {
    const std::string src = range_source(a, t);
    const auto sh = shared.find(src);
    const TensorRange r = sh != shared.end() ? sh->second : own_range(src);
    const QuantParams p = activation_quant_params(r, options.activation_type);
    params[t] = p;
    // Aliased tensors share the initializers, which is what lets ORT drop their pair.
    if (src != t && param_names.count(src)) {
      param_names[t] = param_names[src];
      continue;
    }
    const std::string s = src + "/qdq.scale", z = src + "/qdq.zero_point";
    new_inits.push_back(make_tensor(s, TensorProto::FLOAT, {}, &p.scale, sizeof(float)));
    if (act_type == TensorProto::UINT8) {
      const uint8_t zp = static_cast<uint8_t>(p.zero_point);
      new_inits.push_back(make_tensor(z, act_type, {}, &zp, 1));
    } else {
      const int8_t zp = static_cast<int8_t>(p.zero_point);
      new_inits.push_back(make_tensor(z, act_type, {}, &zp, 1));
    }
    param_names[t] = {s, z};
    if (src != t) param_names[src] = {s, z};
  }

  // Q/DQ pairs, keyed by the tensor they follow. Consumers read "<t>/dq".
  std::unordered_map<std::string, std::vector<NodeProto>> pairs;
  std::unordered_set<std::string> quantized(a.quantized.begin(), a.quantized.end());
  for (const auto& t : a.quantized) {
    const auto& [s, z] = param_names.at(t);
    auto& v = pairs[t];
    v.push_back(make_node("QuantizeLinear", {t, s, z}, t + "/q", t + "/QuantizeLinear"));
    v.push_back(
        make_node("DequantizeLinear", {t + "/q", s, z}, t + "/dq", t + "/DequantizeLinear"));
  }

  // Weights and biases of the region's convs.
  std::vector<NodeProto> weight_nodes;
  std::unordered_map<const NodeProto*, std::pair<std::string, std::string>> conv_inputs;
  for (const NodeProto* c : a.convs) {
    const TensorProto& wt = *a.initializers.at(c->input(1));
    const std::vector<float> w = float_data(wt);
    const int64_t out_ch = wt.dims(0);
    const size_t per = w.size() / static_cast<size_t>(out_ch);
    const int64_t channels = options.per_tensor ? 1 : out_ch;
    std::vector<float> ws(static_cast<size_t>(channels), 0.f);
    for (int64_t o = 0; o < out_ch; ++o) {
      float& m = ws[options.per_tensor ? 0 : o];
      for (size_t i = 0; i < per; ++i) m = std::max(m, std::fabs(w[o * per + i]));
    }
    for (float& s : ws) s = s > 0.f ? s / 127.f : 1.f;  // symmetric: +-max|w| -> +-127
    std::vector<int8_t> q(w.size());
    for (size_t i = 0; i < w.size(); ++i) {
      const float s = ws[options.per_tensor ? 0 : i / per];
      q[i] = static_cast<int8_t>(std::clamp(std::lround(w[i] / s), -127L, 127L));
    }
    const std::string base = c->name().empty() ? c->output(0) : c->name();
    const std::string wq = base + "/weight.q", wsn = base + "/weight.scale",
                      wz = base + "/weight.zero_point", wdq = base + "/weight.dq";
    std::vector<int64_t> dims(wt.dims().begin(), wt.dims().end());
    new_inits.push_back(make_tensor(wq, TensorProto::INT8, dims, q.data(), q.size()));
    const std::vector<int64_t> sdims =
        options.per_tensor ? std::vector<int64_t>{} : std::vector<int64_t>{out_ch};
    new_inits.push_back(
        make_tensor(wsn, TensorProto::FLOAT, sdims, ws.data(), ws.size() * sizeof(float)));
    const std::vector<int8_t> zeros(ws.size(), 0);
    new_inits.push_back(make_tensor(wz, TensorProto::INT8, sdims, zeros.data(), zeros.size()));
    weight_nodes.push_back(make_node("DequantizeLinear", {wq, wsn, wz}, wdq, base + "/weight.DQ",
                                     options.per_tensor ? -1 : 0));
    std::string bdq;
    if (c->input_size() > 2 && !c->input(2).empty()) {
      const std::vector<float> b = float_data(*a.initializers.at(c->input(2)));
      const float sx = params.at(c->input(0)).scale;
      std::vector<float> bs(static_cast<size_t>(out_ch));
      std::vector<int32_t> bq(static_cast<size_t>(out_ch));
      for (int64_t o = 0; o < out_ch; ++o) {
        bs[o] = sx * ws[options.per_tensor ? 0 : o];
        const double v = std::nearbyint(static_cast<double>(b[o]) / bs[o]);
        bq[o] = static_cast<int32_t>(std::clamp(v, -2147483647.0, 2147483647.0));
      }
      const std::string bqn = base + "/bias.q", bsn = base + "/bias.scale",
                        bzn = base + "/bias.zero_point";
      bdq = base + "/bias.dq";
      new_inits.push_back(make_tensor(bqn, TensorProto::INT32, {out_ch}, bq.data(), bq.size() * 4));
      new_inits.push_back(make_tensor(bsn, TensorProto::FLOAT, {out_ch}, bs.data(), bs.size() * 4));
      const std::vector<int32_t> bz(static_cast<size_t>(out_ch), 0);
      new_inits.push_back(make_tensor(bzn, TensorProto::INT32, {out_ch}, bz.data(), bz.size() * 4));
      weight_nodes.push_back(
          make_node("DequantizeLinear", {bqn, bsn, bzn}, bdq, base + "/bias.DQ", 0));
    }
    conv_inputs[c] = {wdq, bdq};
  }

  // Rebuild the node list: weight DQs and graph-input pairs first, then each node followed by the
  // pair of its output; consumers of a quantized tensor read its DequantizeLinear.
  std::unordered_set<std::string> graph_outputs;
  for (const auto& o : g->output()) graph_outputs.insert(o.name());
  std::vector<NodeProto> nodes = std::move(weight_nodes);
  for (const auto& t : a.quantized)
    if (quantized.count(t) &&
        std::find(a.graph_inputs.begin(), a.graph_inputs.end(), t) != a.graph_inputs.end())
      for (auto& n : pairs[t]) nodes.push_back(n);
  std::unordered_set<std::string> old_weights;
  for (const auto& n : g->node()) {
    NodeProto copy = n;
    for (int i = 0; i < copy.input_size(); ++i)
      if (quantized.count(copy.input(i))) copy.set_input(i, copy.input(i) + "/dq");
    for (const auto& [conv, wb] : conv_inputs) {
      if (conv != &n) continue;
      old_weights.insert(n.input(1));
      copy.set_input(1, wb.first);
      if (!wb.second.empty()) {
        old_weights.insert(n.input(2));
        copy.set_input(2, wb.second);
      }
    }
    nodes.push_back(std::move(copy));
    for (const auto& o : n.output())
      if (quantized.count(o) && !graph_outputs.count(o))
        for (auto& p : pairs[o]) nodes.push_back(p);
  }
  g->clear_node();
  for (auto& n : nodes) *g->add_node() = std::move(n);
  // Drop float weights no longer used by any node.
  std::unordered_set<std::string> used;
  for (const auto& n : g->node())
    for (const auto& i : n.input()) used.insert(i);
  auto* inits = g->mutable_initializer();
  for (int i = inits->size() - 1; i >= 0; --i)
    if (old_weights.count(inits->Get(i).name()) && !used.count(inits->Get(i).name()))
      inits->DeleteSubrange(i, 1);
  for (auto& t : new_inits) *g->add_initializer() = std::move(t);

  // Metadata: keep everything, add/replace the given keys.
  for (const auto& [k, v] : metadata) {
    bool found = false;
    for (auto& p : *model.mutable_metadata_props())
      if (p.key() == k) {
        p.set_value(v);
        found = true;
      }
    if (!found) {
      auto* p = model.add_metadata_props();
      p->set_key(k);
      p->set_value(v);
    }
  }
  // Old inferred shapes stay valid (names unchanged); the checker re-infers the rest.
  simplify::check_model_full(model);
  std::string out;
  model.SerializeToString(&out);
  return out;
}

}  // namespace yoloxrt
