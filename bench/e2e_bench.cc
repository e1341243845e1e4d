// The cost of NMS in the graph: YOLOX-Nano exported plain and end-to-end (export --nms) from the
// official .pth, run through Detector on the shared photos at 416 (letterbox), 1 intra-op thread.
// Compares the end-to-end model's ORT Run with the plain model's Run + yoloxrt's native
// post-processing (decode, threshold, NMS, map back), interleaving the two per iteration and taking
// medians so that load on the machine hits both alike. Target (issue 12): ratio <= 1.05.
// Usage: e2e_bench [ITERATIONS]   (fixtures from $YOLOXRT_FIXTURES, else ../shared/fixtures)
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <vector>

#include <unistd.h>

#include <fstream>

#include <onnxruntime_cxx_api.h>
#include <nlohmann/json.hpp>

#include "inference/ort_session.h"
#include "yoloxrt/detector.h"
#include "yoloxrt/export.h"
#include "yoloxrt/image.h"

namespace {
namespace fs = std::filesystem;
using namespace yoloxrt;

fs::path fixtures() {
  if (const char* e = std::getenv("YOLOXRT_FIXTURES"); e && *e) return e;
  return fs::path(YOLOXRT_BENCH_SOURCE_DIR) / ".." / "shared" / "fixtures";
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Sample {
  double run_us, post_us;
};

// One detect() call on `images`, split into Run and post-processing time (per image).
Sample time_call(const Detector& d, const std::vector<Image>& images) {
  const TimingStats a = d.timing();
  d.detect(std::span<const Image>(images));
  const TimingStats b = d.timing();
  const double n = static_cast<double>(images.size());
  return {static_cast<double>(b.run_ns - a.run_ns) / 1e3 / n,
          static_cast<double>(b.postprocess_ns - a.postprocess_ns) / 1e3 / n};
}

void compare(const fs::path& plain_model, const fs::path& e2e_model, float conf, bool per_class,
             const std::vector<Image>& images, int iterations, const char* label) {
  DetectorOptions o;
  o.threads = 1;
  o.conf = conf;
  o.per_class = per_class;
  o.max_det = 100;
  o.collect_timing = true;
  auto plain = Detector::open(plain_model, o);
  auto e2e = Detector::open(e2e_model, o);
  for (int i = 0; i < 5; ++i) time_call(*plain, images), time_call(*e2e, images);  // warm up
  std::vector<double> plain_run, plain_total, e2e_run, e2e_total;
  size_t dets = 0;
  for (int i = 0; i < iterations; ++i) {
    const Sample p = time_call(*plain, images);
    const Sample e = time_call(*e2e, images);
    plain_run.push_back(p.run_us);
    plain_total.push_back(p.run_us + p.post_us);
    e2e_run.push_back(e.run_us);
    e2e_total.push_back(e.run_us + e.post_us);
  }
  for (const auto& r : e2e->detect(std::span<const Image>(images))) dets += r.size();
  const double pr = median(plain_run), pt = median(plain_total), er = median(e2e_run),
               et = median(e2e_total);
  std::printf(
      "%-40s plain Run %8.0f us + post %5.0f us = %8.0f | e2e Run %8.0f us (+ map back %3.0f) | "
      "e2e Run / (plain Run + post) = %.3f, with map back %.3f | %zu detections\n",
      label, pr, pt - pr, pt, er, et - er, er / pt, et / pt, dets);
}

// The NMS tail's own cost, robust to machine load: ONNX Runtime's per-node kernel times (its
// profiler) over `runs` Runs of the end-to-end model on the official dog.jpg input, summed for the
// tail's nodes (named nms.*, num_dets, det_*) against all nodes.
void profile_tail(const fs::path& model, const fs::path& input_f32, int runs) {
  Ort::SessionOptions so;
  so.SetIntraOpNumThreads(1);
  so.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_ALL);
  const std::string prefix = (model.parent_path() / "profile").string();
  so.EnableProfiling(prefix.c_str());
  Ort::Session session(detail::ort_env(), model.c_str(), so);
  std::ifstream in(input_f32, std::ios::binary);
  std::vector<float> input(3 * 416 * 416);
  in.read(reinterpret_cast<char*>(input.data()), static_cast<std::streamsize>(input.size() * 4));
  const std::vector<int64_t> shape{1, 3, 416, 416};
  auto mem = Ort::MemoryInfo::CreateCpu(OrtDeviceAllocator, OrtMemTypeCPU);
  const char* in_names[] = {"images"};
  for (int i = 0; i < runs; ++i) {
    Ort::Value t = Ort::Value::CreateTensor<float>(mem, input.data(), input.size(), shape.data(),
                                                   shape.size());
    session.Run(Ort::RunOptions{nullptr}, in_names, &t, 1, kEndToEndOutputs, 4);
  }
  Ort::AllocatorWithDefaultOptions alloc;
  const std::string file = session.EndProfilingAllocated(alloc).get();
  std::ifstream pf(file);
  const auto events = nlohmann::json::parse(pf);
  // Per node the median over the Runs (a preempted kernel is an outlier, not a cost), summed.
  std::map<std::string, std::vector<double>> durations;
  std::map<std::string, std::string> op_of;
  for (const auto& e : events) {
    if (e.value("cat", "") != "Node") continue;
    const std::string name = e.value("name", "");
    if (!name.ends_with("_kernel_time")) continue;
    durations[name].push_back(e.value("dur", 0.0));
    op_of[name] = e["args"].value("op_name", "?");
  }
  double tail_us = 0, all_us = 0;
  std::map<std::string, double> by_op;
  for (auto& [name, d] : durations) {
    const double m = median(d);
    all_us += m;
    if (name.starts_with("nms.") || name.starts_with("num_dets") || name.starts_with("det_")) {
      tail_us += m;
      by_op[op_of[name]] += m;
    }
  }
  fs::remove(file);
  std::printf(
      "NMS tail kernels (ORT profiler, dog.jpg, conf 0.25, per-node medians of %d Runs): "
      "%.1f us = %.2f%% of all kernel time (%.0f us)\n  by op (us):",
      runs, tail_us, 100.0 * tail_us / all_us, all_us);
  for (const auto& [op, us] : by_op) std::printf(" %s %.1f", op.c_str(), us);
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  const int iterations = argc > 1 ? std::atoi(argv[1]) : 100;
  const fs::path fx = fixtures();
  const fs::path pth = fx / "megvii-nano" / "yolox_nano.pth";
  if (!fs::exists(pth)) {
    std::fprintf(stderr, "fixtures not found: %s (set YOLOXRT_FIXTURES)\n", pth.c_str());
    return 1;
  }
  const fs::path dir =
      fs::temp_directory_path() / ("yoloxrt_e2e_bench_" + std::to_string(getpid()));
  fs::create_directories(dir);
  struct Cleanup {
    fs::path p;
    ~Cleanup() { fs::remove_all(p); }
  } cleanup{dir};
  export_checkpoint(pth, dir / "plain.onnx", {}, nullptr);
  auto export_e2e = [&](const char* name, float conf, bool per_class) {
    ExportOptions o;
    o.nms = NmsSettings{conf, 0.45f, 100, per_class};
    export_checkpoint(pth, dir / name, o, nullptr);
    return dir / name;
  };
  const fs::path e2e = export_e2e("e2e.onnx", 0.25f, false);
  const fs::path e2e_low = export_e2e("e2e_low.onnx", 0.01f, false);
  const fs::path e2e_pc = export_e2e("e2e_pc.onnx", 0.01f, true);

  std::vector<ImageBuffer> buffers;
  buffers.push_back(load_image(fx / "megvii-nano" / "dog.jpg"));
  for (const auto& e : fs::directory_iterator(fx / "images"))
    if (is_image_extension(e.path())) buffers.push_back(load_image(e.path()));
  std::vector<Image> all;
  for (const auto& b : buffers) all.push_back(b.view());
  const std::vector<Image> dog{all[0]};

  profile_tail(e2e, fx / "megvii-nano" / "input_dog_416.f32", iterations);
  std::printf("YOLOX-Nano 416x416, 1 intra-op thread, medians of %d interleaved iterations\n",
              iterations);
  compare(dir / "plain.onnx", e2e, 0.25f, false, dog, iterations, "dog.jpg, conf 0.25, batch 1");
  compare(dir / "plain.onnx", e2e, 0.25f, false, all, iterations / 2,
          "4 photos, conf 0.25, batch 4 (per img)");
  compare(dir / "plain.onnx", e2e_low, 0.01f, false, dog, iterations,
          "dog.jpg, conf 0.01, batch 1");
  compare(dir / "plain.onnx", e2e_pc, 0.01f, true, dog, iterations,
          "dog.jpg, conf 0.01 per-class, batch 1");
  return 0;
}
