// BatchNormalization folded into the convolution before it: the one implementation of the
// arithmetic, used by the graph builder (weights from a checkpoint) and by the simplifier's pass
// (BatchNormalization nodes in an ONNX graph).
#pragma once

#include <cmath>
#include <cstdint>

namespace yoloxrt::exporter {

// y = gamma * (conv(x) + b - mean) / sqrt(var + eps) + beta becomes conv'(x) + b' with, per output
// channel c, s = gamma / sqrt(var + eps), W'[c] = W[c] * s and b' = (b - mean) * s + beta, all
// computed in double. `weight` holds out_channels * per_channel values and is scaled in place;
// `bias` may be null (a conv without bias); `new_bias` receives out_channels values.
template <typename W, typename V>
void fold_batch_norm(W* weight, int64_t out_channels, int64_t per_channel, const V* bias,
                     const V* gamma, const V* beta, const V* mean, const V* var, double eps,
                     W* new_bias) {
  for (int64_t c = 0; c < out_channels; ++c) {
    const double s = static_cast<double>(gamma[c]) / std::sqrt(static_cast<double>(var[c]) + eps);
    W* w = weight + c * per_channel;
    for (int64_t e = 0; e < per_channel; ++e) w[e] = static_cast<W>(w[e] * s);
    const double b = bias ? static_cast<double>(bias[c]) : 0.0;
    new_bias[c] =
        static_cast<W>((b - static_cast<double>(mean[c])) * s + static_cast<double>(beta[c]));
  }
}

}  // namespace yoloxrt::exporter
