// Simplifier pass 10: nodes in topological order (also run by validation and If inlining).
#include "export/simplify_passes.h"

#include <functional>
#include <queue>
#include <set>
#include <unordered_map>

#include "export/simplify/graph_utils.h"
#include "yoloxrt/error.h"

namespace yoloxrt::simplify {

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

}  // namespace yoloxrt::simplify
