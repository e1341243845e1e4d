// quantize_model: plan (export layer) -> calibrate (inference layer) -> QDQ rewrite -> write.
#include "yoloxrt/quantize.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "yoloxrt/detector.h"
#include "yoloxrt/error.h"
#include "yoloxrt/file_io.h"
#include "yoloxrt/image.h"
#include "yoloxrt/model_metadata.h"
#include "yoloxrt/tensor_probe.h"

namespace yoloxrt {
namespace fs = std::filesystem;

std::vector<fs::path> calibration_images(const fs::path& dir, size_t count,
                                         const std::function<void(const std::string&)>& warn) {
  std::vector<fs::path> others;
  std::vector<fs::path> images = list_image_files(dir, &others);
  if (warn)
    for (const auto& o : others) warn(o.string() + ": not an image file (skipped)");
  if (images.empty())
    throw Error(ErrorKind::kInvalidArgument,
                "the calibration folder holds no image files (.jpg, .png, ...)", dir.string());
  if (count > 0 && images.size() > count) images.resize(count);
  return images;
}

CalibrationResult calibrate(const fs::path& model_path, const std::vector<std::string>& tensors,
                            const std::vector<fs::path>& images, const QuantizeOptions& options,
                            const std::map<std::string, int64_t>& channels) {
  DetectorOptions dopt;
  dopt.threads = options.threads;
  const auto planner = Detector::open(model_path, dopt);
  const std::vector<uint8_t> raw = read_file_bytes(model_path);
  std::string probe;
  try {
    probe = add_graph_outputs(
        std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()), tensors);
  } catch (const Error& e) {
    throw e.with_file(model_path.string());
  }
  CalibrationResult result;
  for (const auto& t : tensors) result.stats[t];
  ProbeOptions popt;
  popt.threads = options.threads;
  std::map<std::string, std::vector<double>> channel_sums;
  std::map<std::string, uint64_t> channel_counts;
  const ProbeReport report = probe_tensors(
      *planner, probe, tensors, images, popt,
      [&](const std::string& name, std::span<const float> v) {
        result.stats[name].add(v);
        result.values_per_image[name] = v.size();
        auto c = channels.find(name);
        if (c == channels.end() || c->second <= 0 || v.empty() ||
            v.size() % static_cast<size_t>(c->second) != 0)
          return;
        auto& sums = channel_sums[name];
        sums.resize(static_cast<size_t>(c->second), 0.0);
        const size_t per = v.size() / sums.size();
        for (size_t ch = 0; ch < sums.size(); ++ch) {
          // Float partial sums over one channel's plane (vectorisable), added in double.
          const float* p = v.data() + ch * per;
          float acc[8] = {};
          size_t j = 0;
          for (; j + 8 <= per; j += 8)
            for (int k = 0; k < 8; ++k) acc[k] += p[j + k] * p[j + k];
          double sum = 0;
          for (; j < per; ++j) sum += static_cast<double>(p[j]) * p[j];
          for (float a : acc) sum += a;
          if (std::isfinite(sum)) sums[ch] += sum;  // NaN/inf values: the histogram counts them
        }
        channel_counts[name] += per;
      },
      options.progress, options.warn);
  for (auto& [name, sums] : channel_sums) {
    for (double& x : sums) x /= static_cast<double>(channel_counts[name]);
    result.channel_power[name] = std::move(sums);
  }
  result.images_used = report.images_run;
  result.skipped = report.skipped;
  for (const auto& [name, h] : result.stats) {
    if (h.count() == 0)
      throw Error(ErrorKind::kRuntime, "calibration saw no finite value in tensor '" + name + "'",
                  model_path.string());
    result.ranges[name] = h.range(options.method, options.percentile);
  }
  return result;
}

