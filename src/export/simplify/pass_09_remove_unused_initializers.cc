// Simplifier pass 9: initializers nothing reads are removed.
#include "export/simplify_passes.h"

#include "export/simplify/graph_utils.h"

namespace yoloxrt::simplify {

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

}  // namespace yoloxrt::simplify
