// Simplifier pass 1: fix the dims of graph inputs the caller named.
#include "export/simplify_passes.h"

#include "export/simplify/graph_utils.h"
#include "yoloxrt/error.h"

namespace yoloxrt::simplify {

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
                  "cannot fix the shape of '" + name + "': the model has no such input");
    if (!vi->type().has_tensor_type())
      throw Error(ErrorKind::kInvalidArgument,
                  "cannot fix the shape of input '" + name + "': it is not a tensor");
    auto* shape = vi->mutable_type()->mutable_tensor_type()->mutable_shape();
    if (shape->dim_size() != 0 && shape->dim_size() != static_cast<int>(dims.size()))
      throw Error(ErrorKind::kInvalidArgument, "input '" + name + "' has rank " +
                                                   std::to_string(shape->dim_size()) + ", got " +
                                                   std::to_string(dims.size()) + " dims");
    if (shape->dim_size() == 0)
      for (size_t k = 0; k < dims.size(); ++k) shape->add_dim();
    for (size_t k = 0; k < dims.size(); ++k) {
      auto* d = shape->mutable_dim(static_cast<int>(k));
      if (dims[k] < 0)
        throw Error(ErrorKind::kInvalidArgument, "negative dim for input '" + name + "'");
      if (d->has_dim_value() && d->dim_value() != dims[k])
        throw Error(ErrorKind::kInvalidArgument, "input '" + name + "' dim " + std::to_string(k) +
                                                     " is " + std::to_string(d->dim_value()) +
                                                     " in the model, got " +
                                                     std::to_string(dims[k]));
      d->set_dim_value(dims[k]);  // clears dim_param (oneof)
    }
  }
}

}  // namespace yoloxrt::simplify
