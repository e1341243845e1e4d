// yoloxrt/conv_graph.h - the convolutions of an ONNX model and the tensors around them.
//
// For quantization decisions (yoloxrt/quantize.h): which tensor a convolution reads and writes,
// whether it is depthwise, and the activation that follows it. Works on serialized ModelProto
// bytes (the export layer parses them), so callers need no protobuf types. Plain data; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "yoloxrt/qdq.h"

namespace yoloxrt {

struct ConvNode {
  std::string name;    // node name
  std::string input;   // data input (X)
  std::string output;  // Y
  // The output of the SiLU (Mul(y, Sigmoid(y))) that reads Y, or "" if Y feeds no SiLU.
  std::string activation_output;
  int64_t out_channels = 0;  // weight dim 0 (0 if the weight is not a constant 4-D initializer)
  int64_t in_channels = 0;   // weight dim 1 x group
  // Per output channel, the sum of the squared weights (empty without a constant float weight):
  // how much a white noise of unit power on the input grows by in that output channel.
  std::vector<double> weight_sq_norms;
  int64_t group = 1;
  bool depthwise = false;  // group > 1 and one input channel per group
  bool constant_weight = false;
};

// Every Conv node in graph order. Throws Error(kCorrupt) if the bytes are not an ONNX model.
std::vector<ConvNode> list_conv_nodes(std::string_view model_bytes);

// The range each QuantizeLinear of a QDQ model (insert_qdq's output) covers, keyed by the tensor it
// quantizes: [(qmin - zp) * scale, (qmax - zp) * scale] with the integer limits of its zero point's
// type (uint8 0..255, int8 -128..127). Only per-tensor (scalar) parameters given as initializers
// are read; others are skipped. So callers see the grid the rewrite really chose (Concat inputs
// share their Concat's range, SiLU inputs stop at -6). Throws Error(kCorrupt) for unparsable bytes.
std::map<std::string, TensorRange> quantized_ranges(std::string_view qdq_model_bytes);

}  // namespace yoloxrt
