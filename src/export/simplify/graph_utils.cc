#include "export/simplify/graph_utils.h"

#include <map>
#include <string>

#include "export/simplify_passes.h"

namespace yoloxrt::simplify {

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

void for_each_subgraph(const NodeProto& n, const std::function<void(const GraphProto&)>& fn) {
  for (const auto& a : n.attribute()) {
    if (a.has_g()) fn(a.g());
    for (const auto& g : a.graphs()) fn(g);
  }
}

void collect_subgraph_reads(const NodeProto& n, NameSet& out) {
  for_each_subgraph(n, [&](const GraphProto& g) {
    for (const auto& sn : g.node()) {
      for (const auto& i : sn.input()) out.insert(i);
      collect_subgraph_reads(sn, out);
    }
    for (const auto& o : g.output()) out.insert(o.name());
  });
}

namespace {

void rename_in_node(NodeProto& n, const std::string& from, const std::string& to) {
  for (auto& i : *n.mutable_input())
    if (i == from) i = to;
  for (auto& a : *n.mutable_attribute()) {
    if (a.has_g()) rename_in_graph(*a.mutable_g(), from, to);
    for (auto& g : *a.mutable_graphs()) rename_in_graph(g, from, to);
  }
}

}  // namespace

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

NameMaker::NameMaker(const GraphProto& g) {
  for (const auto& i : g.input()) used_.insert(i.name());
  for (const auto& t : g.initializer()) used_.insert(t.name());
  for (const auto& n : g.node())
    for (const auto& o : n.output()) used_.insert(o);
}

std::string NameMaker::make(const std::string& base) {
  std::string name = base;
  for (int k = 1; used_.count(name); ++k) name = base + "_" + std::to_string(k);
  used_.insert(name);
  return name;
}

const TensorProto* find_initializer(const GraphProto& g, const std::string& name) {
  for (const auto& t : g.initializer())
    if (t.name() == name) return &t;
  return nullptr;
}

std::map<std::string, int64_t> count_ops(const GraphProto& graph) {
  std::map<std::string, int64_t> counts;
  for (const auto& n : graph.node())
    ++counts[is_default_domain(n.domain()) ? n.op_type() : n.domain() + "::" + n.op_type()];
  return counts;
}

}  // namespace yoloxrt::simplify
