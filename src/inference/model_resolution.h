// inference/model_resolution.h - private: from a model's signature, metadata and the caller's
// options to everything a detector needs to run it.
#pragma once

#include <string>

#include "inference/preprocess.h"
#include "yoloxrt/detector.h"

namespace yoloxrt::detail {

struct ResolvedModel {
  ModelMetadata metadata;  // the model's, completed from shapes, family conventions and labels
  TensorFormat format;     // how pre-processing fills the input tensor
  std::string input_name, output_name;
  bool has_batch_axis = true;  // input [B,..] rather than [3,H,W]
  bool batch_dynamic = false;  // B is dynamic: several images per Run
  bool fixed_input = false;    // H and W are fixed by the model
  bool exact = false;          // resize plans must hit options.height x options.width exactly
  bool end_to_end = false;     // NMS in the graph: outputs kEndToEndOutputs, not output_name
};

// Checks that `io` is a YOLOX detector's signature (one float32 image input [B,3,H,W], [B,H,W,3] or
// [3,H,W]; a float32 output [B,N,K]), reads its yoloxrt metadata or infers the rest from shapes and
// the family's conventions, applies options.labels_file, and completes `options` (resize policy,
// height, width). Throws Error naming `file`: kUnsupported for a signature that is not a
// detector's, kCorrupt for malformed metadata, kMismatch when metadata, labels and shapes disagree,
// kInvalidArgument for impossible sizes; as read_labels_file for a bad labels file.
ResolvedModel resolve_model(const ModelInfo& io, DetectorOptions& options, const std::string& file);

}  // namespace yoloxrt::detail
