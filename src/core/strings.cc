#include "core/strings.h"

#include <array>

namespace yoloxrt::core {

std::string element_type_name(int32_t onnx_data_type) {
  // Indexed by TensorProto.DataType (onnx.proto): the one table of element type names.
  static constexpr std::array<std::string_view, 17> kNames = {
      "undefined", "float32", "uint8",     "int8",       "uint16",  "int16",
      "int32",     "int64",   "string",    "bool",       "float16", "float64",
      "uint32",    "uint64",  "complex64", "complex128", "bfloat16"};
  if (onnx_data_type > 0 && static_cast<size_t>(onnx_data_type) < kNames.size())
    return std::string(kNames[static_cast<size_t>(onnx_data_type)]);
  return "type " + std::to_string(onnx_data_type);
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string dim_to_string(int64_t dim, std::string_view name) {
  if (dim >= 0) return std::to_string(dim);
  return name.empty() ? std::string("?") : std::string(name);
}

std::string shape_to_string(std::span<const int64_t> dims, std::span<const std::string> names) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ", ";
    s += dim_to_string(dims[i], i < names.size() ? std::string_view(names[i]) : std::string_view());
  }
  return s + "]";
}

}  // namespace yoloxrt::core
