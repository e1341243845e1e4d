// ONNX Runtime median Run time of several models on the same input, interleaved round by round so
// that load on a shared machine hits them alike. For FP32 vs INT8 (scripts/bench_quantize.sh).
//   quantize_speed [--threads 1] [--runs 30] [--size 640] MODEL.onnx...
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <onnxruntime_cxx_api.h>

#include "inference/ort_session.h"

int main(int argc, char** argv) {
  int threads = 1, runs = 30, size = 640;
  std::vector<std::string> models;
  std::string save_dir;
  std::string profile_prefix;  // --profile PREFIX: ORT's per-node JSON profile per model  //
                               // --save-optimized DIR: the graphs ORT runs, as <DIR>/<k>.onnx
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc)
      threads = std::atoi(argv[++i]);
    else if (a == "--runs" && i + 1 < argc)
      runs = std::atoi(argv[++i]);
    else if (a == "--size" && i + 1 < argc)
      size = std::atoi(argv[++i]);
    else if (a == "--save-optimized" && i + 1 < argc)
      save_dir = argv[++i];
    else if (a == "--profile" && i + 1 < argc)
      profile_prefix = argv[++i];
    else
      models.push_back(a);
  }
  if (models.empty()) {
    std::fprintf(stderr, "usage: quantize_speed [--threads N] [--runs N] [--size S] MODEL...\n");
    return 2;
  }
  try {
    std::vector<std::unique_ptr<Ort::Session>> sessions;
    std::vector<std::string> in_names, out_names;
    for (const auto& m : models) {
      Ort::SessionOptions so;
      so.SetIntraOpNumThreads(threads);
      so.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_ALL);
      const std::string opt = save_dir + "/" + std::to_string(sessions.size()) + ".onnx";
      if (!save_dir.empty()) so.SetOptimizedModelFilePath(opt.c_str());
      const std::string prof = profile_prefix + std::to_string(sessions.size());
      if (!profile_prefix.empty()) so.EnableProfiling(prof.c_str());
      sessions.push_back(std::make_unique<Ort::Session>(yoloxrt::detail::ort_env(), m.c_str(), so));
      Ort::AllocatorWithDefaultOptions alloc;
      in_names.emplace_back(sessions.back()->GetInputNameAllocated(0, alloc).get());
      out_names.emplace_back(sessions.back()->GetOutputNameAllocated(0, alloc).get());
    }
    // A deterministic "image": uniform 0..255 (models with range 1 see saturated values; the
    // run time does not depend on the values).
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> u(0.f, 255.f);
    std::vector<float> input(3 * static_cast<size_t>(size) * size);
    for (auto& v : input) v = u(rng);
    const int64_t shape[] = {1, 3, size, size};
    auto mem = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
    Ort::Value in = Ort::Value::CreateTensor<float>(mem, input.data(), input.size(), shape, 4);
    std::vector<std::vector<double>> ms(models.size());
    auto run = [&](size_t k) {
      const char* i[] = {in_names[k].c_str()};
      const char* o[] = {out_names[k].c_str()};
      const auto t0 = std::chrono::steady_clock::now();
      auto out = sessions[k]->Run(Ort::RunOptions{nullptr}, i, &in, 1, o, 1);
      return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
          .count();
    };
    for (size_t k = 0; k < models.size(); ++k)
      for (int w = 0; w < 3; ++w) run(k);  // warm-up
    for (int r = 0; r < runs; ++r)
      for (size_t k = 0; k < models.size(); ++k) ms[k].push_back(run(k));
    if (!profile_prefix.empty())
      for (auto& s : sessions) {
        Ort::AllocatorWithDefaultOptions alloc;
        std::printf("profile: %s\n", s->EndProfilingAllocated(alloc).get());
      }
    for (size_t k = 0; k < models.size(); ++k) {
      auto v = ms[k];
      std::sort(v.begin(), v.end());
      std::printf("%s\tmedian %.2f ms\tmin %.2f ms\t(%d runs, %d thread%s, %dx%d)\n",
                  models[k].c_str(), v[v.size() / 2], v.front(), runs, threads,
                  threads == 1 ? "" : "s", size, size);
    }
  } catch (const Ort::Exception& e) {
    std::fprintf(stderr, "quantize_speed: %s\n", e.what());
    return 1;
  }
  return 0;
}
