// Labels files for `detect --labels` (detector.h: read_labels_file).
#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>

#include <nlohmann/json.hpp>

#include "yoloxrt/detector.h"
#include "yoloxrt/error.h"
#include "yoloxrt/file_io.h"

namespace yoloxrt {
namespace fs = std::filesystem;

LabelSet read_labels_file(const fs::path& path) {
  const std::vector<uint8_t> bytes = read_file_bytes(path);
  const std::string text(bytes.begin(), bytes.end());
  const size_t first = text.find_first_not_of(" \t\r\n");
  LabelSet out;
  if (first != std::string::npos && text[first] == '{') {
    try {
      const auto j = nlohmann::json::parse(text);
      for (const auto& item : j.at("items")) {
        out.names.push_back(item.at("label").get<std::string>());
        if (item.contains("color")) {
          const auto c = item.at("color").get<std::vector<double>>();
          if (c.size() < 3) throw Error(ErrorKind::kCorrupt, "a colour needs 3 components");
          std::array<uint8_t, 3> rgb{};
          for (size_t i = 0; i < 3; ++i)
            rgb[i] = static_cast<uint8_t>(std::lround(std::clamp(c[i], 0.0, 1.0) * 255.0));
          out.colors.push_back(rgb);
        }
      }
    } catch (const Error& e) {
      throw e.with_file(path.string());
    } catch (const std::exception& e) {
      throw Error(
          ErrorKind::kCorrupt,
          std::string("expected a colormap {\"items\": [{\"label\", \"color\"}]}: ") + e.what(),
          path.string());
    }
    if (!out.colors.empty() && out.colors.size() != out.names.size())
      throw Error(ErrorKind::kCorrupt, "some items have a colour and some do not", path.string());
    return out;
  }
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    if (!line.empty()) out.names.push_back(line);
    pos = end + 1;
  }
  if (out.names.empty())
    throw Error(ErrorKind::kCorrupt, "the labels file is empty", path.string());
  return out;
}

}  // namespace yoloxrt
