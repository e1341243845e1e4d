// Simplifier pass 5: If nodes with a constant condition are replaced by the branch taken.
#include "export/simplify_passes.h"

#include <unordered_map>

#include "export/simplify/graph_utils.h"
#include "export/simplify_eval.h"

namespace yoloxrt::simplify {

int64_t inline_constant_ifs(ModelProto& model) {
  GraphProto& g = *model.mutable_graph();
  const NameSet consts = constant_names(g);
  NameMaker names(g);
  int64_t count = 0;
  for (int k = 0; k < g.node_size(); ++k) {
    const NodeProto& n = g.node(k);
    if (n.op_type() != "If" || !is_default_domain(n.domain()) || n.input_size() != 1 ||
        !consts.count(n.input(0)))
      continue;
    const TensorProto* cond_t = find_initializer(g, n.input(0));
    auto cond = cond_t ? value_from_tensor(*cond_t) : std::nullopt;
    if (!cond || cond->is_float() || cond->i.size() != 1) continue;
    const char* branch_name = cond->i[0] ? "then_branch" : "else_branch";
    const GraphProto* branch = nullptr;
    for (const auto& a : n.attribute())
      if (a.name() == branch_name && a.has_g()) branch = &a.g();
    if (!branch || branch->output_size() != n.output_size() || branch->input_size() != 0) continue;

    // Names defined inside the branch get fresh top-level names; its outputs take the If's.
    std::unordered_map<std::string, std::string> rename;
    for (int o = 0; o < branch->output_size(); ++o) rename[branch->output(o).name()] = n.output(o);
    NameSet produced;
    for (const auto& bn : branch->node())
      for (const auto& o : bn.output()) produced.insert(o);
    for (const auto& t : branch->initializer()) produced.insert(t.name());
    for (const auto& name : produced)
      if (!rename.count(name)) rename[name] = names.make(name);
    auto mapped = [&](const std::string& name) {
      auto it = rename.find(name);
      return it == rename.end() ? name : it->second;
    };
    std::vector<NodeProto> inlined;
    for (const auto& bn : branch->node()) {
      NodeProto c = bn;
      c.set_name(names.make(n.name() + "/" + bn.name()));
      for (auto& i : *c.mutable_input())
        if (!i.empty()) i = mapped(i);
      for (auto& o : *c.mutable_output())
        if (!o.empty()) o = mapped(o);
      for (const auto& [from, to] : rename)
        for (auto& a : *c.mutable_attribute()) {
          if (a.has_g()) rename_in_graph(*a.mutable_g(), from, to);
          for (auto& sg : *a.mutable_graphs()) rename_in_graph(sg, from, to);
        }
      inlined.push_back(std::move(c));
    }
    for (const auto& t : branch->initializer()) {
      TensorProto c = t;
      c.set_name(mapped(t.name()));
      *g.add_initializer() = std::move(c);
    }
    // A branch output that is an outer name (not produced inside) needs an Identity.
    for (int o = 0; o < branch->output_size(); ++o) {
      const std::string& bo = branch->output(o).name();
      if (produced.count(bo)) continue;
      NodeProto id;
      id.set_op_type("Identity");
      id.set_name(names.make(n.name() + "/identity"));
      id.add_input(bo);
      id.add_output(n.output(o));
      inlined.push_back(std::move(id));
    }
    const std::string if_name = n.name();
    g.mutable_node()->DeleteSubrange(k, 1);
    for (auto& c : inlined) *g.add_node() = std::move(c);
    --k;  // the node list shifted; nodes appended at the end are visited too
    ++count;
  }
  if (count) sort_topologically(model);
  return count;
}

}  // namespace yoloxrt::simplify
