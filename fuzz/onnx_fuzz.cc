// Fuzzes the ONNX loading behind `simplify` and `info`: inspect_onnx_bytes, validation (parse,
// checker, strict shape inference), and for models that validate, the whole simplifier with a small
// folding budget.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "yoloxrt/error.h"
#include "yoloxrt/export.h"
#include "yoloxrt/simplify.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    (void)yoloxrt::inspect_onnx_bytes(bytes);
    yoloxrt::validate_model_bytes(bytes);
    yoloxrt::SimplifyOptions o;
    o.max_folded_elements = 1 << 16;
    std::string out;
    (void)yoloxrt::simplify_model_bytes(bytes, o, &out);
  } catch (const yoloxrt::Error&) {
  }
  return 0;
}
