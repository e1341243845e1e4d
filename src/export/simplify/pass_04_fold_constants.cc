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

using Shapes = std::unordered_map<std::string, std::vector<std::optional<int64_t>>>;

// One run of the pass. Each round runs shape inference, then visits the nodes in order: a node
// whose inputs are all constant is evaluated (1); otherwise the static entries of small integer
// tensors (shapes) are tracked through Shape, Cast and data-movement ops (2), and a node whose
// result is fully static becomes a constant. Rounds repeat until one changes nothing.
class ConstantFolder {
 public:
  ConstantFolder(ModelProto& model, int64_t max_elements)
      : model_(model),
        g_(*model.mutable_graph()),
        opset_(default_opset(model)),
        max_elements_(max_elements),
        outputs_(graph_output_names(g_)),
        graph_inputs_(graph_input_names(g_)) {}

  FoldStats run() {
    for (int round = 0; round < 32; ++round)
      if (!run_round()) break;
    g_.clear_value_info();
    return stats_;
  }

 private:
  bool run_round() {
    g_.clear_value_info();
    shapes_.clear();
    try {
      onnx::shape_inference::InferShapes(model_);
      shapes_ = known_shapes(g_);
    } catch (const std::exception&) {
      // Without shapes only plain constant folding happens this round; validation has already
      // reported real inference errors.
    }
    reindex();
    partials_.clear();
    remove_.assign(g_.node_size(), false);
    new_inits_.clear();
    bool changed = false;
    for (int k = 0; k < g_.node_size(); ++k) changed |= fold_node(k);
    erase_nodes(g_, remove_);
    for (auto& t : new_inits_) *g_.add_initializer() = std::move(t);
    return changed;
  }

  // Folds node k if it can; returns whether it did.
  bool fold_node(int k) {
    const NodeProto& n = g_.node(k);
    if (!is_default_domain(n.domain()) || has_subgraph(n) || n.output_size() == 0) return false;
    for (const auto& o : n.output())
      if (outputs_.count(o)) return false;

    // 1. Every input constant: evaluate.
    std::vector<const Value*> in;
    bool all_const = n.input_size() > 0;
    for (const auto& name : n.input()) {
      const Value* v = name.empty() ? nullptr : constant(name);
      if (!name.empty() && !v) all_const = false;
      in.push_back(v);
    }
    if (all_const) {
      auto r = evaluate_node(n, in, opset_, max_elements_);
      if (!r || r->size() < static_cast<size_t>(n.output_size())) return false;
      for (int o = 0; o < n.output_size(); ++o)
        if (!n.output(o).empty()) add_constant(n.output(o), std::move((*r)[o]));
      replace_by_constants(k, /*shape_fold=*/false);
      return true;
    }

    // 2. Shape folding: track static entries of shapes through data-movement ops.
    const std::string& op = n.op_type();
    if (op == "Gather" && !partials_.count(n.input(0))) {
      // Gather(Shape(x), k) where inference lost x's rank, but a local rule knows dim k.
      if (auto folded = gather_of_unranked_shape(n); folded) {
        add_constant(n.output(0), std::move(*folded));
        replace_by_constants(k, /*shape_fold=*/true);
        return true;
      }
    }
    std::optional<Partial> result;
    if (op == "Shape")
      result = inferred_shape(n);
    else if (op == "Cast" && n.input_size() == 1)
      result = cast_partial(n);
    else if (is_data_movement(op))
      result = moved_partial(n, in);
    if (!result || result->v.size() > kMaxPartialElements) return false;
    const bool complete = std::all_of(result->v.begin(), result->v.end(),
                                      [](const auto& e) { return e.has_value(); });
    if (!complete || n.output_size() != 1) {
      partials_[n.output(0)] = std::move(*result);
      return false;
    }
    Value v;
    v.dtype = result->dtype;
    v.dims = result->dims;
    for (const auto& e : result->v) v.i.push_back(*e);
    add_constant(n.output(0), std::move(v));
    replace_by_constants(k, /*shape_fold=*/true);
    return true;
  }

  // Node k's outputs are constants now: drop it at the end of the round.
  void replace_by_constants(int k, bool shape_fold) {
    remove_[k] = true;
    ++stats_.nodes_folded;
    if (shape_fold) ++stats_.shape_nodes_folded;
  }

  void reindex() {
    init_by_name_.clear();
    for (const auto& t : g_.initializer())
      if (!graph_inputs_.count(t.name())) init_by_name_[t.name()] = &t;
  }

  // Returns the decoded constant, nullptr if `name` is not a constant or its dtype unsupported.
  const Value* constant(const std::string& name) {
    if (auto it = cache_.find(name); it != cache_.end()) return &it->second;
    auto it = init_by_name_.find(name);
    if (it == init_by_name_.end()) return nullptr;
    auto v = value_from_tensor(*it->second);
    if (!v) return nullptr;
    return &cache_.emplace(name, std::move(*v)).first->second;
  }

