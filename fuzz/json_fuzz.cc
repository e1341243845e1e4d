// Fuzzes the checkpoint folder's JSON readers. The first byte picks the reader (even: colormap,
// odd: norm stats), so one corpus serves both.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "yoloxrt/checkpoint_folder.h"
#include "yoloxrt/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    if (data[0] % 2 == 0)
      (void)yoloxrt::parse_colormap(text);
    else
      (void)yoloxrt::parse_norm_stats(text);
  } catch (const yoloxrt::Error&) {
  }
  return 0;
}
