// Simplifier pass 6: BatchNormalization folded into the preceding Conv.
#include "export/simplify_passes.h"

#include <algorithm>
#include <optional>
#include <unordered_map>

#include "export/batch_norm.h"
#include "export/simplify/graph_utils.h"
#include "export/simplify_eval.h"

namespace yoloxrt::simplify {

int64_t fold_batch_norm_into_conv(ModelProto& model) {
  GraphProto& g = *model.mutable_graph();
  const NameSet consts = constant_names(g);
  const NameSet outputs = graph_output_names(g);
  auto reads = count_reads(g);
  std::unordered_map<std::string, int> producer;
  for (int k = 0; k < g.node_size(); ++k)
    for (const auto& o : g.node(k).output()) producer[o] = k;
  NameMaker names(g);

  auto float_const = [&](const std::string& name) -> std::optional<Value> {
    if (name.empty() || !consts.count(name)) return std::nullopt;
    const TensorProto* t = find_initializer(g, name);
    if (!t || t->data_type() != TensorProto::FLOAT) return std::nullopt;
    return value_from_tensor(*t);
  };

  std::vector<bool> remove(g.node_size(), false);
  std::vector<TensorProto> new_inits;
  int64_t count = 0;
  for (int k = 0; k < g.node_size(); ++k) {
    const NodeProto& bn = g.node(k);
    if (bn.op_type() != "BatchNormalization" || !is_default_domain(bn.domain()) ||
        bn.input_size() != 5)
      continue;
    bool inference = true;
    double eps = 1e-5;
    for (const auto& a : bn.attribute()) {
      if (a.name() == "epsilon") eps = a.f();
      if (a.name() == "training_mode" && a.i() != 0) inference = false;
      if (a.name() == "is_test" && a.i() == 0) inference = false;
      if (a.name() == "spatial" && a.i() == 0) inference = false;  // per-element BN (opset < 9)
    }
    for (int o = 1; o < bn.output_size(); ++o)
      if (!bn.output(o).empty() && reads.count(bn.output(o))) inference = false;
    if (!inference) continue;
    const std::string& x = bn.input(0);
    auto pit = producer.find(x);
    if (pit == producer.end() || remove[pit->second]) continue;
    NodeProto& conv = *g.mutable_node(pit->second);
    if (conv.op_type() != "Conv" || !is_default_domain(conv.domain()) || conv.output_size() != 1 ||
        reads[x] != 1 || outputs.count(x))
      continue;
    auto w = float_const(conv.input(1));
    std::optional<Value> b;
    if (conv.input_size() > 2 && !conv.input(2).empty()) {
      b = float_const(conv.input(2));
      if (!b) continue;
    }
    auto gamma = float_const(bn.input(1)), beta = float_const(bn.input(2));
    auto mean = float_const(bn.input(3)), var = float_const(bn.input(4));
    if (!w || !gamma || !beta || !mean || !var || w->dims.empty()) continue;
    const int64_t oc = w->dims[0];
    auto is_vec = [oc](const std::optional<Value>& v) { return v && v->size() == oc; };
    if (!is_vec(gamma) || !is_vec(beta) || !is_vec(mean) || !is_vec(var) || (b && !is_vec(b)))
      continue;
    const int64_t per_oc = w->size() / std::max<int64_t>(oc, 1);
    Value nw = *w, nb;
    nb.dtype = TensorProto::FLOAT;
    nb.dims = {oc};
    nb.f.resize(static_cast<size_t>(oc));
    exporter::fold_batch_norm(nw.f.data(), oc, per_oc, b ? b->f.data() : nullptr, gamma->f.data(),
                              beta->f.data(), mean->f.data(), var->f.data(), eps, nb.f.data());
    const std::string wn = names.make(conv.input(1) + "_bnfused");
    const std::string bname =
        names.make((b ? conv.input(2) : conv.output(0) + "_bias") + "_bnfused");
    new_inits.push_back(tensor_from_value(nw, wn));
    new_inits.push_back(tensor_from_value(nb, bname));
    conv.set_input(1, wn);
    if (conv.input_size() > 2)
      conv.set_input(2, bname);
    else
      conv.add_input(bname);
    conv.set_output(0, bn.output(0));
    remove[k] = true;
    ++count;
  }
  erase_nodes(g, remove);
  for (auto& t : new_inits) *g.add_initializer() = std::move(t);
  return count;
}

}  // namespace yoloxrt::simplify
