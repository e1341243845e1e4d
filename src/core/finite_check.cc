// check_finite_weights: the NaN/Inf guard the checkpoint readers apply to what they return.
#include <cmath>
#include <cstdint>
#include <string>

#include "yoloxrt/checkpoint.h"
#include "yoloxrt/error.h"

namespace yoloxrt {

void check_finite_weights(const StateDict& state) {
  for (const std::string& name : state.names()) {
    const Tensor& t = state.at(name);
    // Summing is the fast path: the sum of finite floats in double cannot overflow for any
    // realistic tensor, and any NaN or Inf makes it non-finite. Only then are the values counted.
    double sum = 0.0;
    for (const float v : t.data) sum += static_cast<double>(v);
    if (std::isfinite(sum)) continue;
    size_t bad = 0, first = t.data.size();
    bool nan = false;
    for (size_t i = 0; i < t.data.size(); ++i) {
      if (std::isfinite(t.data[i])) continue;
      if (bad++ == 0) {
        first = i;
        nan = std::isnan(t.data[i]);
      }
    }
    if (bad == 0) continue;  // cannot happen (a double sum of floats stays finite); be safe
    throw Error(ErrorKind::kCorrupt, "tensor '" + name + "' of shape " + t.shape_string() +
                                         " holds " + std::to_string(bad) + " non-finite value" +
                                         (bad == 1 ? "" : "s") + " (NaN/Inf; the first, at index " +
                                         std::to_string(first) + ", is " + (nan ? "NaN" : "Inf") +
                                         "): the exported model would output NaN");
  }
}

}  // namespace yoloxrt
