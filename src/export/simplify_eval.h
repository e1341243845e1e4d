// export/simplify_eval.h - a small reference evaluator for the ops constant folding meets.
//
// Covers float/double/int32/int64/bool tensors and the shape-manipulating and elementwise ops that
// exporters leave around constants: Add Sub Mul Div Pow Sqrt Neg Abs Exp Log Floor Ceil Reciprocal
// Not Min Max Equal Less Greater LessOrEqual GreaterOrEqual And Or Where Cast Shape Size Gather
// Unsqueeze Squeeze Concat Split Reshape Flatten Slice Transpose Range ConstantOfShape Expand
// Identity Tile. float32 results are computed in double and rounded to float once per op, which
// equals float arithmetic for + - * / sqrt.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <onnx/onnx_pb.h>

namespace yoloxrt::simplify {

// A tensor value: floating types in `f`, everything else (integers, bool) in `i`.
struct Value {
  int32_t dtype = 0;  // onnx::TensorProto_DataType
  std::vector<int64_t> dims;
  std::vector<double> f;
  std::vector<int64_t> i;

  bool is_float() const;
  int64_t size() const;  // element count from dims
};

// True if the evaluator stores this element type.
bool is_supported_dtype(int32_t dtype);

// Decodes a TensorProto. Returns nullopt for unsupported dtypes. Throws Error(kCorrupt) if the
// data length does not match the dims, Error(kUnsupported) for external data.
std::optional<Value> value_from_tensor(const onnx::TensorProto& t);

// Encodes a value as a TensorProto with raw_data, named `name`.
onnx::TensorProto tensor_from_value(const Value& v, const std::string& name);

// Evaluates `node` at default-domain `opset` on `inputs` (nullptr for an absent optional input).
// Returns one value per node output, or nullopt if the op, a dtype or an attribute combination is
// not handled, or the output would exceed `max_elements` - the caller then leaves the node alone.
// Throws nothing for inputs the op would reject at run time; it declines instead.
std::optional<std::vector<Value>> evaluate_node(const onnx::NodeProto& node,
                                                const std::vector<const Value*>& inputs, int opset,
                                                int64_t max_elements);

}  // namespace yoloxrt::simplify
