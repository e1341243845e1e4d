// quantize_model: plan (export layer) -> calibrate (inference layer) -> QDQ rewrite -> write.
#include "yoloxrt/quantize.h"

#include <algorithm>
#include <cmath>

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
                            const std::vector<fs::path>& images, const QuantizeOptions& options) {
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
  const ProbeReport report = probe_tensors(
      *planner, probe, tensors, images, popt,
      [&](const std::string& name, std::span<const float> v) { result.stats[name].add(v); },
      options.progress, options.warn);
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
  const CalibrationResult calib = calibrate(in, report.plan.calibration_tensors, images, options);
  report.images_used = calib.images_used;
  report.skipped = calib.skipped;
  QdqOptions qdq = options.qdq;
  if (options.auto_float_convs > 0) {
    std::vector<fs::path> few = images;
    if (few.size() > options.sensitivity_images)
      few.resize(std::max<size_t>(1, options.sensitivity_images));
    try {
      report.sensitivity = conv_sensitivity(in, calib, few, options);
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
