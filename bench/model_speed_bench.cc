// ONNX Runtime time of yoloxrt's export vs PyTorch's (torch.onnx.export, as the tutorial makes it)
// for the same checkpoint: cjm-tiny-hagrid, default wrapper, the 576x384 photo input.
//   YOLOXRT_FIXTURES=... build/release/bench/model_speed_bench
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

#include <benchmark/benchmark.h>
#include <onnxruntime_cxx_api.h>

#include "inference/ort_session.h"
#include "yoloxrt/export.h"
#include "yoloxrt/file_io.h"

namespace {
namespace fs = std::filesystem;

fs::path fixtures() {
  const char* env = std::getenv("YOLOXRT_FIXTURES");
  return env ? fs::path(env) : fs::path(YOLOXRT_BENCH_SOURCE_DIR) / ".." / "shared" / "fixtures";
}

std::vector<float> read_f32(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::vector<float> v(fs::file_size(p) / 4);
  in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(v.size() * 4));
  return v;
}

void run_model(benchmark::State& state, const std::string& model_bytes, int threads) {
  Ort::SessionOptions so;
  so.SetIntraOpNumThreads(threads);
  so.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_ALL);
  Ort::Session session(yoloxrt::detail::ort_env(), model_bytes.data(), model_bytes.size(), so);
  auto input = read_f32(fixtures() / "cjm-tiny-hagrid" / "expected" / "default_photo_input.f32");
  const int64_t shape[] = {1, 3, 576, 384};
  auto mem = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
  Ort::Value in = Ort::Value::CreateTensor<float>(mem, input.data(), input.size(), shape, 4);
  const char* in_names[] = {"input"};
  const char* out_names[] = {"output"};
  for (int i = 0; i < 3; ++i) session.Run(Ort::RunOptions{nullptr}, in_names, &in, 1, out_names, 1);
  for (auto _ : state)
    benchmark::DoNotOptimize(session.Run(Ort::RunOptions{nullptr}, in_names, &in, 1, out_names, 1));
}

std::string file_bytes(const fs::path& p) {
  const auto b = yoloxrt::read_file_bytes(p);
  return std::string(b.begin(), b.end());
}

void BM_YoloxrtExport(benchmark::State& state) {
  const fs::path folder = fixtures() / "cjm-tiny-hagrid";
  if (!fs::exists(folder)) return state.SkipWithError("fixtures not found");
  static const std::string bytes = yoloxrt::export_model(folder, {}).onnx_bytes;
  run_model(state, bytes, static_cast<int>(state.range(0)));
}

void BM_TorchOnnxExport(benchmark::State& state) {
  const fs::path model = fixtures() / "cjm-tiny-hagrid" / "expected" / "reference-default.onnx";
  if (!fs::exists(model)) return state.SkipWithError("fixtures not found");
  static const std::string bytes = file_bytes(model);
  run_model(state, bytes, static_cast<int>(state.range(0)));
}

BENCHMARK(BM_YoloxrtExport)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->MinTime(3.0);
BENCHMARK(BM_TorchOnnxExport)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->MinTime(3.0);

}  // namespace

BENCHMARK_MAIN();
