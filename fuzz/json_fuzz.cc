// Fuzzes the checkpoint folder's JSON readers and the labels parser. The first byte picks the
// reader (mod 3: 0 colormap, 1 norm stats, 2 labels file), so one corpus serves all three.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "yoloxrt/checkpoint_folder.h"
#include "yoloxrt/error.h"
#include "yoloxrt/labels.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    if (data[0] % 3 == 0)
      (void)yoloxrt::parse_colormap(text);
    else if (data[0] % 3 == 1)
      (void)yoloxrt::parse_norm_stats(text);
    else
      (void)yoloxrt::parse_labels(text);
  } catch (const yoloxrt::Error&) {
  }
  return 0;
}
