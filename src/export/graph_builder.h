// Builds the ONNX graph of a YOLOX network plus the tutorial-style wrapper around it.
//
// Pipeline stage 2 of export: (read checkpoint) -> build graph -> (passes) -> write ONNX.
// The builder walks the canonical Architecture, taking each parameter from the canonical state dict
// as it goes; BatchNorm is folded into the preceding conv's weight and bias (in double precision).
// Every missing, mis-shaped or unused parameter is collected during the walk and reported at once.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <onnx/onnx_pb.h>

#include "export/architecture.h"
#include "yoloxrt/model_metadata.h"
#include "yoloxrt/tensor.h"

namespace yoloxrt::exporter {

// Both families' BatchNorm eps; checkpoints do not store it (docs/ARCHITECTURE.md, "Export data
// path").
constexpr float kBatchNormEps = 1e-3f;

struct WrapperOptions {
  InputLayout layout = InputLayout::kNCHW;
  // What the graph input takes (1: 0..1, 255: 0..255) and what the network was trained on. The
  // graph divides by input_range / network_range when they differ (cjm "scale input").
  float input_range = 1.f;
  float network_range = 1.f;
  // Normalisation (x - mean) / std per channel, in the *input* channel order, on the network's
  // scale. Skipped when mean is 0 and std is 1.
  std::array<float, 3> mean{0.f, 0.f, 0.f};
  std::array<float, 3> std{1.f, 1.f, 1.f};
  // True when the input's channel order is the reverse of the order the weights were trained on;
  // the stem conv's weight is permuted to match, so it costs nothing at run time.
  bool flip_channels = false;
  OutputFormat output_format = OutputFormat::kDecoded;
  std::string input_name = "input";
  std::string output_name = "output";
  std::optional<std::pair<int, int>> fixed_hw;  // static H, W (multiples of 32); else dynamic
  bool dynamic_batch = true;
  int opset = 17;
};

// Returns a ModelProto (graph, opset import, IR version; no metadata) computing the wrapped
// network. The tensors' data is moved out of `canonical` into the graph (shapes stay). Throws
// Error(kMismatch) listing missing / unexpected / mis-shaped keys by name, Error(kInvalidArgument)
// for impossible options.
onnx::ModelProto build_model(const Architecture& arch, StateDict& canonical,
                             const WrapperOptions& options);

// The canonical parameters (name, shape) that `arch` needs, in graph order: what a state dict must
// hold, minus BatchNorm's num_batches_tracked.
std::vector<std::pair<std::string, std::vector<int64_t>>> parameter_shapes(
    const Architecture& arch);

// IR version matching an opset (11 -> 6, 12..14 -> 7, 15..17 -> 8).
int ir_version_for_opset(int opset);

}  // namespace yoloxrt::exporter
