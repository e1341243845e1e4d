// yoloxrt/session.h - run any ONNX model on named tensors with ONNX Runtime.
//
// The Detector (detector.h) knows YOLOX; a Session knows nothing about the model: it takes named
// tensors of any supported element type and returns the outputs it is asked for. It is what a
// tensor-in/tensor-out front end (the KServe v2 `infer` endpoint of `yoloxrt serve`) runs on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "yoloxrt/detector.h"

namespace yoloxrt {

// Size in bytes of one element of `element_type` (TensorInfo's names: "float32", "float64",
// "float16", "uint8", "int8", "uint16", "int16", "uint32", "int32", "uint64", "int64", "bool").
// Returns 0 for a type a Session cannot feed ("string", "non-tensor", ...).
size_t element_size(std::string_view element_type);

// A dense, C-ordered tensor of any element type, as raw little-endian bytes.
// REQUIRES (for Session::run): bytes.size() == element_size(element_type) * product(shape).
struct NamedTensor {
  std::string name;
  std::string element_type;    // as in TensorInfo ("float32", "uint8", ...)
  std::vector<int64_t> shape;  // all dims >= 0
  std::vector<uint8_t> bytes;
};

struct SessionOptions {
  int threads = 0;                     // intra-op threads; 0 = ONNX Runtime's choice
  std::vector<std::string> providers;  // as DetectorOptions::providers; empty = CPU
};

class Session {
 public:
  // Opens the model (full graph optimisation). Throws Error(kNotFound) if it does not exist,
  // Error(kCorrupt) if ONNX Runtime cannot load it, Error(kUnsupported) for an unavailable
  // execution provider; errors name the file.
  static std::unique_ptr<Session> open(const std::filesystem::path& model,
                                       const SessionOptions& options = {});
  virtual ~Session() = default;

  // The model's inputs and outputs (-1 = dynamic dim) and metadata.
  virtual const ModelInfo& io() const = 0;

  // Runs the model. `inputs` must name every model input once, with the model's element type, its
  // rank and its fixed dims; `output_names` selects outputs (empty = all, in model order).
  // Returns the outputs in the order asked for.
  // Throws Error(kInvalidArgument) naming the tensor for an unknown, missing or repeated input, a
  // wrong element type, rank, dim or byte count, or an unknown output; Error(kRuntime) if ONNX
  // Runtime fails. Thread-safe: any number of threads may call run at once.
  virtual std::vector<NamedTensor> run(const std::vector<NamedTensor>& inputs,
                                       const std::vector<std::string>& output_names = {}) const = 0;
};

}  // namespace yoloxrt
