// Simplifier pass 3: Identity and inference-mode Dropout nodes are removed.
#include "export/simplify_passes.h"

#include <optional>

#include "export/simplify/graph_utils.h"
#include "export/simplify_eval.h"

namespace yoloxrt::simplify {

int64_t remove_identities(ModelProto& model) {
  GraphProto& g = *model.mutable_graph();
  const int opset = default_opset(model);
  const NameSet outputs = graph_output_names(g);
  const NameSet consts = constant_names(g);
  NameSet not_renamable = graph_input_names(g);
  for (const auto& t : g.initializer()) not_renamable.insert(t.name());
  not_renamable.insert(outputs.begin(), outputs.end());
  int64_t count = 0;

  for (int k = 0; k < g.node_size();) {
    const NodeProto& n = g.node(k);
    bool drop = false;
    if (is_default_domain(n.domain()) && n.input_size() >= 1 && n.output_size() >= 1) {
      if (n.op_type() == "Identity") {
        drop = true;
      } else if (n.op_type() == "Dropout") {
        const auto reads = count_reads(g);
        drop = !(n.output_size() > 1 && !n.output(1).empty() && reads.count(n.output(1)));
        if (opset >= 12 && n.input_size() > 2 && !n.input(2).empty()) {
          // training_mode must be a constant false, else Dropout is not an identity.
          const TensorProto* t =
              consts.count(n.input(2)) ? find_initializer(g, n.input(2)) : nullptr;
          auto v = t ? value_from_tensor(*t) : std::nullopt;
          if (!v || v->i.size() != 1 || v->i[0] != 0) drop = false;
        }
        for (const auto& a : n.attribute())
          if (a.name() == "is_test" && a.i() == 0) drop = false;  // opset < 7 training mode
      }
    }
    if (!drop || n.input(0).empty()) {
      ++k;
      continue;
    }
    const std::string in = n.input(0), out = n.output(0);
    if (outputs.count(out)) {
      // The graph output's name must survive: rename the producer's output instead, which is only
      // possible when `in` is an ordinary intermediate.
      if (not_renamable.count(in)) {
        ++k;
        continue;
      }
      for (auto& p : *g.mutable_node())
        for (auto& o : *p.mutable_output())
          if (o == in) o = out;
      replace_reads(g, in, out);
    } else {
      replace_reads(g, out, in);
    }
    g.mutable_node()->DeleteSubrange(k, 1);
    ++count;
  }
  return count;
}

}  // namespace yoloxrt::simplify