  void add_constant(const std::string& name, Value v) {
    new_inits_.push_back(tensor_from_value(v, name));
    cache_[name] = std::move(v);
  }

  std::optional<Partial> partial_of(const std::string& name) {
    if (auto it = partials_.find(name); it != partials_.end()) return it->second;
    const Value* v = constant(name);
    if (!v || v->is_float() || v->i.size() > kMaxPartialElements) return std::nullopt;
    Partial p{v->dtype, v->dims, {}};
    for (int64_t x : v->i) p.v.push_back(x);
    return p;
  }

  // Shape(x) with the dims shape inference knows (nullopt entries for dynamic ones).
  std::optional<Partial> inferred_shape(const NodeProto& n) const {
    auto it = shapes_.find(n.input(0));
    if (it == shapes_.end()) return std::nullopt;
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
    return p;
  }

  // Cast of a partial to int64/int32 keeps its entries.
  std::optional<Partial> cast_partial(const NodeProto& n) {
    auto p = partial_of(n.input(0));
    int64_t to = 0;
    for (const auto& a : n.attribute())
      if (a.name() == "to") to = a.i();
    if (!p || (to != TensorProto::INT64 && to != TensorProto::INT32)) return std::nullopt;
    p->dtype = static_cast<int32_t>(to);
    return p;
  }

  // Replaces each data input by a tensor of entry ids, evaluates the op on the ids, and maps the
  // ids of the result back to entries. Index inputs (indices, axes, starts...) must be constants.
  std::optional<Partial> moved_partial(const NodeProto& n, const std::vector<const Value*>& in) {
    const size_t n_data = n.op_type() == "Concat" ? static_cast<size_t>(n.input_size()) : 1;
    std::vector<std::optional<int64_t>> entries;
    int32_t dtype = 0;
    std::vector<Value> ids(n_data);
    std::vector<const Value*> args(in.begin(), in.end());
    for (size_t d = 0; d < n_data; ++d) {
      auto p = partial_of(n.input(static_cast<int>(d)));
      if (!p) return std::nullopt;
      if (d == 0) dtype = p->dtype;
      if (p->dtype != dtype) return std::nullopt;
      ids[d].dtype = TensorProto::INT64;
      ids[d].dims = p->dims;
      for (const auto& e : p->v) {
        ids[d].i.push_back(static_cast<int64_t>(entries.size()));
        entries.push_back(e);
      }
      args[d] = &ids[d];
    }
    for (size_t a = n_data; a < args.size(); ++a)
      if (!n.input(static_cast<int>(a)).empty() && !args[a]) return std::nullopt;
    auto r = evaluate_node(n, args, opset_, max_elements_);
    if (!r || r->size() != 1) return std::nullopt;
    Partial p{dtype, (*r)[0].dims, {}};
    for (int64_t id : (*r)[0].i) p.v.push_back(entries[static_cast<size_t>(id)]);
    return p;
  }

  // Gather(Shape(x), k), constant k >= 0, where inference lost x's rank: local rules may know
  // the dims.
  std::optional<Value> gather_of_unranked_shape(const NodeProto& n) {
    if (n.input_size() != 2) return std::nullopt;
    const Value* idx = constant(n.input(1));
    if (!idx || idx->is_float()) return std::nullopt;
    for (const auto& a : n.attribute())
      if (a.name() == "axis" && a.i() != 0) return std::nullopt;
    const NodeProto* shape_node = nullptr;
    for (const auto& p : g_.node())
      if (p.output_size() == 1 && p.output(0) == n.input(0)) shape_node = &p;
    if (!shape_node || shape_node->op_type() != "Shape" || shape_node->attribute_size() != 0 ||
        shapes_.count(shape_node->input(0)))
      return std::nullopt;
    Value v;
    v.dtype = TensorProto::INT64;
    v.dims = idx->dims;
    for (int64_t axis : idx->i) {
      if (axis < 0) return std::nullopt;
      auto d = dim_by_local_rule(g_, shape_node->input(0), axis,
                                 [this](const std::string& name) { return constant(name); });
      if (!d) return std::nullopt;
      v.i.push_back(*d);
    }
    return v;
  }

  ModelProto& model_;
  GraphProto& g_;
  const int opset_;
  const int64_t max_elements_;
  const NameSet outputs_, graph_inputs_;
  std::unordered_map<std::string, Value> cache_;  // decoded constants, kept across rounds
  std::unordered_map<std::string, const TensorProto*> init_by_name_;
  FoldStats stats_;
  // Per round:
  Shapes shapes_;
  std::unordered_map<std::string, Partial> partials_;
  std::vector<bool> remove_;
  std::vector<TensorProto> new_inits_;
};

}  // namespace

FoldStats fold_constants(ModelProto& model, int64_t max_elements) {
  return ConstantFolder(model, max_elements).run();
}

}  // namespace yoloxrt::simplify
