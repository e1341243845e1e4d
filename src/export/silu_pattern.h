// export/silu_pattern.h - how a SiLU looks in our graphs: y = Mul(x, Sigmoid(x)), the Mul's inputs
// in either order. One definition for the QDQ rewrite (qdq.cc) and the conv graph (conv_graph.cc).
// Private to the export layer.
#pragma once

#include <onnx/onnx_pb.h>

namespace yoloxrt::exporter {

// True when `mul` computes x * sigmoid(x) with `sigmoid` = Sigmoid(x): `mul` is a two-input Mul
// whose inputs are the sigmoid's input and output, in either order.
inline bool is_silu_mul(const onnx::NodeProto& sigmoid, const onnx::NodeProto& mul) {
  if (sigmoid.op_type() != "Sigmoid" || sigmoid.input_size() != 1 || sigmoid.output_size() != 1)
    return false;
  if (mul.op_type() != "Mul" || mul.input_size() != 2 || mul.output_size() != 1) return false;
  const std::string& x = sigmoid.input(0);
  const std::string& s = sigmoid.output(0);
  return (mul.input(0) == x && mul.input(1) == s) || (mul.input(1) == x && mul.input(0) == s);
}

}  // namespace yoloxrt::exporter
