#include "yoloxrt/checkpoint_folder.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "yoloxrt/error.h"
#include "yoloxrt/file_io.h"

namespace yoloxrt {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json parse_json(std::string_view text, const char* what) {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    throw Error(ErrorKind::kCorrupt, std::string(what) + " is not valid JSON: " + e.what());
  }
}

std::array<float, 3> triple(const json& j, const std::string& field) {
  if (!j.is_array() || j.size() != 3)
    throw Error(ErrorKind::kCorrupt, "'" + field + "' must be an array of 3 numbers");
  std::array<float, 3> out{};
  for (size_t i = 0; i < 3; ++i) {
    if (!j[i].is_number())
      throw Error(ErrorKind::kCorrupt,
                  "'" + field + "'[" + std::to_string(i) + "] is not a number");
    out[i] = j[i].get<float>();
    if (!std::isfinite(out[i]))
      throw Error(ErrorKind::kCorrupt, "'" + field + "'[" + std::to_string(i) + "] is not finite");
  }
  return out;
}

bool is_weights_file(const fs::path& p) {
  const std::string ext = p.extension().string();
  return ext == ".pth" || ext == ".pt" || ext == ".safetensors";
}

}  // namespace

ColorMap parse_colormap(std::string_view text) {
  const json j = parse_json(text, "colormap");
  if (!j.is_object() || !j.contains("items") || !j["items"].is_array())
    throw Error(ErrorKind::kCorrupt, "colormap must be an object with an 'items' array");
  ColorMap cm;
  size_t i = 0;
  for (const auto& item : j["items"]) {
    const std::string where = "colormap item " + std::to_string(i++);
    if (!item.is_object() || !item.contains("label") || !item["label"].is_string())
      throw Error(ErrorKind::kCorrupt, where + " has no string 'label'");
    cm.names.push_back(item["label"].get<std::string>());
    // Colours are all or nothing: a class without one would be drawn in a colour no file chose.
    const bool has_color = item.contains("color");
    if (cm.names.size() > 1 && has_color == cm.colors.empty())
      throw Error(ErrorKind::kCorrupt,
                  where + (has_color ? " has a 'color' but earlier items do not"
                                     : " has no 'color' but earlier items do"));
    if (!has_color) continue;
    const auto c = triple(item["color"], where + ".color");
    // The tutorial stores floats 0..1; a colour with a component above 1 is read as 0..255.
    const bool unit = std::all_of(c.begin(), c.end(), [](float v) { return v <= 1.f; });
    std::array<uint8_t, 3> rgb{};
    for (int k = 0; k < 3; ++k) {
      const float v = unit ? c[k] * 255.f : c[k];
      rgb[k] = static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L));
    }
    cm.colors.push_back(rgb);
  }
  if (cm.names.empty()) throw Error(ErrorKind::kCorrupt, "colormap has no items");
  return cm;
}

NormStats parse_norm_stats(std::string_view text) {
  const json j = parse_json(text, "norm stats");
  if (!j.is_object() || !j.contains("mean") || !(j.contains("std_dev") || j.contains("std")))
    throw Error(ErrorKind::kCorrupt, "norm stats must be an object with 'mean' and 'std_dev'");
  NormStats n;
  n.mean = triple(j["mean"], "mean");
  n.std = triple(j.contains("std_dev") ? j["std_dev"] : j["std"], "std_dev");
  for (float s : n.std)
    if (s <= 0.f) throw Error(ErrorKind::kCorrupt, "'std_dev' entries must be positive");
  return n;
}

CheckpointSource locate_checkpoint(const fs::path& path) {
  CheckpointSource src;
  std::error_code ec;
  if (!fs::exists(path, ec))
    throw Error(ErrorKind::kNotFound, "no such checkpoint file or folder", path.string());
  fs::path dir;
  if (fs::is_directory(path, ec)) {
    dir = path;
    std::vector<fs::path> found;
    for (const auto& e : fs::directory_iterator(path, ec))
      if (e.is_regular_file() && is_weights_file(e.path())) found.push_back(e.path());
    if (ec) throw Error(ErrorKind::kIo, "cannot list folder: " + ec.message(), path.string());
    std::sort(found.begin(), found.end());
    if (found.empty())
      throw Error(ErrorKind::kNotFound, "folder holds no .pth/.pt/.safetensors checkpoint",
                  path.string());
    if (found.size() > 1) {
      std::string list;
      for (const auto& f : found) list += " " + f.filename().string();
      throw Error(ErrorKind::kInvalidArgument,
                  "folder holds several checkpoints (" + list.substr(1) + "): pass one file",
                  path.string());
    }
    src.weights = found[0];
  } else {
    src.weights = path;
    dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  }
  src.file_stem = src.weights.stem().string();

  std::vector<fs::path> colormaps;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (!e.is_regular_file()) continue;
    if (name.size() > 14 && name.ends_with("-colormap.json")) colormaps.push_back(e.path());
    if (name == "norm_stats.json") src.norm_stats = e.path();
  }
  std::sort(colormaps.begin(), colormaps.end());
  if (colormaps.size() > 1)
    throw Error(ErrorKind::kInvalidArgument, "folder holds several *-colormap.json files; keep one",
                dir.string());
  auto load = [](const fs::path& p, auto parse) {
    const auto bytes = read_file_bytes(p);
    try {
      return parse(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    } catch (const Error& e) {
      throw e.with_file(p.string());
    }
  };
  if (!colormaps.empty()) {
    src.colormap = colormaps[0];
    const std::string stem = colormaps[0].filename().string();
    src.dataset = stem.substr(0, stem.size() - std::string("-colormap.json").size());
    src.colors = load(colormaps[0], parse_colormap);
  }
  if (src.norm_stats) src.norm = load(*src.norm_stats, parse_norm_stats);
  return src;
}

}  // namespace yoloxrt
