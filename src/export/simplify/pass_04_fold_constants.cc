// Simplifier pass 4: constant folding and shape folding (with ONNX shape inference).
#include "export/simplify_passes.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <unordered_map>

#include <onnx/shape_inference/implementation.h>

#include "export/simplify/graph_utils.h"
#include "export/simplify_eval.h"

namespace yoloxrt::simplify {

using onnx::GraphProto;
using onnx::ModelProto;
using onnx::NodeProto;
using onnx::TensorProto;

namespace {

// What shape folding knows about a small integer tensor: its dims and each entry, if static.
struct Partial {
  int32_t dtype = TensorProto::INT64;
  std::vector<int64_t> dims;
  std::vector<std::optional<int64_t>> v;
};

constexpr size_t kMaxPartialElements = 64;

// Shapes from graph inputs, value_info and outputs after shape inference: name -> dims (nullopt
// = dynamic). Absent names have unknown rank.
std::unordered_map<std::string, std::vector<std::optional<int64_t>>> known_shapes(
    const GraphProto& g) {
  std::unordered_map<std::string, std::vector<std::optional<int64_t>>> shapes;
  auto add = [&](const onnx::ValueInfoProto& vi) {
    if (!vi.type().has_tensor_type() || !vi.type().tensor_type().has_shape()) return;
    std::vector<std::optional<int64_t>> dims;
    for (const auto& d : vi.type().tensor_type().shape().dim())
      dims.push_back(d.has_dim_value() ? std::optional<int64_t>(d.dim_value()) : std::nullopt);
    shapes[vi.name()] = std::move(dims);
  };
  for (const auto& vi : g.input()) add(vi);
  for (const auto& vi : g.value_info()) add(vi);
  for (const auto& vi : g.output()) add(vi);
  return shapes;
}

// Dim `axis` (>= 0) of `name` when shape inference does not know its rank: a Split output along its
// (non-negative) split axis has the constant split size there.
std::optional<int64_t> dim_by_local_rule(
    const GraphProto& g, const std::string& name, int64_t axis,
    const std::function<const Value*(const std::string&)>& constant) {
  for (const auto& p : g.node()) {
    for (int o = 0; o < p.output_size(); ++o) {
      if (p.output(o) != name) continue;
      if (p.op_type() != "Split" || !is_default_domain(p.domain())) return std::nullopt;
      int64_t split_axis = 0;
      std::vector<int64_t> sizes;
      for (const auto& a : p.attribute()) {
        if (a.name() == "axis") split_axis = a.i();
        if (a.name() == "split") sizes.assign(a.ints().begin(), a.ints().end());
      }
      if (p.input_size() > 1 && !p.input(1).empty()) {
        const Value* v = constant(p.input(1));
        if (!v || v->is_float()) return std::nullopt;
        sizes = v->i;
      }
      if (split_axis < 0 || split_axis != axis ||
          sizes.size() != static_cast<size_t>(p.output_size()))
        return std::nullopt;
      return sizes[o];
    }
  }
  return std::nullopt;
}

bool is_data_movement(const std::string& op) {
  return op == "Gather" || op == "Slice" || op == "Unsqueeze" || op == "Squeeze" ||
         op == "Concat" || op == "Identity" || op == "Reshape" || op == "Flatten";
}

}  // namespace

FoldStats fold_constants(ModelProto& model, int64_t max_elements) {
  FoldStats stats;
  GraphProto& g = *model.mutable_graph();
  const int opset = default_opset(model);
  const NameSet outputs = graph_output_names(g);
  const NameSet graph_inputs = graph_input_names(g);
  std::unordered_map<std::string, Value> cache;  // decoded constants
  std::unordered_map<std::string, const TensorProto*> init_by_name;

  auto reindex = [&] {
    init_by_name.clear();
    for (const auto& t : g.initializer())
      if (!graph_inputs.count(t.name())) init_by_name[t.name()] = &t;
  };
  // Returns the decoded constant, nullptr if `name` is not a constant or its dtype unsupported.
  auto constant = [&](const std::string& name) -> const Value* {
    if (auto it = cache.find(name); it != cache.end()) return &it->second;
    auto it = init_by_name.find(name);
    if (it == init_by_name.end()) return nullptr;
    auto v = value_from_tensor(*it->second);
    if (!v) return nullptr;
    return &cache.emplace(name, std::move(*v)).first->second;
  };

  for (int round = 0; round < 32; ++round) {
    bool changed = false;
    g.clear_value_info();
    std::unordered_map<std::string, std::vector<std::optional<int64_t>>> shapes;
    try {
      onnx::shape_inference::InferShapes(model);
      shapes = known_shapes(g);
    } catch (const std::exception&) {
      // Without shapes only plain constant folding happens this round; validation has already
      // reported real inference errors.
    }
    reindex();
    std::unordered_map<std::string, Partial> partials;
    std::vector<bool> remove(g.node_size(), false);
    std::vector<TensorProto> new_inits;

    auto add_constant = [&](const std::string& name, Value v) {
      new_inits.push_back(tensor_from_value(v, name));
      cache[name] = std::move(v);
    };
    auto partial_of = [&](const std::string& name) -> std::optional<Partial> {
      if (auto it = partials.find(name); it != partials.end()) return it->second;
      const Value* v = constant(name);
      if (!v || v->is_float() || v->i.size() > kMaxPartialElements) return std::nullopt;
      Partial p{v->dtype, v->dims, {}};
      for (int64_t x : v->i) p.v.push_back(x);
      return p;
    };

    // Gather(Shape(x), k), constant k >= 0, where inference lost x's rank: local rules may know
    // the dims.
    auto gather_of_unranked_shape = [&](const NodeProto& n) -> std::optional<Value> {
      if (n.input_size() != 2) return std::nullopt;
      const Value* idx = constant(n.input(1));
      if (!idx || idx->is_float()) return std::nullopt;
      for (const auto& a : n.attribute())
        if (a.name() == "axis" && a.i() != 0) return std::nullopt;
      const NodeProto* shape_node = nullptr;
      for (const auto& p : g.node())
        if (p.output_size() == 1 && p.output(0) == n.input(0)) shape_node = &p;
      if (!shape_node || shape_node->op_type() != "Shape" || shape_node->attribute_size() != 0 ||
          shapes.count(shape_node->input(0)))
        return std::nullopt;
      Value v;
      v.dtype = TensorProto::INT64;
      v.dims = idx->dims;
      for (int64_t axis : idx->i) {
        if (axis < 0) return std::nullopt;
        auto d = dim_by_local_rule(g, shape_node->input(0), axis, constant);
        if (!d) return std::nullopt;
        v.i.push_back(*d);
      }
      return v;
    };

    for (int k = 0; k < g.node_size(); ++k) {
      const NodeProto& n = g.node(k);
      if (!is_default_domain(n.domain()) || has_subgraph(n) || n.output_size() == 0) continue;
      bool feeds_output = false;
      for (const auto& o : n.output()) feeds_output |= outputs.count(o) > 0;
      if (feeds_output) continue;

      // 1. Every input constant: evaluate.
      std::vector<const Value*> in;
      bool all_const = n.input_size() > 0;
      for (const auto& name : n.input()) {
        if (name.empty()) {
          in.push_back(nullptr);
          continue;
        }
        const Value* v = constant(name);
        if (!v) all_const = false;
        in.push_back(v);
      }
      if (all_const) {
        auto r = evaluate_node(n, in, opset, max_elements);
        if (r && r->size() >= static_cast<size_t>(n.output_size())) {
          for (int o = 0; o < n.output_size(); ++o)
            if (!n.output(o).empty()) add_constant(n.output(o), std::move((*r)[o]));
          remove[k] = true;
          ++stats.nodes_folded;
          changed = true;
        }
        continue;
      }

      // 2. Shape folding: track static entries of shapes through data-movement ops.
      std::optional<Partial> result;
      const std::string& op = n.op_type();
      if (op == "Gather" && !partials.count(n.input(0))) {
        // Gather(Shape(x), k) where inference lost x's rank, but a local rule knows dim k.
        if (auto folded = gather_of_unranked_shape(n); folded) {
          add_constant(n.output(0), std::move(*folded));
          remove[k] = true;
          ++stats.nodes_folded;
          ++stats.shape_nodes_folded;
          changed = true;
          continue;
        }
      }
      if (op == "Shape") {
        auto it = shapes.find(n.input(0));
        if (it == shapes.end()) continue;
        const int64_t rank = static_cast<int64_t>(it->second.size());
        int64_t start = 0, end = rank;
        for (const auto& a : n.attribute()) {
          if (a.name() == "start") start = a.i();
          if (a.name() == "end") end = a.i();
        }
        if (start < 0) start += rank;
        if (end < 0) end += rank;
        start = std::clamp<int64_t>(start, 0, rank);
        end = std::clamp<int64_t>(end, 0, rank);
        Partial p;
        for (int64_t d = start; d < end; ++d) p.v.push_back(it->second[d]);
        p.dims = {static_cast<int64_t>(p.v.size())};
        result = std::move(p);
      } else if (op == "Cast" && n.input_size() == 1) {
        auto p = partial_of(n.input(0));
        int64_t to = 0;
        for (const auto& a : n.attribute())
          if (a.name() == "to") to = a.i();
        if (p && (to == TensorProto::INT64 || to == TensorProto::INT32)) {
          result = p;
          result->dtype = static_cast<int32_t>(to);
        }
      } else if (is_data_movement(op)) {
        // Replace each data input by a tensor of entry ids, evaluate the op on the ids, and map the
        // ids of the result back to entries. Index inputs (indices, axes, starts...) must be
        // constants.
        const size_t n_data = op == "Concat" ? static_cast<size_t>(n.input_size()) : 1;
        std::vector<std::optional<int64_t>> entries;
        int32_t dtype = 0;
        std::vector<Value> ids(n_data);
        std::vector<const Value*> args(in.begin(), in.end());
        bool ok = true;
        for (size_t d = 0; d < n_data && ok; ++d) {
          auto p = partial_of(n.input(static_cast<int>(d)));
          if (!p) {
            ok = false;
            break;
          }
          if (d == 0) dtype = p->dtype;
          if (p->dtype != dtype) {
            ok = false;
            break;
          }
          ids[d].dtype = TensorProto::INT64;
          ids[d].dims = p->dims;
          for (const auto& e : p->v) {
            ids[d].i.push_back(static_cast<int64_t>(entries.size()));
            entries.push_back(e);
          }
          args[d] = &ids[d];
        }
        for (size_t a = n_data; a < args.size() && ok; ++a)
          if (!n.input(static_cast<int>(a)).empty() && !args[a]) ok = false;
        if (!ok) continue;
        auto r = evaluate_node(n, args, opset, max_elements);
        if (!r || r->size() != 1) continue;
        Partial p{dtype, (*r)[0].dims, {}};
        for (int64_t id : (*r)[0].i) p.v.push_back(entries[static_cast<size_t>(id)]);
        result = std::move(p);
      }
      if (!result || result->v.size() > kMaxPartialElements) continue;
      const bool complete = std::all_of(result->v.begin(), result->v.end(),
                                        [](const auto& e) { return e.has_value(); });
      if (complete && n.output_size() == 1) {
        Value v;
        v.dtype = result->dtype;
        v.dims = result->dims;
        for (const auto& e : result->v) v.i.push_back(*e);
        add_constant(n.output(0), std::move(v));
        remove[k] = true;
        ++stats.nodes_folded;
        ++stats.shape_nodes_folded;
        changed = true;
      } else {
        partials[n.output(0)] = std::move(*result);
      }
    }
    erase_nodes(g, remove);
    for (auto& t : new_inits) *g.add_initializer() = std::move(t);
    if (!changed) break;
  }
  g.clear_value_info();
  return stats;
}

}  // namespace yoloxrt::simplify