namespace {
using TensorStore = std::map<std::string, std::vector<std::vector<float>>>;

TensorStore probe_store(const Detector& planner, const std::string& model_bytes,
                        const std::vector<std::string>& tensors,
                        const std::vector<fs::path>& images, int threads) {
  TensorStore s;
  ProbeOptions popt;
  popt.threads = threads;
  probe_tensors(planner, add_graph_outputs(model_bytes, tensors), tensors, images, popt,
                [&](const std::string& n, std::span<const float> v) {
                  s[n].emplace_back(v.begin(), v.end());
                });
  return s;
}

// Mean over tensors of sqnr_db, each tensor over all images.
double mean_sqnr_db(const TensorStore& ref, const TensorStore& got) {
  double sum = 0;
  for (const auto& [name, r] : ref) sum += sqnr_db(r, got.at(name));
  return ref.empty() ? 0.0 : sum / static_cast<double>(ref.size());
}
}  // namespace

double sqnr_db(const std::vector<std::vector<float>>& ref,
               const std::vector<std::vector<float>>& got) {
  double sig = 0, noise = 0;
  for (size_t i = 0; i < ref.size() && i < got.size(); ++i)
    for (size_t j = 0; j < ref[i].size() && j < got[i].size(); ++j) {
      sig += double(ref[i][j]) * ref[i][j];
      const double d = double(ref[i][j]) - got[i][j];
      noise += d * d;
    }
  return 10.0 * std::log10(std::max(sig, 1e-30) / std::max(noise, 1e-30));
}

std::vector<ConvSensitivity> conv_sensitivity(const fs::path& model_path,
                                              const CalibrationResult& calib,
                                              const std::vector<fs::path>& images,
                                              const QuantizeOptions& options) {
  const std::vector<uint8_t> raw = read_file_bytes(model_path);
  const std::string bytes(reinterpret_cast<const char*>(raw.data()), raw.size());
  const QdqPlan plan = plan_qdq(bytes, options.qdq);
  DetectorOptions dopt;
  dopt.threads = options.threads;
  const auto planner = Detector::open(model_path, dopt);
  const TensorStore ref =
      probe_store(*planner, bytes, plan.region_outputs, images, options.threads);
  std::vector<ConvSensitivity> out;
  for (const auto& conv : plan.conv_nodes) {
    QdqOptions one = options.qdq;  // every other conv excluded: only `conv` is quantized
    for (const auto& other : plan.conv_nodes)
      if (other != conv) one.exclude.push_back(other);
    const std::string q = insert_qdq(bytes, one, calib.ranges, {});
    out.push_back({conv, mean_sqnr_db(ref, probe_store(*planner, q, plan.region_outputs, images,
                                                       options.threads))});
  }
  std::stable_sort(out.begin(), out.end(), [](const ConvSensitivity& a, const ConvSensitivity& b) {
    return a.sqnr_db < b.sqnr_db;
  });
  return out;
}

std::vector<ConvEstimate> estimate_conv_sqnr(const std::vector<ConvNode>& convs,
                                             const std::vector<std::string>& int8_convs,
                                             const CalibrationResult& calib, bool silu_floor,
                                             const std::map<std::string, TensorRange>& grid) {
  // The rewrite's SiLU input floor (qdq.h): values below it are clipped, and SiLU flattens them.
  constexpr float kSiluFloor = -6.f;
  const std::set<std::string> wanted(int8_convs.begin(), int8_convs.end());
  auto noise = [&](const std::string& t, bool floor) -> std::optional<double> {
    auto h = calib.stats.find(t);
    auto r = calib.ranges.find(t);
    if (h == calib.stats.end() || r == calib.ranges.end()) return std::nullopt;
    TensorRange range = r->second;
    if (floor) range.min = std::max(range.min, kSiluFloor);
    if (auto g = grid.find(t); g != grid.end()) range = g->second;
    return h->second.quantization_noise(range, floor ? kSiluFloor : -INFINITY);
  };
  std::vector<ConvEstimate> out;
  for (const auto& c : convs) {
    if (!wanted.count(c.name) || c.weight_sq_norms.empty()) continue;
    const auto n_in = noise(c.input, false);
    const auto n_out = noise(c.output, silu_floor && !c.activation_output.empty());
    if (!n_in || !n_out) continue;
    // Per-channel signal power; the whole tensor's if the channels could not be told apart.
    std::vector<double> power(c.weight_sq_norms.size(), calib.stats.at(c.output).mean_square());
    auto cp = calib.channel_power.find(c.output);
    if (cp != calib.channel_power.end() && cp->second.size() == power.size()) power = cp->second;
    double ratio = 0;
    size_t used = 0;
    for (size_t o = 0; o < power.size(); ++o) {
      if (!(power[o] > 0)) continue;  // a channel that is always 0 carries nothing to lose
      ratio += (*n_in * c.weight_sq_norms[o] + *n_out) / power[o];
      ++used;
    }
    const double mean = used ? ratio / static_cast<double>(used) : 0.0;
    out.push_back({c.name, mean > 0 ? -10.0 * std::log10(mean) : INFINITY, c.depthwise});
  }
  return out;
}

