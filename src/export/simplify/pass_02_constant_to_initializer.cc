// Simplifier pass 2: Constant nodes become initializers.
#include "export/simplify_passes.h"

#include "export/simplify/graph_utils.h"

namespace yoloxrt::simplify {

int64_t constants_to_initializers(ModelProto& model) {
  GraphProto& g = *model.mutable_graph();
  const NameSet outputs = graph_output_names(g);
  std::vector<bool> remove(g.node_size(), false);
  int64_t count = 0;
  for (int k = 0; k < g.node_size(); ++k) {
    const NodeProto& n = g.node(k);
    if (n.op_type() != "Constant" || !is_default_domain(n.domain()) || n.output_size() != 1 ||
        n.attribute_size() != 1 || outputs.count(n.output(0)))
      continue;
    const auto& a = n.attribute(0);
    TensorProto t;
    if (a.name() == "value") {
      t = a.t();
    } else if (a.name() == "value_float") {
      t.set_data_type(TensorProto::FLOAT);
      t.add_float_data(a.f());
    } else if (a.name() == "value_floats") {
      t.set_data_type(TensorProto::FLOAT);
      t.add_dims(a.floats_size());
      for (float f : a.floats()) t.add_float_data(f);
    } else if (a.name() == "value_int") {
      t.set_data_type(TensorProto::INT64);
      t.add_int64_data(a.i());
    } else if (a.name() == "value_ints") {
      t.set_data_type(TensorProto::INT64);
      t.add_dims(a.ints_size());
      for (int64_t i : a.ints()) t.add_int64_data(i);
    } else {
      continue;  // sparse_value, value_string(s): leave as nodes
    }
    t.set_name(n.output(0));
    *g.add_initializer() = std::move(t);
    remove[k] = true;
    ++count;
  }
  erase_nodes(g, remove);
  return count;
}

}  // namespace yoloxrt::simplify
