// Simplifier pass 7: nodes that reach no graph output are removed.
#include "export/simplify_passes.h"

#include <unordered_map>

#include "export/simplify/graph_utils.h"

namespace yoloxrt::simplify {

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

}  // namespace yoloxrt::simplify