QuantizeReport quantize_model(const fs::path& in, const fs::path& calib_dir, const fs::path& out,
                              const QuantizeOptions& options) {
  std::error_code e1, e2;
  if (fs::exists(out, e1) && fs::equivalent(in, out, e2))
    throw Error(ErrorKind::kInvalidArgument, "refusing to overwrite the input model", out.string());
  if (options.method == CalibrationMethod::kPercentile &&
      !(options.percentile > 0.0 && options.percentile <= 100.0))
    throw Error(ErrorKind::kInvalidArgument,
                "--percentile must be in (0, 100], got " + std::to_string(options.percentile));
  const std::vector<uint8_t> raw = read_file_bytes(in);
  const std::string_view bytes(reinterpret_cast<const char*>(raw.data()), raw.size());
  QuantizeReport report;
  report.bytes_in = raw.size();
  try {
    report.plan = plan_qdq(bytes, options.qdq);
  } catch (const Error& e) {
    throw e.with_file(in.string());
  }
  const auto images = calibration_images(calib_dir, options.calib_count, options.warn);
  const auto convs = list_conv_nodes(bytes);
  std::map<std::string, int64_t> channels;  // per-channel power only for the SQNR rule
  if (options.float_below_db > 0)
    for (const auto& c : convs) {
      channels[c.input] = c.in_channels;
      channels[c.output] = c.out_channels;
    }
  const CalibrationResult calib =
      calibrate(in, report.plan.calibration_tensors, images, options, channels);
  report.images_used = calib.images_used;
  report.tensors_calibrated = calib.stats.size();
  report.skipped = calib.skipped;
  QdqOptions qdq = options.qdq;
  if (options.float_below_db > 0) {
    // The grids the rewrite really uses (Concat inputs share their Concat's range): from a
    // rewrite of the plan before the rule, read back.
    std::map<std::string, TensorRange> grid;
    try {
      grid = quantized_ranges(insert_qdq(bytes, qdq, calib.ranges, {}));
    } catch (const Error& e) {
      throw e.with_file(in.string());
    }
    report.estimates =
        estimate_conv_sqnr(convs, report.plan.conv_nodes, calib, options.qdq.quantize_silu, grid);
    for (const auto& e : report.estimates)
      if (e.sqnr_db < options.float_below_db && (e.depthwise || options.float_below_db_dense)) {
        report.sqnr_float.push_back(e.conv);
        qdq.exclude.push_back(e.conv);
      }
    if (!report.sqnr_float.empty()) {
      try {
        report.plan = plan_qdq(bytes, qdq);
      } catch (const Error& e) {
        throw e.with_file(in.string());
      }
    }
  }
  if (options.auto_float_convs > 0) {
    std::vector<fs::path> few = images;
    if (few.size() > options.sensitivity_images)
      few.resize(std::max<size_t>(1, options.sensitivity_images));
    QuantizeOptions o = options;
    o.qdq = qdq;
    try {
      report.sensitivity = conv_sensitivity(in, calib, few, o);
    } catch (const Error& e) {
      throw e.with_file(in.string());
    }
    for (size_t i = 0; i < report.sensitivity.size() && i < options.auto_float_convs; ++i) {
      report.auto_float.push_back(report.sensitivity[i].conv);
      qdq.exclude.push_back(report.sensitivity[i].conv);
    }
    // Every conv float leaves nothing to quantize: plan_qdq refuses.
    try {
      report.plan = plan_qdq(bytes, qdq);
    } catch (const Error& e) {
      throw e.with_file(in.string());
    }
  }

  // Why each conv the rewrite leaves float is float, in graph order (first matching reason).
  {
    const std::set<std::string> int8(report.plan.conv_nodes.begin(), report.plan.conv_nodes.end());
    const std::set<std::string> excluded(options.qdq.exclude.begin(), options.qdq.exclude.end());
    auto fmt_db = [](double db) {
      char b[32];
      std::snprintf(b, sizeof b, "%.1f dB", db);
      return std::string(b);
    };
    int index = 0;
    for (const auto& c : convs) {
      if (!c.constant_weight) continue;
      ++index;
      if (int8.count(c.name)) continue;
      std::string why = "outside the int8 region";
      if (excluded.count(c.name)) {
        why = "--exclude";
      } else if (index == 1 && !options.qdq.quantize_stem) {
        why = "stem (first convolution; --quantize-stem quantizes it)";
      } else if (index <= options.qdq.float_leading_convs) {
        why = "--float-leading " + std::to_string(options.qdq.float_leading_convs);
      } else if (std::find(report.sqnr_float.begin(), report.sqnr_float.end(), c.name) !=
                 report.sqnr_float.end()) {
        for (const auto& e : report.estimates)
          if (e.conv == c.name)
            why = "estimated SQNR " + fmt_db(e.sqnr_db) + " < " + fmt_db(options.float_below_db);
      } else if (std::find(report.auto_float.begin(), report.auto_float.end(), c.name) !=
                 report.auto_float.end()) {
        for (const auto& e : report.sensitivity)
          if (e.conv == c.name) why = "--auto-float: measured " + fmt_db(e.sqnr_db);
      } else if (c.depthwise && !options.qdq.quantize_depthwise) {
        why = "--no-depthwise";
      }
      report.float_convs.push_back({c.name, why});
    }
  }
  nlohmann::json float_json = nlohmann::json::array();
  for (const auto& f : report.float_convs)
    float_json.push_back({{"node", f.node}, {"reason", f.reason}});

  nlohmann::json md = {
      {"method", to_string(options.method)},
      {"calibration_images", calib.images_used},
      {"excluded", options.qdq.exclude},
      {"weights",
       options.qdq.per_tensor ? "int8 symmetric per-tensor" : "int8 symmetric per-channel"},
      {"activations", options.qdq.activation_type == ActivationType::kUint8 ? "uint8" : "int8"},
      {"silu", options.qdq.quantize_silu ? "int8" : "float"},
      {"stem", options.qdq.quantize_stem ? "int8" : "float"},
      {"depthwise", options.qdq.quantize_depthwise ? "int8" : "float"},
      {"float_leading_convs", options.qdq.float_leading_convs},
      {"auto_float", report.auto_float},
      {"float_below_db", options.float_below_db > 0 ? nlohmann::json(options.float_below_db)
                                                    : nlohmann::json(nullptr)},
      {"float_below_db_convs", options.float_below_db_dense ? "all" : "depthwise"},
      {"sqnr_float", report.sqnr_float},
      {"float_convs", float_json},
      {"format", "QDQ"},
      {"yoloxrt_version", version_string()},
  };
  if (options.method == CalibrationMethod::kPercentile) md["percentile"] = options.percentile;
  report.metadata_json = md.dump();
  std::string q;
  try {
    q = insert_qdq(bytes, qdq, calib.ranges, {{"yoloxrt.quantization", report.metadata_json}});
  } catch (const Error& e) {
    throw e.with_file(in.string());
  }
  write_file_atomic(out, q);
  report.bytes_out = q.size();
  return report;
}

}  // namespace yoloxrt
