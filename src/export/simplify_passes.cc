#include "export/simplify_passes.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>
#include <queue>
#include <set>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include <onnx/checker.h>
#include <onnx/defs/schema.h>
#include <onnx/shape_inference/implementation.h>

#include "export/batch_norm.h"
#include "export/simplify_eval.h"
#include "yoloxrt/error.h"

namespace yoloxrt::simplify {
namespace {

using onnx::GraphProto;
using onnx::ModelProto;
using onnx::NodeProto;
using onnx::TensorProto;
using NameSet = std::unordered_set<std::string>;

bool is_default_domain(const std::string& d) { return d.empty() || d == "ai.onnx"; }

int default_opset(const ModelProto& model) {
  for (const auto& o : model.opset_import())
    if (is_default_domain(o.domain())) return static_cast<int>(o.version());
  return 0;
}

std::string describe(const NodeProto& n) { return "node '" + n.name() + "' (" + n.op_type() + ")"; }

bool has_subgraph(const NodeProto& n) {
  for (const auto& a : n.attribute())
    if (a.type() == onnx::AttributeProto::GRAPH || a.type() == onnx::AttributeProto::GRAPHS)
      return true;
  return false;
}

// Calls fn(graph) for every subgraph held by node attributes, recursively.
void for_each_subgraph(const NodeProto& n, const std::function<void(const GraphProto&)>& fn) {
  for (const auto& a : n.attribute()) {
    if (a.has_g()) fn(a.g());
    for (const auto& g : a.graphs()) fn(g);
  }
}

// All names that subgraphs of `n` read. A superset of their outer-scope references, which is what
// the liveness passes need to stay safe.
void collect_subgraph_reads(const NodeProto& n, NameSet& out) {
  for_each_subgraph(n, [&](const GraphProto& g) {
    for (const auto& sn : g.node()) {
      for (const auto& i : sn.input()) out.insert(i);
      collect_subgraph_reads(sn, out);
    }
    for (const auto& o : g.output()) out.insert(o.name());
  });
}

void rename_in_graph(GraphProto& g, const std::string& from, const std::string& to);

void rename_in_node(NodeProto& n, const std::string& from, const std::string& to) {
  for (auto& i : *n.mutable_input())
    if (i == from) i = to;
  for (auto& a : *n.mutable_attribute()) {
    if (a.has_g()) rename_in_graph(*a.mutable_g(), from, to);
    for (auto& g : *a.mutable_graphs()) rename_in_graph(g, from, to);
  }
}

// Renames reads of `from` in `g` (and its subgraphs). Used for outer-scope references.
void rename_in_graph(GraphProto& g, const std::string& from, const std::string& to) {
  for (auto& n : *g.mutable_node()) rename_in_node(n, from, to);
  for (auto& o : *g.mutable_output())
    if (o.name() == from) o.set_name(to);
}

// Replaces every read of `from` by `to` in the top-level graph's nodes (and their subgraphs).
void replace_reads(GraphProto& g, const std::string& from, const std::string& to) {
  for (auto& n : *g.mutable_node()) rename_in_node(n, from, to);
}

void erase_nodes(GraphProto& g, const std::vector<bool>& remove) {
  google::protobuf::RepeatedPtrField<NodeProto> kept;
  for (int k = 0; k < g.node_size(); ++k)
    if (!remove[k]) kept.Add()->Swap(g.mutable_node(k));
  g.mutable_node()->Swap(&kept);
}

NameSet graph_input_names(const GraphProto& g) {
  NameSet s;
  for (const auto& i : g.input()) s.insert(i.name());
  return s;
}

NameSet graph_output_names(const GraphProto& g) {
  NameSet s;
  for (const auto& o : g.output()) s.insert(o.name());
  return s;
}

// Names of initializers that act as constants (not overridable through graph.input).
NameSet constant_names(const GraphProto& g) {
  const NameSet inputs = graph_input_names(g);
  NameSet s;
  for (const auto& t : g.initializer())
    if (!inputs.count(t.name())) s.insert(t.name());
  return s;
}

// How many times each name is read: node inputs, subgraph reads, graph outputs.
std::unordered_map<std::string, int> count_reads(const GraphProto& g) {
  std::unordered_map<std::string, int> reads;
  for (const auto& n : g.node()) {
    for (const auto& i : n.input())
      if (!i.empty()) ++reads[i];
    NameSet sub;
    collect_subgraph_reads(n, sub);
    for (const auto& s : sub) ++reads[s];
  }
  for (const auto& o : g.output()) ++reads[o.name()];
  return reads;
}

// Makes names that collide with nothing in the graph.
class NameMaker {
 public:
  explicit NameMaker(const GraphProto& g) {
    for (const auto& i : g.input()) used_.insert(i.name());
    for (const auto& t : g.initializer()) used_.insert(t.name());
    for (const auto& n : g.node())
      for (const auto& o : n.output()) used_.insert(o);
  }
  std::string make(const std::string& base) {
    std::string name = base;
    for (int k = 1; used_.count(name); ++k) name = base + "_" + std::to_string(k);
    used_.insert(name);
    return name;
  }

