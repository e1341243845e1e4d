// Fuzzes read_torch_checkpoint: zip inputs as they are, anything else as the data.pkl of an
// archive that also holds one 64-byte storage "0", so that the unpickler (and the tensor resolution
// behind it) sees the mutated bytes directly instead of through the zip parser.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/zip_reader.h"
#include "yoloxrt/checkpoint.h"
#include "yoloxrt/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  yoloxrt::ReadLimits limits;
  limits.max_entry_bytes = 1u << 24;
  limits.max_memo_entries = 1u << 16;
  std::string archive;
  std::span<const uint8_t> bytes(data, size);
  if (!(size >= 2 && data[0] == 'P' && data[1] == 'K')) {
    yoloxrt::core::ZipWriter w;
    w.add("archive/data.pkl", std::string_view(reinterpret_cast<const char*>(data), size));
    w.add("archive/data/0", std::string(64, '\x01'));
    w.add("archive/version", std::string_view("3\n"));
    archive = w.finish();
    bytes = std::span(reinterpret_cast<const uint8_t*>(archive.data()), archive.size());
  }
  try {
    (void)yoloxrt::read_torch_checkpoint(bytes, limits);
  } catch (const yoloxrt::Error&) {
  }
  return 0;
}
