// The CLI's commands. Each lives in its own cmd_<name>.cc and registers a CLI11 subcommand whose
// callback does the work; main() maps yoloxrt::Error kinds to exit codes (README "Exit codes").
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace yoloxrt::cli {

// Each register_* adds a subcommand to `app`. The subcommand's callback throws yoloxrt::Error on
// failure and may set `exit_code` to a non-zero value for partial failures (e.g. some images
// unreadable).
void register_export(CLI::App& app, int& exit_code);
void register_info(CLI::App& app, int& exit_code);
void register_detect(CLI::App& app, int& exit_code);
void register_simplify(CLI::App& app, int& exit_code);
void register_convert(CLI::App& app, int& exit_code);
void register_serve(CLI::App& app, int& exit_code);
void register_track(CLI::App& app, int& exit_code);
void register_eval(CLI::App& app, int& exit_code);
void register_triton_repo(CLI::App& app, int& exit_code);
void register_quantize(CLI::App& app, int& exit_code);

// The calibration flags shared by `quantize` and `export --int8` (cmd_quantize.cc).
struct QuantizeCliOptions {
  size_t calib_count = 64;
  std::string method = "percentile", activations = "u8", silu = "int8";
  double percentile = 99.99;
  std::vector<std::string> exclude;
  bool per_tensor = false, depthwise = true, stem = false;
  int threads = 0, float_leading = 0;
  size_t auto_float = 0, sensitivity_images = 4;
  double float_below_db = 25.0;
  bool all_int8 = false, sqnr_dense = false;
};
void add_quantize_options(CLI::App* c, QuantizeCliOptions& q);
// Quantizes `model` into `out` and prints a summary unless `quiet`. Throws yoloxrt::Error.
void run_quantize(const std::filesystem::path& model, const std::filesystem::path& calib,
                  const std::filesystem::path& out, const QuantizeCliOptions& q, bool quiet);

// Exit code for "completed, but some inputs failed" (detect).
constexpr int kExitPartialFailure = 10;

}  // namespace yoloxrt::cli
