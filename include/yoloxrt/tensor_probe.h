// yoloxrt/tensor_probe.h - run a model on images and stream intermediate tensors to a callback.
//
// For calibration (yoloxrt/quantize.h) and model debugging: the images go through the model's own
// pre-processing (a Detector's: resize policy, size, layout, range, channel order from the model's
// metadata), one image per ONNX Runtime Run, and each requested tensor is handed to a callback and
// released before the next image. Memory is bounded by one image's tensors; nothing is stored.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "yoloxrt/detector.h"
#include "yoloxrt/image_header.h"

namespace yoloxrt {

struct ProbeOptions {
  int threads = 0;  // intra-op threads of the probe session (0: ONNX Runtime's default)
  uint64_t max_pixels = kDefaultMaxImagePixels;
};

struct ProbeReport {
  size_t images_run = 0;
  // Images that could not be read or decoded, as "path: reason"; they were skipped.
  std::vector<std::string> skipped;
};

// Called once per image and tensor; `values` is valid during the call only.
using TensorSink = std::function<void(const std::string& name, std::span<const float> values)>;
// Called before each image (done = images finished so far) and once at the end (done == total).
using ProbeProgress =
    std::function<void(size_t done, size_t total, const std::filesystem::path& current)>;

// Runs `probe_model_bytes` - the model `planner` was opened on, with extra graph outputs (see
// add_graph_outputs in yoloxrt/qdq.h) - on each image, pre-processed exactly as `planner` would
// (Detector::make_input). For each image calls sink(name, values) for every name in `tensors`:
// float graph outputs of the probe model, or its image input. Unreadable images are skipped and
// listed in the report (and passed to `warn` if set). Not thread-safe for one sink.
// Throws Error(kRuntime) if ONNX Runtime cannot load or run the probe model, Error(kNotFound) if a
// tensor is not an output or the input of the probe model, Error(kInvalidArgument) if no image
// could be read.
ProbeReport probe_tensors(const Detector& planner, std::string_view probe_model_bytes,
                          const std::vector<std::string>& tensors,
                          const std::vector<std::filesystem::path>& images,
                          const ProbeOptions& options, const TensorSink& sink,
                          const ProbeProgress& progress = {},
                          const std::function<void(const std::string&)>& warn = {});

}  // namespace yoloxrt
