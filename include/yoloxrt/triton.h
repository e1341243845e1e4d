// yoloxrt/triton.h - a Triton Inference Server model repository entry for an ONNX model.
//
// Writes REPO/NAME/config.pbtxt and REPO/NAME/1/model.onnx for Triton's ONNX Runtime backend
// (platform "onnxruntime_onnx"). The config follows the ModelConfig message of Triton's
// model_config.proto (triton-inference-server/common): max_batch_size, every input and output with
// its Triton data type and its dims without the batch dimension (-1 where dynamic),
// dynamic_batching, instance_group, and the model's yoloxrt metadata (pre-/post-processing
// contract: layout, channel order, pixel range, resize policy and size, output format, NMS
// settings, class names) as `parameters` with string values.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "yoloxrt/onnx_info.h"

namespace yoloxrt {

struct TritonOptions {
  std::string name;  // model name (folder name); empty: the model file's stem
  // Largest batch Triton forms; 0 = no batching (dims then carry the model's full shape, and no
  // dynamic_batching is written). > 0 needs a dynamic first dimension on every input and output.
  int max_batch = 8;
  int instances = 1;                  // instance_group count
  bool gpu = false;                   // KIND_GPU instead of KIND_CPU
  std::vector<int> preferred_batch;   // dynamic_batching.preferred_batch_size (each 1..max_batch)
  uint64_t max_queue_delay_us = 500;  // dynamic_batching.max_queue_delay_microseconds
  bool replace = false;               // replace an existing REPO/NAME (else it is an error)
};

// Returns the config.pbtxt text (protobuf text format) for a model described by `info`, named
// `name` (already resolved). Pure: reads nothing, writes nothing.
// Throws Error(kInvalidArgument) for what Triton would refuse: a model name that is not a plain
// folder name ([A-Za-z0-9_.-], not starting with '.'), an empty tensor name or one with control
// characters, max_batch > 0 with a static first dimension (the message says to use 0), a preferred
// batch size outside 1..max_batch, preferred sizes without batching, instances < 1 or max_batch <
// 0; Error(kUnsupported) for an element type Triton has no data type for.
std::string triton_config(const ModelInfo& info, const std::string& name,
                          const TritonOptions& options);

// Inspects `model` (inspect_onnx), builds its config and writes REPO/NAME/config.pbtxt and
// REPO/NAME/1/model.onnx (a copy of `model`); creates REPO if missing. The entry is assembled in a
// temporary folder inside REPO and renamed into place, so on any error nothing is left behind.
// Returns REPO/NAME. Throws as triton_config and inspect_onnx, Error(kInvalidArgument) if REPO/NAME
// exists and options.replace is false, Error(kIo) naming the path when a write fails.
std::filesystem::path write_triton_repository(const std::filesystem::path& model,
                                              const std::filesystem::path& repo,
                                              const TritonOptions& options);

}  // namespace yoloxrt
