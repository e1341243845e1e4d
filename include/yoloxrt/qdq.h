// yoloxrt/qdq.h - the graph side of static INT8 quantization (QuantizeLinear/DequantizeLinear).
//
// Works on serialized ModelProto bytes so that callers need no protobuf types (the rewrite runs in
// the export layer, the only layer that sees protobuf). Calibration (running the model to find
// activation ranges) is the inference layer's job; yoloxrt/quantize.h ties the two together.
//
// Placement (QDQ format, as ONNX Runtime's CPU provider fuses it into its quantized kernels):
//  - The int8 region is every Conv with a constant 4-D float weight, plus every Sigmoid, Mul and
//    Add with two non-constant inputs, Concat, MaxPool and Resize from which a path of such nodes
//    leads to a Conv. So SiLU (Sigmoid * Mul), residual Adds, CSP/SPP Concats, SPP MaxPools and
//    the neck's Resizes stay int8 from one convolution to the next, while the pre-processing baked
//    into the graph (Sub/Div or Mul/Add with constants) and the whole decode head (grids, Exp,
//    strides, the sigmoids of obj/cls, the concat of boxes and scores) stay float.
//  - Every input and output tensor of a region node gets one QuantizeLinear -> DequantizeLinear
//    pair, shared by all its consumers. The head's predictor convs therefore output int8 with a
//    scale of their own: boxes, objectness and class logits never share a scale.
//  - MaxPool and Resize outputs reuse their input's scale and zero point (ORT then drops the pair
//    and runs the op on integers). Sigmoid outputs take their natural range [0, 1] (calibrated
//    ranges clip its top, which scales every large SiLU output down). The input x of a SiLU
//    (x * Sigmoid(x)) gets at most [-6, max]: SiLU is flat below -6 (|SiLU(x)| < 0.015), and the
//    codes saved there give x 2-8x finer steps near 0, where most values and SiLU's curve are.
//  - Concat: its inputs take the Concat output's range (share_concat_ranges), so ORT's
//    QLinearConcat copies bytes instead of requantizing each input (Nano: 0.42 -> 0.11 ms per
//    Run). A tensor read by several Concats gets the union of their output ranges. Quantizing an
//    input straight to the output's grid rounds once where requantizing rounded twice. Nano AP on
//    the 64 shared photos, without -> with: defaults 0.288 -> 0.299, float_leading_convs 9
//    0.355 -> 0.357, --auto-float 5 0.364 -> 0.359 (within the noise of 64 photos).
//  - Conv weights: int8, symmetric (zero point 0), per output channel (axis 0) unless per_tensor;
//    biases: int32 with scale input_scale * weight_scale, zero point 0. Symmetric int8 weights
//    are what selects ORT's fast symmetric (VNNI) conv and depthwise kernels on x86: uint8
//    depthwise weights (zero point 128) took Nano's QLinearConvs from 2.37 to 3.02 ms per Run
//    (only the depthwise ones changed), and int8 activations (s8s8) have no such kernel on x86
//    (Nano's QLinearConvs 8x slower).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace yoloxrt {

enum class ActivationType { kUint8, kInt8 };

struct QdqOptions {
  // Node names to leave in float (their inputs and outputs are not quantized because of them).
  std::vector<std::string> exclude;
  // One weight scale per Conv instead of one per output channel.
  bool per_tensor = false;
  ActivationType activation_type = ActivationType::kUint8;
  // SiLU's Sigmoid and Mul in int8 (QLinearSigmoid + QLinearMul). Off: they run in float between
  // the convolution's DequantizeLinear and the next QuantizeLinear.
  bool quantize_silu = true;
  // Depthwise convolutions (group == input channels) in int8. Off: they stay float (ORT's int8
  // depthwise kernels can be slower than its float ones).
  bool quantize_depthwise = true;
  // The first convolution (the stem, reading the pre-processed input) in int8. Off by default: on
  // official YOLOX-Nano (0..255 input) its wide-ranged output alone cost 10 AP points in 8 bits.
  bool quantize_stem = false;
  // The first N convolutions in graph order (the stem counted) stay float, with their SiLUs. The
  // early, high-resolution layers are the most sensitive to 8-bit activations: on official
  // YOLOX-Nano the stem plus stage 1 (N = 9) in float brings the AP drop from 0.072 to 0.005 (see
  // README). 0 or 1 keep today's behaviour (only the stem float unless quantize_stem).
  int float_leading_convs = 0;
  // Concat inputs share the Concat output's quantization parameters (see the placement notes).
  // Off: every tensor keeps its own calibrated range and QLinearConcat requantizes.
  bool share_concat_ranges = true;
};

// Activation range, in float, as calibration found it (min <= max; the quantizer widens it to
// include 0).
struct TensorRange {
  float min = 0.f;
  float max = 0.f;
};

struct QdqPlan {
  std::vector<std::string> conv_nodes;  // Convs whose weights become int8, in graph order
  // Tensors that need a calibrated range, in graph order (graph inputs first). Outputs of MaxPool
  // and Resize (their input's range) and of Sigmoid ([0, 1]) are not listed.
  std::vector<std::string> calibration_tensors;
  std::vector<std::string> graph_inputs;  // the subset of calibration_tensors that are graph inputs
  int region_nodes = 0;                   // nodes inside the int8 region (Convs included)
  // Quantized tensors that leave the int8 region (read by a float node or a graph output), in
  // graph order: for YOLOX the box/objectness/class predictor outputs the float decode reads.
  std::vector<std::string> region_outputs;
};

// Decides what the rewrite will quantize. Throws Error (without a file; use with_file):
//   kCorrupt          the bytes are not an ONNX model;
//   kUnsupported      the model is already quantized (has QuantizeLinear, DequantizeLinear or
//                     QLinear*/*Integer ops), has no Conv with a constant float weight, or per-
//                     channel weights are asked of a model below opset 13;
//   kInvalidArgument  `exclude` names a node the graph does not have (all unknown names listed).
QdqPlan plan_qdq(std::string_view model_bytes, const QdqOptions& options);

// Returns the model with `tensors` appended to the graph outputs (float, shape unspecified), for
// calibration runs. Graph inputs among them are skipped (a runner has those already). Throws
// Error(kCorrupt) for unparsable bytes, Error(kNotFound) naming a tensor no node produces.
std::string add_graph_outputs(std::string_view model_bytes,
                              const std::vector<std::string>& tensors);

// Rewrites the model into QDQ form. `ranges` must hold every tensor of
// plan_qdq(model_bytes, options).calibration_tensors (Error(kInvalidArgument) naming the first
// missing one). `metadata` entries are added to (or replace) the model's metadata_props; all other
// metadata is kept. The result passed the ONNX checker and strict shape inference. Throws as
// plan_qdq does.
std::string insert_qdq(std::string_view model_bytes, const QdqOptions& options,
                       const std::map<std::string, TensorRange>& ranges,
                       const std::map<std::string, std::string>& metadata);

// Quantization parameters of a range, as insert_qdq computes them: the range is widened to include
// 0, scale = (max - min) / 255 (1 if the range is empty), zero point rounds -min / scale into the
// type's range (uint8 0..255, int8 -128..127).
struct QuantParams {
  float scale = 1.f;
  int zero_point = 0;
};
QuantParams activation_quant_params(TensorRange range, ActivationType type);

}  // namespace yoloxrt
