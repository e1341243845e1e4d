// core/strings.h - small text helpers shared by every layer: element type names, lower-casing,
// shapes as text. One home each; private to the library (the CLI and tests may include it).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace yoloxrt::core {

// ONNX TensorProto.DataType numbers that the core names (onnx.proto; ONNX Runtime's
// ONNXTensorElementDataType uses the same numbers).
enum OnnxDataType : int32_t {
  kOnnxFloat = 1,
  kOnnxUint8 = 2,
  kOnnxInt8 = 3,
  kOnnxInt16 = 5,
  kOnnxInt32 = 6,
  kOnnxInt64 = 7,
  kOnnxBool = 9,
  kOnnxFloat16 = 10,
  kOnnxDouble = 11,
  kOnnxBFloat16 = 16,
};

// The name of an ONNX element type, by its TensorProto.DataType number (ONNX Runtime's
// ONNXTensorElementDataType uses the same numbers): 1 -> "float32", 7 -> "int64", 10 -> "float16",
// 16 -> "bfloat16", ... Unknown numbers give "type N".
std::string element_type_name(int32_t onnx_data_type);

// `s` with ASCII letters lower-cased (other bytes unchanged).
std::string to_lower(std::string_view s);

// One dimension as text: the number, else (dynamic, dim < 0) the symbolic `name`, else "?".
std::string dim_to_string(int64_t dim, std::string_view name = {});

// "[1, 3, height, ?]": dims joined by ", " through dim_to_string. `names` (the symbolic names of
// dynamic dims) may be empty or as long as `dims`.
std::string shape_to_string(std::span<const int64_t> dims, std::span<const std::string> names = {});

}  // namespace yoloxrt::core
