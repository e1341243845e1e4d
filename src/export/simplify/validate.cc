// Simplifier stage 0: validation of the input model (simplify_passes.h: reject_external_data,
// validate_model, check_model_full). The whole-model check itself is export/onnx_check.h.
#include "export/simplify_passes.h"

#include <unordered_map>

#include <onnx/defs/schema.h>

#include "export/onnx_check.h"
#include "export/simplify/graph_utils.h"
#include "yoloxrt/error.h"

namespace yoloxrt::simplify {

namespace {

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

void reject_external_data(const ModelProto& model) { reject_external_in_graph(model.graph()); }

void check_model_full(const ModelProto& model) {
  ModelProto copy = model;  // inference writes value_info
  exporter::check_model_full(copy);
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

}  // namespace yoloxrt::simplify
