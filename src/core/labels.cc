// Labels files (labels.h).
#include "yoloxrt/labels.h"

#include <cctype>

#include "yoloxrt/checkpoint_folder.h"
#include "yoloxrt/error.h"
#include "yoloxrt/file_io.h"

namespace yoloxrt {

LabelSet parse_labels(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && text[first] == '{') return parse_colormap(text);
  LabelSet out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string line(text.substr(pos, end - pos));
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    if (!line.empty()) out.names.push_back(line);
    pos = end + 1;
  }
  if (out.names.empty()) throw Error(ErrorKind::kCorrupt, "the labels file is empty");
  return out;
}

LabelSet read_labels_file(const std::filesystem::path& path) {
  const std::vector<uint8_t> bytes = read_file_bytes(path);
  try {
    return parse_labels(
        std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  } catch (const Error& e) {
    throw e.with_file(path.string());
  }
}

}  // namespace yoloxrt
