// yoloxrt/conventions.h - what each YOLOX family expects of its input and output, in one table.
//
// The exporter starts from these conventions (then applies the user's overrides) and the detector
// falls back on them for models that carry no yoloxrt metadata. See docs/ARCHITECTURE.md,
// "Conventions", for the table and where each value comes from.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "yoloxrt/model_metadata.h"

namespace yoloxrt {

struct Conventions {
  std::string input_name;      // the graph input's name: "input" (cjm), "images" (Megvii)
  ChannelOrder channel_order;  // the order the network was trained on
  // Pixel range the network's normalisation works on: 1 means it expects x / 255 (cjm, legacy
  // Megvii), 255 means raw 0..255 values (Megvii since 0.1.1).
  float network_range;
  // Pixel range fed to an exported graph by default (the graph divides by input_range /
  // network_range when they differ).
  float input_range;
  // Per-channel normalisation in RGB order on the network_range scale. For cjm these are the
  // library's defaults, used only when the checkpoint folder has no norm_stats.json.
  std::array<float, 3> mean;
  std::array<float, 3> std;
  int default_size;            // square input size the family runs this model type at
  ResizePolicy resize;         // the family's pre-processing
  OutputFormat output_format;  // what yoloxrt's exporter writes by default
};

// The conventions of `family` for `model_type` ("yolox_nano", "yolox_s", ... ; any other string,
// "custom" or "" for an unknown type). `legacy` selects Megvii weights from before release 0.1.1
// (RGB, x / 255, ImageNet mean and std); it is ignored for cjm. Megvii's experiment files set the
// size: 416 for yolox_nano and yolox_tiny, 640 for every other (and an unknown) type; the cjm
// tutorial runs every type at 384. Never throws.
Conventions conventions_for(Family family, std::string_view model_type, bool legacy = false);

}  // namespace yoloxrt
