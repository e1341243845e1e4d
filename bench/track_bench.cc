// Benchmark of the track layer: Tracker::update with 30 detections per frame (ByteTrack's
// per-frame work: Kalman predict/update, IoU matrices, three LAPJV assignments).
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "yoloxrt/tracker.h"

namespace {
using namespace yoloxrt;

// `frames` frames of `objects` pedestrians walking across a 1920 x 1080 frame with jittered boxes
// and scores (a fifth of them low, 0.1..0.5, as a crowd gives), plus a few clutter detections.
std::vector<std::vector<TrackerInput>> scene(int objects, int frames) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> jitter(0, 1.5);
  struct Obj {
    double x, y, vx, vy, w, h;
  };
  std::vector<Obj> obj;
  for (int k = 0; k < objects; ++k)
    obj.push_back({u(rng) * 1800, 200 + u(rng) * 700, u(rng) * 4 - 2, u(rng) * 2 - 1,
                   30 + u(rng) * 30, 80 + u(rng) * 80});
  std::vector<std::vector<TrackerInput>> out(static_cast<size_t>(frames));
  for (auto& f : out) {
    for (Obj& o : obj) {
      o.x += o.vx;
      o.y += o.vy;
      const double x = o.x + jitter(rng), y = o.y + jitter(rng);
      const double score = u(rng) < 0.2 ? 0.1 + 0.4 * u(rng) : 0.6 + 0.4 * u(rng);
      f.push_back({x, y, x + o.w + jitter(rng), y + o.h + jitter(rng), score, 0});
    }
  }
  return out;
}

void BM_TrackerUpdate(benchmark::State& state) {
  const int objects = static_cast<int>(state.range(0));
  const auto frames = scene(objects, 600);
  Tracker tracker;
  size_t i = 0, tracks = 0;
  for (auto _ : state) {
    if (i == frames.size()) {  // restart the sequence (same work per frame)
      state.PauseTiming();
      tracker.reset();
      i = 0;
      state.ResumeTiming();
    }
    const auto out = tracker.update(frames[i++]);
    tracks += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["dets/frame"] = objects;
  state.counters["tracks/frame"] =
      benchmark::Counter(static_cast<double>(tracks), benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_TrackerUpdate)->Arg(10)->Arg(30)->Arg(100)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
