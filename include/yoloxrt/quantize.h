// yoloxrt/quantize.h - static INT8 quantization of a YOLOX ONNX model (QDQ format).
//
// The pipeline: plan which tensors become int8 (export layer, yoloxrt/qdq.h) -> run the float
// model on calibration images through its own pre-processing and stream each activation into a
// TensorHistogram (inference layer, yoloxrt/tensor_probe.h; bounded memory) -> turn the statistics
// into ranges (minmax, percentile or entropy) -> insert QuantizeLinear/DequantizeLinear pairs and
// int8 weights -> write atomically with the metadata kept and `yoloxrt.quantization` added.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "yoloxrt/conv_graph.h"
#include "yoloxrt/qdq.h"

namespace yoloxrt {

enum class CalibrationMethod {
  kMinMax,      // the observed min and max
  kPercentile,  // each tail clipped at (100 - percentile) / 2 % of the values
  kEntropy,     // the |x| threshold minimising KL(P || Q) over 128 quantized bins (TensorRT's)
};
std::string to_string(CalibrationMethod m);  // "minmax", "percentile", "entropy"
// Throws Error(kInvalidArgument) listing the accepted names.
CalibrationMethod parse_calibration_method(const std::string& s);

// Streaming statistics of one tensor: exact min, max and count, and a histogram of kBins bins
// symmetric around 0 (bin i covers [(i - kBins/2) w, (i - kBins/2 + 1) w)). The bin width w is a
// power of two that doubles when a value reaches kBins/2 * w, merging bin pairs exactly, so the
// histogram never depends on the order the values came in beyond its final width.
// Not thread-safe; memory is constant (kBins counters).
class TensorHistogram {
 public:
  static constexpr int kBins = 4096;

  // Adds finite values; NaN and infinities are counted in nonfinite() and otherwise ignored.
  void add(std::span<const float> values);
  // Adds another histogram's values (as if they had been added here).
  void merge(const TensorHistogram& other);

  uint64_t count() const { return count_; }
  uint64_t nonfinite() const { return nonfinite_; }
  float min() const { return min_; }  // +inf / -inf until a value was added
  float max() const { return max_; }
  double bin_width() const { return width_; }  // 0 until a non-zero value was added
  const std::vector<uint64_t>& bins() const { return bins_; }

  // The range `method` chooses (REQUIRES: count() > 0; percentile in (0, 100]). Always within
  // [min(), max()]. Throws Error(kInvalidArgument) for a percentile outside (0, 100].
  TensorRange range(CalibrationMethod method, double percentile = 99.99) const;

  // The expected signal-to-quantization-noise ratio, in dB, of storing these values in 8 bits
  // (256 levels) over `r` (widened to include 0, as activation_quant_params does): signal = the
  // mean of x^2 (exact); noise = step^2 / 12 for each value inside the range (uniform rounding
  // error) plus (x - edge)^2 for each value outside it (clipping, x at its bin's centre). Values
  // below `floor_below` count as exact (a SiLU input's tail, which SiLU flattens anyway).
  // +inf for an all-zero tensor; REQUIRES: count() > 0.
  double quantization_sqnr_db(TensorRange r,
                              float floor_below = -std::numeric_limits<float>::infinity()) const;
  // The noise of that estimate, per value (mean squared error). 0 for an empty histogram.
  double quantization_noise(TensorRange r,
                            float floor_below = -std::numeric_limits<float>::infinity()) const;
  double mean_square() const { return count_ ? sum_sq_ / static_cast<double>(count_) : 0.0; }

