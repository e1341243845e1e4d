// Test helpers shared by every layer's tests.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace yoloxrt::testing {

// The shared fixtures folder: $YOLOXRT_FIXTURES, else ../shared/fixtures relative to the source
// tree. Returns nullopt when neither exists (a user's fresh clone).
std::optional<std::filesystem::path> fixtures_dir();

// Use at the top of a test body: skips the test, with the reason, when fixtures are absent.
#define YOLOXRT_REQUIRE_FIXTURES(var)                                                       \
  auto var##_opt = ::yoloxrt::testing::fixtures_dir();                                      \
  if (!var##_opt)                                                                           \
    GTEST_SKIP() << "fixtures not found: set YOLOXRT_FIXTURES or place ../shared/fixtures"; \
  const std::filesystem::path var = *var##_opt

// A fresh empty directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Reads a raw little-endian float32 file.
std::vector<float> read_f32(const std::filesystem::path& path);

// Runs a single-input single-output ONNX model with ONNX Runtime on the CPU (graph optimisation
// ALL, 1 thread). Returns the output values; `out_shape` receives the output shape.
std::vector<float> run_onnx(const std::filesystem::path& model,
                            const std::vector<int64_t>& in_shape, const std::vector<float>& input,
                            std::vector<int64_t>* out_shape);

// Runs `model` (the cjm default wrapper: NCHW input, [1, N, 6] = [x0, y0, w, h, label, prob]
// output) on the cjm-tiny-hagrid fixture's case `default_<name>` in `expected_dir` and checks it
// with the fixture README's tolerances: boxes within 0.02 px + 2e-4 x max(w, h) of the reference
// row, probabilities within 5e-5, labels equal wherever the top-2 margin is >= 1e-5. Prints the
// worst box error (as a fraction of its tolerance) and the worst probability difference.
void expect_cjm_default_parity(const std::filesystem::path& model,
                               const std::filesystem::path& expected_dir, const std::string& name,
                               const std::vector<int64_t>& input_shape);

// Runs a command line through /bin/sh, capturing stdout and stderr. Returns the exit code.
struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
CommandResult run_command(const std::string& command_line);

// Path of the built `yoloxrt` binary.
std::string cli_path();

}  // namespace yoloxrt::testing
