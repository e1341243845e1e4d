// export/simplify/graph_utils.h - graph queries and edits the simplifier's passes share. Private to
// the export layer. Names are tensor names; "reads" include subgraph references and graph outputs.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <onnx/onnx_pb.h>

namespace yoloxrt::simplify {

using onnx::GraphProto;
using onnx::ModelProto;
using onnx::NodeProto;
using onnx::TensorProto;
using NameSet = std::unordered_set<std::string>;

// The default ONNX domain is spelled "" or "ai.onnx".
bool is_default_domain(const std::string& domain);

// The model's opset of the default domain, 0 if it imports none.
int default_opset(const onnx::ModelProto& model);

// "node 'name' (OpType)", for messages.
std::string describe(const onnx::NodeProto& n);

// True if an attribute of `n` holds a graph (If, Loop, Scan).
bool has_subgraph(const onnx::NodeProto& n);

// Calls fn(graph) for every subgraph held by the attributes of `n` (one level; fn recurses).
void for_each_subgraph(const onnx::NodeProto& n,
                       const std::function<void(const onnx::GraphProto&)>& fn);

// Adds to `out` all names that subgraphs of `n` read: a superset of their outer-scope references,
// which is what the liveness passes need to stay safe.
void collect_subgraph_reads(const onnx::NodeProto& n, NameSet& out);

// Renames reads of `from` in `g` (and its subgraphs) and graph outputs named `from`. Used for
// outer-scope references.
void rename_in_graph(onnx::GraphProto& g, const std::string& from, const std::string& to);

// Replaces every read of `from` by `to` in the top-level graph's nodes (and their subgraphs).
void replace_reads(onnx::GraphProto& g, const std::string& from, const std::string& to);

// Removes the nodes k with remove[k], keeping the order of the others.
// REQUIRES: remove.size() == g.node_size().
void erase_nodes(onnx::GraphProto& g, const std::vector<bool>& remove);

NameSet graph_input_names(const onnx::GraphProto& g);
NameSet graph_output_names(const onnx::GraphProto& g);

// Names of initializers that act as constants (not overridable through graph.input).
NameSet constant_names(const onnx::GraphProto& g);

// How many times each name is read: node inputs, subgraph reads, graph outputs.
std::unordered_map<std::string, int> count_reads(const onnx::GraphProto& g);

// The initializer named `name`, or nullptr.
const onnx::TensorProto* find_initializer(const onnx::GraphProto& g, const std::string& name);

// Makes names that collide with nothing in the graph (inputs, initializers, node outputs) nor with
// each other.
class NameMaker {
 public:
  explicit NameMaker(const onnx::GraphProto& g);
  // `base`, else `base_1`, `base_2`, ...
  std::string make(const std::string& base);

 private:
  NameSet used_;
};

}  // namespace yoloxrt::simplify
