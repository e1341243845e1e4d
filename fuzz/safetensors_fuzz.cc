// Fuzzes read_safetensors (header length, JSON header, offsets, dtypes).
#include <cstddef>
#include <cstdint>
#include <span>

#include "yoloxrt/checkpoint.h"
#include "yoloxrt/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  yoloxrt::ReadLimits limits;
  limits.max_entry_bytes = 1u << 24;
  try {
    (void)yoloxrt::read_safetensors(std::span(data, size), limits);
  } catch (const yoloxrt::Error&) {
  }
  return 0;
}
