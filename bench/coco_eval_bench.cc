// Micro-benchmarks of the COCO evaluator on the shared 64-image fixture (target: <= 50 ms for the
// whole evaluation). Run by scripts/bench_eval.sh.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "yoloxrt/coco_eval.h"
#include "yoloxrt/file_io.h"

namespace {
namespace fs = std::filesystem;

fs::path coco_dir() {
  if (const char* e = std::getenv("YOLOXRT_FIXTURES"); e && *e) return fs::path(e) / "coco-val2017";
  return fs::path(YOLOXRT_BENCH_SOURCE_DIR) / ".." / "shared" / "fixtures" / "coco-val2017";
}

std::string text_of(const fs::path& p) {
  const auto bytes = yoloxrt::read_file_bytes(p);
  return std::string(bytes.begin(), bytes.end());
}

void BM_FixtureReadAndEvaluate(benchmark::State& state) {
  const fs::path dir = coco_dir();
  if (!fs::exists(dir / "instances.json")) {
    state.SkipWithError("fixtures not found (set YOLOXRT_FIXTURES)");
    return;
  }
  for (auto _ : state) {
    const auto gt = yoloxrt::read_coco_ground_truth(dir / "instances.json");
    const auto dets = yoloxrt::read_coco_results(dir / "detections_nano_fp32.json");
    benchmark::DoNotOptimize(yoloxrt::evaluate_coco_bbox(gt, dets));
  }
}
BENCHMARK(BM_FixtureReadAndEvaluate)->Unit(benchmark::kMillisecond);

void BM_FixtureParseResults(benchmark::State& state) {
  const fs::path dir = coco_dir();
  if (!fs::exists(dir / "instances.json")) {
    state.SkipWithError("fixtures not found (set YOLOXRT_FIXTURES)");
    return;
  }
  const std::string text = text_of(dir / "detections_nano_fp32.json");
  for (auto _ : state) benchmark::DoNotOptimize(yoloxrt::parse_coco_results(text));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_FixtureParseResults)->Unit(benchmark::kMillisecond);

void BM_FixtureEvaluate(benchmark::State& state) {
  const fs::path dir = coco_dir();
  if (!fs::exists(dir / "instances.json")) {
    state.SkipWithError("fixtures not found (set YOLOXRT_FIXTURES)");
    return;
  }
  const auto gt = yoloxrt::read_coco_ground_truth(dir / "instances.json");
  const auto dets = yoloxrt::read_coco_results(dir / "detections_nano_fp32.json");
  for (auto _ : state) benchmark::DoNotOptimize(yoloxrt::evaluate_coco_bbox(gt, dets));
}
BENCHMARK(BM_FixtureEvaluate)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