 private:
  void grow_to(double max_abs);
  std::vector<uint64_t> bins_ = std::vector<uint64_t>(kBins, 0);
  double width_ = 0.0;
  uint64_t count_ = 0, nonfinite_ = 0, pending_zeros_ = 0;
  double sum_sq_ = 0.0;  // sum of x^2 over the finite values
  float min_ = std::numeric_limits<float>::infinity();
  float max_ = -std::numeric_limits<float>::infinity();
};

struct QuantizeOptions {
  CalibrationMethod method = CalibrationMethod::kPercentile;
  double percentile = 99.99;  // for kPercentile, in (0, 100]
  size_t calib_count = 64;    // at most this many images (the first, in path order)
  QdqOptions qdq;             // exclusions, per-tensor weights, activation type, SiLU placement
  // The default mixed-precision rule: every int8 (depthwise, see below) conv whose estimated
  // output SQNR (estimate_conv_sqnr, from the calibration pass itself) falls below this many dB
  // stays float. On official YOLOX-Nano it keeps 6 depthwise convs float (AP drop on the 64 shared
  // photos 0.061 -> -0.001); yolox_s/tiny (no depthwise convs) stay fully int8. <= 0: off.
  double float_below_db = 25.0;
  // The rule judges depthwise convs only (default), or every conv. Depthwise convs are where the
  // estimate finds what costs Nano accuracy (an output channel sees one input channel); dense convs
  // after a Concat whose inputs share one wide range estimate low too (random-weight yolox_s/tiny
  // neck: 18-20 dB), and floating them costs the s/tiny speed target (see README).
  bool float_below_db_dense = false;
  // Mixed precision by measured sensitivity: keep in float (added to qdq.exclude) the
  // `auto_float_convs` convolutions whose quantization alone hurts the region's outputs most (see
  // conv_sensitivity), measured on the first `sensitivity_images` calibration images.
  size_t auto_float_convs = 0;
  size_t sensitivity_images = 4;
  int threads = 0;  // ONNX Runtime intra-op threads for calibration (0: default)
  // Progress over calibration images; warnings (skipped files). Both optional.
  std::function<void(size_t done, size_t total, const std::filesystem::path& current)> progress;
  std::function<void(const std::string& message)> warn;
};

// The calibration images of a folder: its image files (recursive, sorted), at most `count`.
// Other files are reported through `warn` (if set) and skipped. Throws Error(kNotFound) if `dir` is
// not a folder, Error(kInvalidArgument) if it holds no image file, naming `dir`.
std::vector<std::filesystem::path> calibration_images(
    const std::filesystem::path& dir, size_t count,
    const std::function<void(const std::string&)>& warn = {});

struct CalibrationResult {
  std::map<std::string, TensorHistogram> stats;  // per calibration tensor
  std::map<std::string, TensorRange> ranges;     // stats turned into ranges by the method
  // For the tensors given a channel count: the mean of x^2 per channel (NCHW, channel = dim 1).
  std::map<std::string, std::vector<double>> channel_power;
  // Values one image contributed to each tensor (the last image's; the images share a size).
  std::map<std::string, uint64_t> values_per_image;
  size_t images_used = 0;
  std::vector<std::string> skipped;  // unreadable images, "path: reason"
};

// Runs the float model at `model_path` on `images` and collects statistics for `tensors` (e.g.
// plan_qdq(...).calibration_tensors). Throws as probe_tensors and Detector::open do, and
// Error(kRuntime) if a tensor saw no finite value. For each tensor named in `channels` (name ->
// channel count) it also collects channel_power, if the tensor's size is a multiple of the count.
CalibrationResult calibrate(const std::filesystem::path& model_path,
                            const std::vector<std::string>& tensors,
                            const std::vector<std::filesystem::path>& images,
                            const QuantizeOptions& options,
                            const std::map<std::string, int64_t>& channels = {});

// Signal-to-quantization-noise ratio in dB of `got` against `ref` (one vector per image, compared
// element by element over the common length): 10 log10(sum ref^2 / sum (ref - got)^2), the sums
// floored at 1e-30. Thread-safe.
double sqnr_db(const std::vector<std::vector<float>>& ref,
               const std::vector<std::vector<float>>& got);

// How much quantizing one convolution alone (its input activation, int8 weights and output)
// costs: the SQNR in dB, averaged over the plan's region_outputs, of the model with only that conv
// quantized against the float model. Lower is more sensitive.
struct ConvSensitivity {
  std::string conv;  // node name
  double sqnr_db = 0;
};

// Measures ConvSensitivity for every conv of plan_qdq(model, options.qdq), using `calib.ranges`
// and running each single-conv model on `images`; sorted most sensitive first. Cost: one ONNX
// Runtime session and images.size() runs per convolution. Throws as calibrate does.
std::vector<ConvSensitivity> conv_sensitivity(const std::filesystem::path& model_path,
                                              const CalibrationResult& calib,
                                              const std::vector<std::filesystem::path>& images,
                                              const QuantizeOptions& options);

// The 8-bit SQNR of a convolution's output, estimated without running a quantized model: for
// each output channel o, signal = the calibrated mean of y_o^2; noise = the rounding + clipping
// noise power of the conv's 8-bit input (TensorHistogram::quantization_noise at its calibrated
// range) times the sum of the squared weights of o, plus the 8-bit output's own noise. The result
// is 10 log10(1 / mean_o(noise_o / signal_o)): per channel, so a channel whose values are small
// next to the tensor's range (depthwise convs after a wide-ranged tensor) counts as much as a
// large one. `silu_floor`: conv outputs read by a SiLU count their values below -6 as exact, as
// the rewrite clips them there (qdq.h).
struct ConvEstimate {
  std::string conv;  // node name
  double sqnr_db = 0;
  bool depthwise = false;
};
// For each conv of `convs` named in `int8_convs` whose input and output have calibration statistics
// in `calib`; graph order. The 8-bit grid of a tensor is `grid.at(t)` when present (the ranges the
// rewrite chose: quantized_ranges of an insert_qdq output), else its calibrated range (with the
// SiLU floor). Thread-safe.
std::vector<ConvEstimate> estimate_conv_sqnr(const std::vector<ConvNode>& convs,
                                             const std::vector<std::string>& int8_convs,
                                             const CalibrationResult& calib, bool silu_floor,
                                             const std::map<std::string, TensorRange>& grid = {});

// One node the quantized model keeps in float, and why ("stem", "--float-leading",
// "--exclude", "estimated SQNR 4.4 dB < 25.0 dB", "--auto-float: measured 10.5 dB").
struct FloatNode {
  std::string node;
  std::string reason;
};

struct QuantizeReport {
  QdqPlan plan;
  std::vector<ConvEstimate> estimates;       // every conv int8 before the rule, graph order
  std::vector<std::string> sqnr_float;       // the convs the float_below_db rule kept float
  std::vector<FloatNode> float_convs;        // every conv left float, with the reason
  std::vector<ConvSensitivity> sensitivity;  // when auto_float_convs > 0 (all convs, sorted)
  std::vector<std::string> auto_float;       // the convs auto_float_convs kept float
  size_t images_used = 0;
  size_t tensors_calibrated = 0;  // before the rule: the plan's tensors may be fewer after it
  std::vector<std::string> skipped;
  uint64_t bytes_in = 0, bytes_out = 0;
  std::string metadata_json;  // the value stored under "yoloxrt.quantization"
};

// Quantizes the float model `in` with the images of `calib_dir` and writes the QDQ model to `out`
// atomically (nothing is written on failure). Refuses (Error(kInvalidArgument)) to write over `in`.
// Errors name the file they are about: `in` for an already-quantized model or one without Conv
// (kUnsupported), `calib_dir` for a missing or image-less folder.
QuantizeReport quantize_model(const std::filesystem::path& in,
                              const std::filesystem::path& calib_dir,
                              const std::filesystem::path& out, const QuantizeOptions& options);

}  // namespace yoloxrt
