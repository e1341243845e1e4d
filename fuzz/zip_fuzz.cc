// Fuzzes the stored-zip reader: parsing the directory, then every entry's CRC-checked data.
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/zip_reader.h"
#include "yoloxrt/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    // A small entry limit keeps lying sizes from turning into big allocations downstream.
    const yoloxrt::core::ZipReader zip(std::span(data, size), 1u << 24);
    for (const auto& e : zip.entries()) {
      (void)zip.find(e.name);
      try {
        (void)zip.data(e);
      } catch (const yoloxrt::Error&) {
      }
    }
  } catch (const yoloxrt::Error&) {
  }
  return 0;
}
