// yoloxrt quantize: float ONNX model + calibration images -> QDQ INT8 model.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "yoloxrt/error.h"
#include "yoloxrt/quantize.h"

namespace yoloxrt::cli {
void add_quantize_options(CLI::App* c, QuantizeCliOptions& q) {
  c->add_option("--calib-count", q.calib_count, "calibration images to use (the first N, sorted)")
      ->check(CLI::PositiveNumber);
  c->add_option("--method", q.method, "activation ranges: minmax | percentile | entropy")
      ->check(CLI::IsMember({"minmax", "percentile", "entropy"}));
  c->add_option("--percentile", q.percentile, "percentile kept by --method percentile (0, 100]");
  c->add_option("--exclude", q.exclude, "node names to keep in float (repeatable)");
  c->add_flag("--per-tensor", q.per_tensor, "one weight scale per Conv instead of per channel");
  c->add_option("--activations", q.activations, "activation type: u8 (default) | s8")
      ->check(CLI::IsMember({"u8", "s8"}));
  c->add_option("--silu", q.silu, "SiLU placement: int8 (default) | float")
      ->check(CLI::IsMember({"int8", "float"}));
  c->add_flag("!--no-depthwise", q.depthwise, "keep depthwise convolutions in float");
  c->add_flag("--quantize-stem", q.stem, "the first convolution in int8 too (default: float)");
  c->add_option("--float-leading", q.float_leading,
                "keep the first N convolutions (stem included) in float; 9 on YOLOX-Nano")
      ->check(CLI::NonNegativeNumber);
  c->add_option("--auto-float", q.auto_float,
                "keep float the N convs whose int8 alone hurts the outputs most (measured)");
  c->add_option("--sensitivity-images", q.sensitivity_images,
                "calibration images --auto-float measures on (default 4)")
      ->check(CLI::PositiveNumber);
  c->add_option("--float-below-db", q.float_below_db,
                "keep float the convs whose estimated int8 SQNR is below this (dB; 0: off)")
      ->capture_default_str();
  c->add_flag("--sqnr-dense", q.sqnr_dense,
              "--float-below-db judges dense convs too (default: depthwise convs only)");
  c->add_flag("--all-int8", q.all_int8,
              "every convolution in int8: the stem too, no --float-below-db rule");
  c->add_option("--calib-threads", q.threads, "ONNX Runtime threads for calibration (0: all)");
}

void run_quantize(const std::filesystem::path& model, const std::filesystem::path& calib,
                  const std::filesystem::path& out, const QuantizeCliOptions& q, bool quiet) {
  QuantizeOptions o;
  o.method = parse_calibration_method(q.method);
  o.percentile = q.percentile;
  o.calib_count = q.calib_count;
  o.qdq.exclude = q.exclude;
  o.qdq.per_tensor = q.per_tensor;
  o.qdq.activation_type = q.activations == "s8" ? ActivationType::kInt8 : ActivationType::kUint8;
  o.qdq.quantize_silu = q.silu != "float";
  o.qdq.quantize_depthwise = q.depthwise;
  o.qdq.quantize_stem = q.stem;
  o.qdq.float_leading_convs = q.float_leading;
  o.auto_float_convs = q.auto_float;
  o.float_below_db = q.float_below_db;
  o.float_below_db_dense = q.sqnr_dense;
  if (q.all_int8) {
    o.qdq.quantize_stem = true;
    o.float_below_db = 0;
  }
  o.sensitivity_images = q.sensitivity_images;
  o.threads = q.threads;
  o.warn = [](const std::string& m) { std::fprintf(stderr, "yoloxrt: warning: %s\n", m.c_str()); };
  auto bar = std::make_shared<ProgressBar>(q.calib_count, !quiet && isatty(fileno(stderr)));
  o.progress = [bar](size_t done, size_t total, const std::filesystem::path& current) {
    *bar = ProgressBar(total, bar->enabled());
    bar->update(done, current);
  };
  const auto t0 = std::chrono::steady_clock::now();
  const QuantizeReport r = quantize_model(model, calib, out, o);
  bar->finish();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!quiet) {
    std::printf("calibrated %zu tensors on %zu images (%s%s)\n", r.tensors_calibrated,
                r.images_used, q.method.c_str(),
                o.method == CalibrationMethod::kPercentile
                    ? (" " + std::to_string(q.percentile)).c_str()
                    : "");
    if (!r.sqnr_float.empty()) {
      std::printf("kept float by estimated SQNR (< %.1f dB; --float-below-db):\n",
                  o.float_below_db);
      for (const auto& e : r.estimates)
        if (std::find(r.sqnr_float.begin(), r.sqnr_float.end(), e.conv) != r.sqnr_float.end())
          std::printf("  %-60s %6.2f dB\n", e.conv.c_str(), e.sqnr_db);
    }
    if (!r.auto_float.empty()) {
      std::printf("kept float by measured sensitivity (output SQNR with only that conv int8):\n");
      for (size_t i = 0; i < r.auto_float.size(); ++i)
        std::printf("  %-60s %6.2f dB\n", r.sensitivity[i].conv.c_str(), r.sensitivity[i].sqnr_db);
    }
    std::printf("wrote %s (%s -> %s, %zu int8 convs, %d nodes in the int8 region) in %.2f s\n",
                out.c_str(), human_bytes(static_cast<double>(r.bytes_in)).c_str(),
                human_bytes(static_cast<double>(r.bytes_out)).c_str(), r.plan.conv_nodes.size(),
                r.plan.region_nodes, secs);
  }
}

void register_quantize(CLI::App& app, int& /*exit_code*/) {
  struct Args {
    std::string model, calib, out;
    QuantizeCliOptions q;
    bool quiet = false;
  };
  auto a = std::make_shared<Args>();
  CLI::App* c = app.add_subcommand(
      "quantize", "Static INT8 quantization (QDQ) of a float ONNX model with calibration images");
  c->add_option("MODEL", a->model, "float ONNX model (e.g. from yoloxrt export)")->required();
  c->add_option("--calib", a->calib, "folder of calibration images")->required();
  c->add_option("-o,--output", a->out, "output .onnx (default: MODEL with .int8.onnx)");
  add_quantize_options(c, a->q);
  c->add_flag("-q,--quiet", a->quiet, "print nothing but warnings and errors");
  c->callback([a] {
    std::filesystem::path out = a->out;
    if (out.empty()) {
      out = a->model;
      out.replace_extension(".int8.onnx");
    }
    run_quantize(a->model, a->calib, out, a->q, a->quiet);
  });
}

}  // namespace yoloxrt::cli
