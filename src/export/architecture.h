// The one internal description of a YOLOX network, shared by both families.
//
// Parameters are named canonically with the cjm family's names; a Megvii state dict is renamed into
// them (and its Focus stem weight permuted) by canonicalize_state_dict, so a single graph builder
// serves both families (docs/ARCHITECTURE.md, "Adding a checkpoint layout"). Depthwise-separable
// blocks (Megvii nano) add `.dconv` and
// `.pconv` sub-blocks under the canonical name of the block they replace.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "yoloxrt/model_metadata.h"
#include "yoloxrt/tensor.h"

namespace yoloxrt::exporter {

struct Architecture {
  std::string model_type = "custom";  // yolox_nano/tiny/s/m/l/x or "custom"
  double deepen = 0.33;
  double widen = 0.5;
  bool depthwise = false;
  int num_classes = 80;
  int stem = 32;                      // Focus conv output channels
  std::array<int, 4> stage_out{};     // stage 1..4 output channels
  std::array<int, 4> stage_blocks{};  // CSP bottlenecks per stage
  int neck_blocks = 1;                // bottlenecks per neck CSP
  int head_width = 128;

  // "yolox_s (deepen 0.33, widen 0.5, 80 classes)"
  std::string describe() const;
};

// The variant table (Megvii's exps/default factors; docs/ARCHITECTURE.md, "Export data path").
// Returns nullopt for an unknown name.
std::optional<Architecture> architecture_for_type(const std::string& model_type);

// Channels and block counts from factors, as the cjm family computes them:
// channels int(base * widen), blocks max(round_half_even(n * deepen), 1).
Architecture architecture_from_factors(double deepen, double widen, bool depthwise,
                                       int num_classes);

// Which family a state dict's keys belong to. Throws Error(kUnsupported) listing which key prefixes
// were recognised and a sample of those that were not, when the layout is neither or both.
Family detect_family(const StateDict& state);

// Renames a state dict of `family` into canonical (cjm) names and, for Megvii, permutes the Focus
// stem's input-channel blocks into the cjm order. Keys it does not recognise are kept unchanged
// (the builder reports them as unexpected).
StateDict canonicalize_state_dict(StateDict state, Family family);

// The inverse of canonicalize_state_dict: canonical names to `family`'s names and stem order.
StateDict state_dict_for_family(StateDict canonical, Family family);

// Maps one key between the families (either direction). Unknown keys come back unchanged.
std::string map_key(const std::string& key, Family from, Family to);

// Infers the architecture of a canonical state dict from its keys and shapes: class count, widths,
// block counts, depthwise blocks; names it after the matching variant of the table, else "custom".
// Throws Error(kMismatch) if the tensors needed to tell are missing.
Architecture infer_architecture(const StateDict& canonical);

// Swaps input-channel blocks [3,6) and [6,9) of a stem conv weight [out, 12, k, k]: the Focus order
// differs between the families (cjm TL,TR,BL,BR; Megvii TL,BL,TR,BR). Its own inverse.
void swap_focus_blocks(Tensor& stem_weight);

}  // namespace yoloxrt::exporter
