// inference/end_to_end.h - private: the signature of end-to-end models (NMS in the graph,
// OutputFormat::kEndToEnd) and the split of their four outputs per image.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <onnxruntime_cxx_api.h>

#include "yoloxrt/detector.h"

namespace yoloxrt::detail {

// True if the model has the four outputs named kEndToEndOutputs (in any order, others allowed).
bool has_end_to_end_outputs(const ModelInfo& io);

// Checks one float32 image input and the outputs num_dets [B,1] int32, det_boxes [B,K,4] float32,
// det_scores [B,K] float32, det_classes [B,K] int32. Throws Error(kUnsupported) naming `file` and
// the offending tensor.
void check_end_to_end_signature(const ModelInfo& io, const std::string& file);

// One image's view of the four outputs of one Run (in kEndToEndOutputs order).
struct EndToEndRows {
  int64_t num_dets = 0;
  const float* boxes = nullptr;      // [k, 4]
  const float* scores = nullptr;     // [k]
  const int32_t* classes = nullptr;  // [k]
  size_t k = 0;
};

// Splits the outputs of a Run over `batch` images. Throws Error(kMismatch) naming `file` if the
// shapes do not hold `batch` images of the same K.
std::vector<EndToEndRows> split_end_to_end(const std::vector<Ort::Value>& outputs, size_t batch,
                                           const std::string& file);

}  // namespace yoloxrt::detail