 private:
  NameSet used_;
};

const TensorProto* find_initializer(const GraphProto& g, const std::string& name) {
  for (const auto& t : g.initializer())
    if (t.name() == name) return &t;
  return nullptr;
}

void translate_inference_error(const std::exception& e) {
  const std::string what = e.what();
  // Type errors from shape inference come tagged by onnx ("[TypeInferenceError]") or, for type
  // constraints, as "bound to different types".
  const bool is_type = what.find("TypeInferenceError") != std::string::npos ||
                       what.find("bound to different types") != std::string::npos ||
                       what.find("type mismatch") != std::string::npos ||
                       what.find("inconsistent type") != std::string::npos;
  throw Error(is_type ? ErrorKind::kMismatch : ErrorKind::kCorrupt,
              std::string(is_type ? "type check failed: " : "shape inference failed: ") + what);
}

void reject_external_in_graph(const GraphProto& g) {
  auto check = [](const TensorProto& t) {
    if (t.data_location() == TensorProto::EXTERNAL)
      throw Error(ErrorKind::kUnsupported, "tensor '" + t.name() +
                                               "' keeps its data in an external file; models "
                                               "with external data (> 2 GB) are not supported");
  };
  for (const auto& t : g.initializer()) check(t);
  for (const auto& s : g.sparse_initializer()) check(s.values());
  for (const auto& n : g.node()) {
    for (const auto& a : n.attribute()) {
      if (a.has_t()) check(a.t());
      for (const auto& t : a.tensors()) check(t);
    }
    for_each_subgraph(n, reject_external_in_graph);
  }
}

}  // namespace

namespace {

// ONNX's conv shape inference (libonnx 1.13, convPoolShapeInference) takes the kernel shape from
// the weight's dims when the node has no kernel_shape attribute, and then indexes the dilations
// and strides (sized from the input's rank) with it: a weight of higher rank than the input reads
// out of bounds and crashed `yoloxrt simplify` (found by fuzz/onnx_fuzz.cc). Spelling the
// attribute out from an initializer weight (what the spec says it defaults to) makes ONNX compare
// the lengths and fail cleanly instead.
void spell_out_kernel_shapes(ModelProto& model) {
  std::unordered_map<std::string, const onnx::TensorProto*> inits;
  for (const auto& t : model.graph().initializer()) inits[t.name()] = &t;
  for (auto& n : *model.mutable_graph()->mutable_node()) {
    if (!is_default_domain(n.domain())) continue;
    const std::string& op = n.op_type();
    const int w = op == "Conv" || op == "ConvTranspose" || op == "ConvInteger" ? 1
                  : op == "QLinearConv"                                        ? 3
                                                                               : -1;
    if (w < 0 || n.input_size() <= w) continue;
    bool has = false;
    for (const auto& a : n.attribute()) has = has || a.name() == "kernel_shape";
    const auto it = inits.find(n.input(w));
    if (has || it == inits.end() || it->second->dims_size() < 3) continue;
    auto* a = n.add_attribute();
    a->set_name("kernel_shape");
    a->set_type(onnx::AttributeProto::INTS);
    for (int d = 2; d < it->second->dims_size(); ++d) a->add_ints(it->second->dims(d));
  }
}

}  // namespace

void reject_external_data(const ModelProto& model) { reject_external_in_graph(model.graph()); }

void check_model_full(const ModelProto& model) {
  try {
    onnx::checker::check_model(model);
  } catch (const onnx::checker::ValidationError& e) {
    throw Error(ErrorKind::kCorrupt, std::string("ONNX checker: ") + e.what());
  }
  // check_model(full_check=True) of the Python API = checker + strict shape inference with type
  // checks. Run it on a copy: inference writes value_info.
  ModelProto copy = model;
  spell_out_kernel_shapes(copy);
  try {
    onnx::shape_inference::InferShapes(copy, onnx::OpSchemaRegistry::Instance(),
                                       onnx::ShapeInferenceOptions(true, 1, false));
  } catch (const std::exception& e) {
    translate_inference_error(e);
  }
}

void validate_model(ModelProto& model) {
  if (!model.has_graph()) throw Error(ErrorKind::kCorrupt, "the model has no graph");
  reject_external_data(model);
  const GraphProto& g = model.graph();

  NameSet defined = graph_input_names(g);
  for (const auto& t : g.initializer()) defined.insert(t.name());
  for (const auto& n : g.node())
    for (const auto& o : n.output())
      if (!o.empty()) defined.insert(o);
  for (const auto& n : g.node())
    for (const auto& i : n.input())
      if (!i.empty() && !defined.count(i))
        throw Error(ErrorKind::kCorrupt, describe(n) + " reads '" + i +
                                             "', which no node, graph input or initializer "
                                             "defines (missing initializer?)");
  for (const auto& o : g.output())
    if (!defined.count(o.name()))
      throw Error(ErrorKind::kCorrupt, "graph output '" + o.name() + "' is never produced");

  std::unordered_map<std::string, int> opsets;
  for (const auto& o : model.opset_import())
    opsets[is_default_domain(o.domain()) ? "" : o.domain()] = static_cast<int>(o.version());
  for (const auto& n : g.node()) {
    const std::string domain = is_default_domain(n.domain()) ? "" : n.domain();
    if (domain != "" && domain != "ai.onnx.ml") continue;  // runtime-specific domains: ORT decides
    auto it = opsets.find(domain);
    if (it == opsets.end())
      throw Error(ErrorKind::kCorrupt,
                  describe(n) + " uses domain '" + domain + "', which the model does not import");
    if (!onnx::OpSchemaRegistry::Schema(n.op_type(), it->second, domain))
      throw Error(ErrorKind::kUnsupported, describe(n) + ": unknown op '" + n.op_type() +
                                               "' in domain '" + domain + "' at opset " +
                                               std::to_string(it->second));
  }

  sort_topologically(model);  // throws on a cycle; the checker wants sorted nodes
  check_model_full(model);
}

void apply_input_shapes(ModelProto& model,
                        const std::map<std::string, std::vector<int64_t>>& shapes) {
  const NameSet inits = [&] {
    NameSet s;
    for (const auto& t : model.graph().initializer()) s.insert(t.name());
    return s;
  }();
  for (const auto& [name, dims] : shapes) {
    onnx::ValueInfoProto* vi = nullptr;
    for (auto& i : *model.mutable_graph()->mutable_input())
      if (i.name() == name && !inits.count(name)) vi = &i;
    if (!vi)
      throw Error(ErrorKind::kInvalidArgument,
                  "--input-shape: the model has no input '" + name + "'");
    if (!vi->type().has_tensor_type())
      throw Error(ErrorKind::kInvalidArgument,
                  "--input-shape: input '" + name + "' is not a tensor");
    auto* shape = vi->mutable_type()->mutable_tensor_type()->mutable_shape();
    if (shape->dim_size() != 0 && shape->dim_size() != static_cast<int>(dims.size()))
      throw Error(ErrorKind::kInvalidArgument, "--input-shape: input '" + name + "' has rank " +
                                                   std::to_string(shape->dim_size()) + ", got " +
                                                   std::to_string(dims.size()) + " dims");
    if (shape->dim_size() == 0)
      for (size_t k = 0; k < dims.size(); ++k) shape->add_dim();
    for (size_t k = 0; k < dims.size(); ++k) {
      auto* d = shape->mutable_dim(static_cast<int>(k));
      if (dims[k] < 0)
        throw Error(ErrorKind::kInvalidArgument, "--input-shape: negative dim for '" + name + "'");
      if (d->has_dim_value() && d->dim_value() != dims[k])
        throw Error(ErrorKind::kInvalidArgument,
                    "--input-shape: input '" + name + "' dim " + std::to_string(k) + " is " +
                        std::to_string(d->dim_value()) + " in the model, got " +
                        std::to_string(dims[k]));
      d->set_dim_value(dims[k]);  // clears dim_param (oneof)
    }
  }
}

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

int64_t remove_dead_nodes(ModelProto& model) {
  GraphProto& g = *model.mutable_graph();
  std::unordered_map<std::string, int> producer;
  for (int k = 0; k < g.node_size(); ++k)
    for (const auto& o : g.node(k).output())
      if (!o.empty()) producer[o] = k;
  std::vector<bool> live(g.node_size(), false);
  std::vector<std::string> work;
  for (const auto& o : g.output()) work.push_back(o.name());
  while (!work.empty()) {
    const std::string name = std::move(work.back());
    work.pop_back();
    auto it = producer.find(name);
    if (it == producer.end() || live[it->second]) continue;
    live[it->second] = true;
    const NodeProto& n = g.node(it->second);
    for (const auto& i : n.input())
      if (!i.empty()) work.push_back(i);
    NameSet sub;
    collect_subgraph_reads(n, sub);
    work.insert(work.end(), sub.begin(), sub.end());
  }
  std::vector<bool> remove(live.size());
  int64_t count = 0;
  for (size_t k = 0; k < live.size(); ++k) count += remove[k] = !live[k];
  erase_nodes(g, remove);
  return count;
}

int64_t remove_unused_initializers(ModelProto& model) {
  GraphProto& g = *model.mutable_graph();
  NameSet used = graph_input_names(g);
  for (const auto& [name, n] : count_reads(g)) used.insert(name);
  google::protobuf::RepeatedPtrField<TensorProto> kept;
  int64_t count = 0;
  for (auto& t : *g.mutable_initializer()) {
    if (used.count(t.name()))
      kept.Add()->Swap(&t);
    else
      ++count;
  }
  g.mutable_initializer()->Swap(&kept);
  return count;
}

int64_t merge_duplicate_initializers(ModelProto& model) {
  GraphProto& g = *model.mutable_graph();
  NameSet protected_names = graph_input_names(g);
  for (const auto& o : g.output()) protected_names.insert(o.name());
  // Canonical bytes: raw_data as stored, typed fields re-encoded, so both spellings compare equal.
  auto canonical = [](const TensorProto& t) -> std::optional<std::string> {
    if (t.has_raw_data()) return t.raw_data();
    auto v = value_from_tensor(t);
    if (!v) return std::nullopt;
    return tensor_from_value(*v, "").raw_data();
  };
  std::unordered_map<size_t, std::vector<std::pair<int, std::string>>>
      seen;  // hash -> (idx, bytes)
  std::unordered_map<std::string, std::string> rename;
  std::vector<bool> drop(g.initializer_size(), false);
  for (int k = 0; k < g.initializer_size(); ++k) {
    const TensorProto& t = g.initializer(k);
    if (protected_names.count(t.name())) continue;
    auto bytes = canonical(t);
    if (!bytes) continue;
    std::string key = std::to_string(t.data_type()) + ":";
    for (int64_t d : t.dims()) key += std::to_string(d) + ",";
    key += ":" + *bytes;
    auto& bucket = seen[std::hash<std::string>{}(key)];
    bool merged = false;
    for (const auto& [idx, other] : bucket)
      if (other == key) {
        rename[t.name()] = g.initializer(idx).name();
        drop[k] = merged = true;
        break;
      }
    if (!merged) bucket.emplace_back(k, std::move(key));
  }
  if (rename.empty()) return 0;
  for (auto& n : *g.mutable_node()) {
    for (auto& i : *n.mutable_input())
      if (auto it = rename.find(i); it != rename.end()) i = it->second;
    for (const auto& [from, to] : rename)
      for (auto& a : *n.mutable_attribute()) {
        if (a.has_g()) rename_in_graph(*a.mutable_g(), from, to);
        for (auto& sg : *a.mutable_graphs()) rename_in_graph(sg, from, to);
      }
  }
  google::protobuf::RepeatedPtrField<TensorProto> kept;
  for (int k = 0; k < g.initializer_size(); ++k)
    if (!drop[k]) kept.Add()->Swap(g.mutable_initializer(k));
  g.mutable_initializer()->Swap(&kept);
  return static_cast<int64_t>(rename.size());
}

void sort_topologically(ModelProto& model) {
  GraphProto& g = *model.mutable_graph();
  const int n = g.node_size();
  std::unordered_map<std::string, int> producer;
  for (int k = 0; k < n; ++k)
    for (const auto& o : g.node(k).output())
      if (!o.empty()) producer[o] = k;
  std::vector<std::vector<int>> users(n);
  std::vector<int> pending(n, 0);
  std::vector<std::vector<int>> deps_of(n);
  for (int k = 0; k < n; ++k) {
    std::set<int> deps;
    for (const auto& i : g.node(k).input())
      if (auto it = producer.find(i); it != producer.end()) deps.insert(it->second);
    NameSet sub;
    collect_subgraph_reads(g.node(k), sub);
    for (const auto& s : sub)
      if (auto it = producer.find(s); it != producer.end()) deps.insert(it->second);
    deps_of[k].assign(deps.begin(), deps.end());
    for (int d : deps) {
      users[d].push_back(k);
      ++pending[k];
    }
  }
  // Min-heap on the original index keeps the order stable where dependencies allow.
  std::priority_queue<int, std::vector<int>, std::greater<>> ready;
  for (int k = 0; k < n; ++k)
    if (pending[k] == 0) ready.push(k);
  std::vector<int> order;
  order.reserve(n);
  while (!ready.empty()) {
    const int k = ready.top();
    ready.pop();
    order.push_back(k);
    for (int u : users[k])
      if (--pending[u] == 0) ready.push(u);
  }
  if (static_cast<int>(order.size()) != n) {
    // Walk from a blocked node to a blocked dependency n times: the walk then stands on the cycle
    // (blocked nodes merely downstream of it are left behind).
    int k = 0;
    while (pending[k] == 0) ++k;
    for (int step = 0; step < n; ++step)
      for (int d : deps_of[k])
        if (pending[d] > 0) {
          k = d;
          break;
        }
    throw Error(ErrorKind::kCorrupt, "the graph has a cycle through " + describe(g.node(k)) +
                                         "; ONNX graphs must be acyclic");
  }
  bool sorted = true;
  for (int k = 0; k < n; ++k) sorted &= order[k] == k;
  if (sorted) return;
  google::protobuf::RepeatedPtrField<NodeProto> out;
  for (int k : order) out.Add()->Swap(g.mutable_node(k));
  g.mutable_node()->Swap(&out);
}

std::map<std::string, int64_t> count_ops(const GraphProto& graph) {
  std::map<std::string, int64_t> counts;
  for (const auto& n : graph.node())
    ++counts[is_default_domain(n.domain()) ? n.op_type() : n.domain() + "::" + n.op_type()];
  return counts;
}

}  // namespace yoloxrt::simplify
