// yoloxrt/labels.h - class names and colours from a labels file (`detect --labels`).
//
// A labels file is either the cjm tutorial's colormap JSON (parsed by parse_colormap, so that
// `export` and `detect --labels` read colours by one rule) or a plain list of names.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace yoloxrt {

struct LabelSet {
  std::vector<std::string> names;              // index = class id
  std::vector<std::array<uint8_t, 3>> colors;  // RGB 0..255, one per name, or empty (no colours)
};

// Parses a labels file's text: if its first non-blank character is '{', a colormap JSON
// {"items": [{"label": .., "color": [r, g, b]}]} read as parse_colormap (checkpoint_folder.h) reads
// it; otherwise one name per line (blank lines and trailing whitespace ignored, no colours).
// Throws Error(kCorrupt) (without a file) if the JSON is malformed or the list is empty.
LabelSet parse_labels(std::string_view text);

// Reads and parses the file. Throws Error(kNotFound)/Error(kIo) if it cannot be read, and as
// parse_labels, naming the file.
LabelSet read_labels_file(const std::filesystem::path& path);

}  // namespace yoloxrt
