#include "yoloxrt/onnx_info.h"

#include "core/strings.h"

namespace yoloxrt {

std::string TensorInfo::shape_string() const { return core::shape_to_string(shape, dim_names); }

std::string TensorInfo::dim_string(size_t i) const {
  return core::dim_to_string(shape[i], i < dim_names.size() ? dim_names[i] : std::string());
}

}  // namespace yoloxrt
