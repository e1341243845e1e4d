// Simplifier pass 8: equal initializers are merged into one.
#include "export/simplify_passes.h"

#include <functional>
#include <optional>
#include <unordered_map>

#include "export/simplify/graph_utils.h"
#include "export/simplify_eval.h"

namespace yoloxrt::simplify {

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

}  // namespace yoloxrt::simplify
