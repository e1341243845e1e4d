// export/nms_tail.h - NMS inside the graph: turns a decoded YOLOX model into an end-to-end one.
// Pipeline stage 2b of export: (build graph) -> append the NMS tail -> (passes) -> write ONNX.
#pragma once

#include <string>

#include <onnx/onnx_pb.h>

#include "yoloxrt/model_metadata.h"

namespace yoloxrt::exporter {

// Replaces the graph output `decoded` ([B, N, 6] = [x0, y0, w, h, label, prob] in input pixels,
// OutputFormat::kDecoded) by the four end-to-end outputs (kEndToEndOutputs, see OutputFormat::
// kEndToEnd) computed with standard ONNX ops (opset 11..17): one NonMaxSuppression call per model
// (its score threshold and max_output_boxes_per_class = K bound its work; per-class NMS offsets
// each box by class * (coordinate span + 1) so that classes never overlap), then Gather/ScatterND
// by the batch index of NMS's selected_indices into zero-filled [B, K, ...] tensors. Batch, height
// and width stay dynamic. `batch_dim` is the symbolic or numeric batch dim of the outputs.
// Throws Error(kInvalidArgument) for settings out of range (conf or iou outside [0, 1],
// max_det < 1), Error(kRuntime) if `decoded` is not a graph output (a yoloxrt bug).
void append_nms_tail(onnx::ModelProto& model, const std::string& decoded, const NmsSettings& nms,
                     const std::string& batch_dim);

// Checks the settings as append_nms_tail does (for callers that validate options early).
void check_nms_settings(const NmsSettings& nms);

}  // namespace yoloxrt::exporter
