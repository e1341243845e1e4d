// yoloxrt/checkpoint_folder.h - the cjm tutorial's checkpoint folder, and lone checkpoint files.
//
// A tutorial folder holds `<dataset>-colormap.json`, `norm_stats.json` and `<model_type>.pth`
// (docs/ARCHITECTURE.md "Export data path"). A Megvii checkpoint is usually a lone `.pth`.
// locate_checkpoint accepts either and finds the side files that exist; the JSON parsers take
// bytes.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "yoloxrt/labels.h"

namespace yoloxrt {

// A colormap is a labels set with colours (labels.h): one struct for both files.
using ColorMap = LabelSet;

struct NormStats {
  std::array<float, 3> mean{};  // RGB, 0..1 scale
  std::array<float, 3> std{};
};

// Parses `{"items": [{"label": "call", "color": [r, g, b]}, ...]}`: the one colormap parser
// (`export` and `detect --labels`). A colour whose components are all <= 1 is on the 0..1 scale
// (the tutorial's floats); otherwise it is 0..255 (clamped). Either every item has a colour or
// none has (then `colors` is empty). Throws Error(kCorrupt) naming the item and field.
ColorMap parse_colormap(std::string_view json_text);

// Parses `{"mean": [r, g, b], "std_dev": [r, g, b]}` ("std" accepted). Throws Error(kCorrupt).
// A std entry of 0 or a non-finite value is Error(kCorrupt).
NormStats parse_norm_stats(std::string_view json_text);

struct CheckpointSource {
  std::filesystem::path weights;                    // .pth / .pt / .safetensors
  std::optional<std::filesystem::path> colormap;    // *-colormap.json beside it
  std::optional<std::filesystem::path> norm_stats;  // norm_stats.json beside it
  std::string dataset;    // colormap stem without "-colormap" (empty without a colormap)
  std::string file_stem;  // the weights file's stem: the cjm model type ("yolox_tiny")
  std::optional<ColorMap> colors;
  std::optional<NormStats> norm;
};

// `path` is a checkpoint folder or a weights file (whose folder is searched for side files).
// A folder must hold exactly one weights file (else Error(kNotFound) or Error(kInvalidArgument)
// listing them). Side files that exist are parsed; errors name the file.
CheckpointSource locate_checkpoint(const std::filesystem::path& path);

}  // namespace yoloxrt
