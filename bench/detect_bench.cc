// Benchmarks of the inference layer: post-processing on a large raw output, and the share of
// pre/post-processing around ORT Run for YOLOX-Nano on dog.jpg.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <random>

#include <benchmark/benchmark.h>

#include "inference/preprocess.h"
#include "yoloxrt/detection.h"
#include "yoloxrt/detector.h"
#include "yoloxrt/image.h"

namespace {
namespace fs = std::filesystem;
using namespace yoloxrt;

constexpr int kStrides[] = {8, 16, 32};

// An 8400 x 85 raw output (640 x 640 input) where ~`candidates` rows score above 0.25. With
// `objects` > 0 the candidates sit in the cells around that many objects and predict overlapping
// boxes (what a real image gives); with 0 they are scattered (a worst case for NMS: many kept).
std::vector<float> synthetic_raw(int candidates, int objects = 0) {
  constexpr size_t kRows = 8400, kK = 85;
  std::vector<float> raw(kRows * kK);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  for (size_t r = 0; r < kRows; ++r) {
    float* row = &raw[r * kK];
    row[0] = u(rng), row[1] = u(rng), row[2] = u(rng), row[3] = u(rng);
    row[4] = 0.05f * u(rng);
    for (size_t c = 5; c < kK; ++c) row[c] = 0.3f * u(rng);
  }
  std::uniform_int_distribution<size_t> stride8(0, 6399);
  std::uniform_int_distribution<int> near(-2, 2);
  std::vector<size_t> centres;
  for (int o = 0; o < objects; ++o) centres.push_back(stride8(rng));
  for (int i = 0; i < candidates; ++i) {
    size_t cell = stride8(rng);
    if (objects > 0) {
      const size_t c = centres[static_cast<size_t>(i % objects)];
      const int gx = std::clamp(static_cast<int>(c % 80) + near(rng), 0, 79);
      const int gy = std::clamp(static_cast<int>(c / 80) + near(rng), 0, 79);
      cell = static_cast<size_t>(gy * 80 + gx);
    }
    float* row = &raw[cell * kK];
    row[2] = 1.5f + u(rng), row[3] = 1.5f + u(rng);
    row[4] = 0.6f + 0.4f * u(rng);
    row[5 + i % 20] = 0.5f + 0.5f * u(rng);
  }
  return raw;
}

void BM_DecodeThresholdNms(benchmark::State& state) {
  const auto raw =
      synthetic_raw(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  size_t candidates = 0, kept = 0;
  for (auto _ : state) {
    auto dets = decode_raw_output(raw.data(), 8400, 85, 640, 640, kStrides, 0.25f);
    candidates = dets.size();
    auto out = nms(std::move(dets), {0.45f, false, 300});
    kept = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["candidates"] = static_cast<double>(candidates);
  state.counters["kept"] = static_cast<double>(kept);
}
// Args: candidates, objects (0 = scattered).
BENCHMARK(BM_DecodeThresholdNms)->Args({1000, 50})->Args({1000, 0})->Unit(benchmark::kMicrosecond);

void BM_DecodeOnly(benchmark::State& state) {
  const auto raw = synthetic_raw(1000);
  for (auto _ : state) {
    auto dets = decode_raw_output(raw.data(), 8400, 85, 640, 640, kStrides, 0.25f);
    benchmark::DoNotOptimize(dets.data());
  }
}
BENCHMARK(BM_DecodeOnly)->Unit(benchmark::kMicrosecond);

fs::path fixtures();

// The fused pre-processing of dog.jpg (768 x 576) for a 416 x 416 letterbox input.
void BM_PreprocessDog(benchmark::State& state) {
  const fs::path dir = fixtures() / "megvii-nano";
  if (!fs::exists(dir / "dog.jpg")) {
    state.SkipWithError("fixtures not found (set YOLOXRT_FIXTURES)");
    return;
  }
  const ImageBuffer img = load_image(dir / "dog.jpg");
  const auto plan = plan_resize(ResizePolicy::kLetterbox, img.width(), img.height(), 416, 416);
  std::vector<float> t(3 * 416 * 416);
  for (auto _ : state) {
    detail::preprocess_image(img.view(), plan, {InputLayout::kNCHW, ChannelOrder::kBGR, 255.f},
                             t.data());
    benchmark::DoNotOptimize(t.data());
  }
}
BENCHMARK(BM_PreprocessDog)->Unit(benchmark::kMicrosecond);

fs::path fixtures() {
  if (const char* e = std::getenv("YOLOXRT_FIXTURES"); e && *e) return e;
  return fs::path(__FILE__).parent_path() / ".." / ".." / "shared" / "fixtures";
}

// Whole detect() on dog.jpg with YOLOX-Nano at 416 (letterbox), 1 intra-op thread; reports the
// time outside ORT Run (pre + post) as a fraction of Run.
void BM_DetectNanoDog(benchmark::State& state) {
  const fs::path dir = fixtures() / "megvii-nano";
  if (!fs::exists(dir / "yolox_nano.onnx")) {
    state.SkipWithError("fixtures not found (set YOLOXRT_FIXTURES)");
    return;
  }
  DetectorOptions o;
  o.threads = static_cast<int>(state.range(0));
  o.conf = 0.1f;
  o.collect_timing = true;
  auto det = Detector::open(dir / "yolox_nano.onnx", o);
  const ImageBuffer img = load_image(dir / "dog.jpg");
  for (int i = 0; i < 3; ++i) det->detect(img.view());  // warm up
  const TimingStats before = det->timing();
  for (auto _ : state) benchmark::DoNotOptimize(det->detect(img.view()).size());
  const TimingStats s = det->timing();
  const double n = static_cast<double>(s.images - before.images);
  const double pre = static_cast<double>(s.preprocess_ns - before.preprocess_ns) / n / 1e3;
  const double run = static_cast<double>(s.run_ns - before.run_ns) / n / 1e3;
  const double post = static_cast<double>(s.postprocess_ns - before.postprocess_ns) / n / 1e3;
  state.counters["pre_us"] = pre;
  state.counters["run_us"] = run;
  state.counters["post_us"] = post;
  state.counters["outside_run_pct"] = 100.0 * (pre + post) / run;
}
BENCHMARK(BM_DetectNanoDog)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
