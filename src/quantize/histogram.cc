// TensorHistogram and the three ways of turning it into a range (yoloxrt/quantize.h).
#include <algorithm>
#include <cmath>
#include <limits>

#include "yoloxrt/error.h"
#include "yoloxrt/quantize.h"

namespace yoloxrt {
namespace {

constexpr int kHalf = TensorHistogram::kBins / 2;
constexpr int kQuantizedBins = 128;  // levels per side of a symmetric int8 grid

// The smallest power of two w with kHalf * w > max_abs.
double initial_width(double max_abs) {
  double w = std::ldexp(1.0, std::ilogb(max_abs / kHalf));
  while (kHalf * w <= max_abs) w *= 2;
  return w;
}

// KL(P || Q) of the TensorRT entropy calibration for the first `i` bins of the |x| histogram `a`:
// P = a[0, i) with the tail a[i, n) added to its last bin; Q = a[0, i) merged into 128 groups and
// spread evenly over the non-empty bins of each group.
double kl_for_threshold(const std::vector<double>& a, const std::vector<double>& prefix,
                        const std::vector<int>& nonzero_prefix, int i, double total) {
  const double tail = total - prefix[i];
  const double p_sum = total;      // P keeps every count
  const double q_sum = prefix[i];  // Q spreads the counts of [0, i)
  if (q_sum <= 0) return std::numeric_limits<double>::infinity();
  const double merged = static_cast<double>(i) / kQuantizedBins;
  double kl = 0.0;
  for (int j = 0; j < kQuantizedBins; ++j) {
    const int start = static_cast<int>(std::floor(j * merged));
    const int end = j == kQuantizedBins - 1 ? i : static_cast<int>(std::floor((j + 1) * merged));
    if (end <= start) continue;
    const double group = prefix[end] - prefix[start];
    const int nz = nonzero_prefix[end] - nonzero_prefix[start];
    if (nz == 0) continue;
    const double q_each = group / nz / q_sum;
    for (int k = start; k < end; ++k) {
      double p = a[k] + (k == i - 1 ? tail : 0.0);
      if (p <= 0) continue;
      p /= p_sum;
      // A bin P has but Q left empty (only the tail bin can be one): smooth Q there.
      const double q = a[k] > 0 ? q_each : 1e-12;
      kl += p * std::log(p / q);
    }
  }
  return kl;
}

}  // namespace

std::string to_string(CalibrationMethod m) {
  switch (m) {
    case CalibrationMethod::kMinMax:
      return "minmax";
    case CalibrationMethod::kPercentile:
      return "percentile";
    case CalibrationMethod::kEntropy:
      return "entropy";
  }
  return "?";
}

CalibrationMethod parse_calibration_method(const std::string& s) {
  if (s == "minmax") return CalibrationMethod::kMinMax;
  if (s == "percentile") return CalibrationMethod::kPercentile;
  if (s == "entropy") return CalibrationMethod::kEntropy;
  throw Error(ErrorKind::kInvalidArgument,
              "unknown calibration method '" + s + "' (expected minmax, percentile or entropy)");
}

void TensorHistogram::grow_to(double max_abs) {
  if (width_ == 0.0) {
    width_ = initial_width(max_abs);
    bins_[kHalf] += pending_zeros_;
    pending_zeros_ = 0;
    return;
  }
  while (kHalf * width_ <= max_abs) {
    // Bin kHalf + j covers [j w, (j + 1) w) and bin kHalf - 1 - j covers [-(j + 1) w, -j w):
    // with width 2w they land in kHalf + j / 2 and kHalf - 1 - j / 2.
    std::vector<uint64_t> merged(kBins, 0);
    for (int j = 0; j < kHalf; ++j) {
      merged[kHalf + j / 2] += bins_[kHalf + j];
      merged[kHalf - 1 - j / 2] += bins_[kHalf - 1 - j];
    }
    bins_.swap(merged);
    width_ *= 2;
  }
}

void TensorHistogram::add(std::span<const float> values) {
  float lo = std::numeric_limits<float>::infinity(), hi = -lo;
  uint64_t bad = 0;
  double sq = 0.0;
  for (float v : values) {
    if (!std::isfinite(v)) {
      ++bad;
      continue;
    }
    sq += static_cast<double>(v) * v;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  nonfinite_ += bad;
  if (values.size() == bad) return;
  min_ = std::min(min_, lo);
  max_ = std::max(max_, hi);
  count_ += values.size() - bad;
  sum_sq_ += sq;
  const double max_abs =
      std::max(std::fabs(static_cast<double>(lo)), std::fabs(static_cast<double>(hi)));
  if (max_abs == 0.0 && width_ == 0.0) {
    pending_zeros_ += values.size() - bad;
    return;
  }
  if (width_ == 0.0 || kHalf * width_ <= max_abs) grow_to(max_abs);
  const double inv = 1.0 / width_;
  uint64_t* b = bins_.data();
  for (float v : values) {
    if (!std::isfinite(v)) continue;
    const int idx = static_cast<int>(std::floor(v * inv)) + kHalf;
    ++b[std::clamp(idx, 0, kBins - 1)];
  }
}

void TensorHistogram::merge(const TensorHistogram& other) {
  if (other.count_ == 0) {
    nonfinite_ += other.nonfinite_;
    return;
  }
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
  nonfinite_ += other.nonfinite_;
  sum_sq_ += other.sum_sq_;
  if (other.width_ == 0.0) {
    if (width_ == 0.0)
      pending_zeros_ += other.pending_zeros_;
    else
      bins_[kHalf] += other.pending_zeros_;
    return;
  }
  TensorHistogram o = other;
  if (width_ == 0.0) {  // only zeros so far
    o.bins_[kHalf] += pending_zeros_;
    pending_zeros_ = 0;
    bins_.swap(o.bins_);
    width_ = o.width_;
    return;
  }
  // Bring both to the wider width (both are powers of two), then add bin by bin.
  while (width_ < o.width_) grow_to(kHalf * width_);
  while (o.width_ < width_) o.grow_to(kHalf * o.width_);
  for (int i = 0; i < kBins; ++i) bins_[i] += o.bins_[i];
}

double TensorHistogram::quantization_sqnr_db(TensorRange r, float floor_below) const {
  const double noise = quantization_noise(r, floor_below);
  if (sum_sq_ <= 0.0 || noise <= 0.0) return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(mean_square() / noise);
}

double TensorHistogram::quantization_noise(TensorRange r, float floor_below) const {
  if (count_ == 0) return 0.0;
  const double lo = std::min(r.min, 0.f), hi = std::max(r.max, 0.f);
  const double step = (hi - lo) / 255.0;
  double noise = 0.0;
  if (width_ > 0.0)
    for (int i = 0; i < kBins; ++i) {
      if (bins_[i] == 0) continue;
      const double c = (i - kHalf + 0.5) * width_;  // the bin's centre
      const double n = static_cast<double>(bins_[i]);
      if (c < floor_below) continue;
      if (c < lo)
        noise += n * (c - lo) * (c - lo);
      else if (c > hi)
        noise += n * (c - hi) * (c - hi);
      else
        noise += n * step * step / 12.0;
    }
  return noise / static_cast<double>(count_);
}

TensorRange TensorHistogram::range(CalibrationMethod method, double percentile) const {
  if (count_ == 0) return {0.f, 0.f};
  const TensorRange full{min_, max_};
  if (method == CalibrationMethod::kMinMax || width_ == 0.0) return full;
  if (method == CalibrationMethod::kPercentile) {
    if (!(percentile > 0.0 && percentile <= 100.0))
      throw Error(ErrorKind::kInvalidArgument,
                  "percentile must be in (0, 100], got " + std::to_string(percentile));
    const double tail = static_cast<double>(count_) * (100.0 - percentile) / 200.0;
    double cum = 0;
    int lo_bin = 0;
    for (; lo_bin < kBins; ++lo_bin) {
      cum += static_cast<double>(bins_[lo_bin]);
      if (cum > tail) break;
    }
    cum = 0;
    int hi_bin = kBins - 1;
    for (; hi_bin >= 0; --hi_bin) {
      cum += static_cast<double>(bins_[hi_bin]);
      if (cum > tail) break;
    }
    // Outer edges of the bins holding the cut: never clip inside a bin.
    const float lo = static_cast<float>((lo_bin - kHalf) * width_);
    const float hi = static_cast<float>((hi_bin - kHalf + 1) * width_);
    return {std::clamp(lo, min_, max_), std::clamp(hi, min_, max_)};
  }
  // Entropy on |x|.
  std::vector<double> a(kHalf);
  for (int j = 0; j < kHalf; ++j)
    a[j] = static_cast<double>(bins_[kHalf + j] + bins_[kHalf - 1 - j]);
  int n = kHalf;
  while (n > 0 && a[n - 1] == 0) --n;
  if (n <= kQuantizedBins) return full;
  std::vector<double> prefix(n + 1, 0.0);
  std::vector<int> nz(n + 1, 0);
  for (int k = 0; k < n; ++k) {
    prefix[k + 1] = prefix[k] + a[k];
    nz[k + 1] = nz[k] + (a[k] > 0 ? 1 : 0);
  }
  const double total = prefix[n];
  int best = n;
  double best_kl = std::numeric_limits<double>::infinity();
  for (int i = kQuantizedBins; i <= n; ++i) {
    const double kl = kl_for_threshold(a, prefix, nz, i, total);
    if (kl < best_kl) {
      best_kl = kl;
      best = i;
    }
  }
  const float t = static_cast<float>(best * width_);
  return {std::clamp(-t, min_, max_), std::clamp(t, min_, max_)};
}

}  // namespace yoloxrt
