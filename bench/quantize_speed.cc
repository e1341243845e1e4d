// ONNX Runtime median Run time of several models on the same input, interleaved round by round so
// that load on a shared machine hits them alike. For FP32 vs INT8 (scripts/bench_quantize.sh).
//   quantize_speed [--threads 1] [--runs 30] [--size 640] [--config KEY=VALUE]...
//                  [--save-optimized DIR] [--profile PREFIX] [--op-table] MODEL.onnx...
//   --config KEY=VALUE  an ONNX Runtime session config entry for every model (repeatable), e.g.
//                       session.disable_quant_qdq=1
//   --save-optimized D  write the graphs ORT runs (after its optimisations) as D/<k>.onnx
//   --profile PREFIX    ORT's per-node JSON profile per model, PREFIX<k>_<date>.json
//   --op-table          profile, then print one table: per op type (as ORT ran it, e.g.
//                       QLinearConv, QuickGelu), node count and ms per Run for each model. Each
//                       node's time is its median over the runs (robust to preempted runs on a
//                       loaded machine); a model's total is the sum of its nodes' medians.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <onnxruntime_cxx_api.h>
#include <nlohmann/json.hpp>

#include "inference/ort_session.h"

namespace {

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct OpTime {
  int nodes = 0;
  double ms = 0.0;
};

// Per op type: the sum over its nodes of each node's median kernel time across the profiled runs.
std::map<std::string, OpTime> op_table(const std::string& profile_file) {
  std::ifstream in(profile_file);
  const auto events = nlohmann::json::parse(in);
  std::map<std::string, std::pair<std::string, std::vector<double>>> per_node;  // name -> op, us
  const std::string suffix = "_kernel_time";
  for (const auto& e : events) {
    if (e.value("cat", "") != "Node") continue;
    const std::string name = e.value("name", "");
    if (name.size() <= suffix.size() || !name.ends_with(suffix)) continue;
    auto& node = per_node[name];
    node.first = e["args"].value("op_name", "?");
    node.second.push_back(e.value("dur", 0.0));
  }
  std::map<std::string, OpTime> table;
  for (const auto& [name, node] : per_node) {
    auto& t = table[node.first];
    ++t.nodes;
    t.ms += median(node.second) / 1000.0;
  }
  return table;
}

void print_op_tables(const std::vector<std::string>& models,
                     const std::vector<std::map<std::string, OpTime>>& tables) {
  std::map<std::string, double> order;  // op -> largest ms over models
  for (const auto& t : tables)
    for (const auto& [op, v] : t) order[op] = std::max(order[op], v.ms);
  std::vector<std::pair<double, std::string>> ops;
  for (const auto& [op, ms] : order) ops.emplace_back(-ms, op);
  std::sort(ops.begin(), ops.end());
  std::printf("per-op-type profile (sum of per-node medians, ms per Run; nodes in parentheses)\n");
  std::printf("%-26s", "op");
  for (size_t k = 0; k < models.size(); ++k)
    std::printf("  %16s",
                std::filesystem::path(models[k]).filename().string().substr(0, 16).c_str());
  std::printf("\n");
  std::vector<double> total(models.size(), 0.0);
  for (const auto& [neg, op] : ops) {
    std::printf("%-26s", op.c_str());
    for (size_t k = 0; k < tables.size(); ++k) {
      auto it = tables[k].find(op);
      if (it == tables[k].end()) {
        std::printf("  %16s", "-");
        continue;
      }
      total[k] += it->second.ms;
      std::printf("  %9.3f (%4d)", it->second.ms, it->second.nodes);
    }
    std::printf("\n");
  }
  std::printf("%-26s", "total");
  for (double t : total) std::printf("  %9.3f       ", t);
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1, runs = 30, size = 640;
  std::vector<std::string> models;
  std::vector<std::pair<std::string, std::string>> config;
  std::string save_dir;
  std::string profile_prefix;
  bool want_table = false;
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
    else if (a == "--op-table")
      want_table = true;
    else if (a == "--config" && i + 1 < argc) {
      const std::string kv = argv[++i];
      const auto eq = kv.find('=');
      if (eq == std::string::npos) {
        std::fprintf(stderr, "quantize_speed: --config wants KEY=VALUE, got '%s'\n", kv.c_str());
        return 2;
      }
      config.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    } else
      models.push_back(a);
  }
  if (models.empty()) {
    std::fprintf(stderr,
                 "usage: quantize_speed [--threads N] [--runs N] [--size S] [--config K=V]... "
                 "[--save-optimized DIR] [--profile PREFIX] [--op-table] MODEL...\n");
    return 2;
  }
  std::filesystem::path table_dir;
  if (want_table && profile_prefix.empty()) {
    table_dir = std::filesystem::temp_directory_path() /
                ("quantize_speed_profile_" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(table_dir);
    profile_prefix = (table_dir / "model").string();
  }
  int rc = 0;
  try {
    std::vector<std::unique_ptr<Ort::Session>> sessions;
    std::vector<std::string> in_names, out_names;
    for (const auto& m : models) {
      Ort::SessionOptions so = yoloxrt::detail::make_session_options(threads, {}, m);
      for (const auto& [k, v] : config) so.AddConfigEntry(k.c_str(), v.c_str());
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
    std::vector<std::string> profiles;
    for (auto& s : sessions) {
      if (profile_prefix.empty()) break;
      Ort::AllocatorWithDefaultOptions alloc;
      profiles.emplace_back(s->EndProfilingAllocated(alloc).get());
      if (table_dir.empty()) std::printf("profile: %s\n", profiles.back().c_str());
    }
    for (size_t k = 0; k < models.size(); ++k) {
      auto v = ms[k];
      std::sort(v.begin(), v.end());
      std::printf("%s\tmedian %.2f ms\tmin %.2f ms\t(%d runs, %d thread%s, %dx%d%s)\n",
                  models[k].c_str(), v[v.size() / 2], v.front(), runs, threads,
                  threads == 1 ? "" : "s", size, size, profile_prefix.empty() ? "" : ", profiled");
    }
    if (want_table) {
      std::vector<std::map<std::string, OpTime>> tables;
      for (const auto& p : profiles) tables.push_back(op_table(p));
      print_op_tables(models, tables);
    }
  } catch (const Ort::Exception& e) {
    std::fprintf(stderr, "quantize_speed: %s\n", e.what());
    rc = 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "quantize_speed: %s\n", e.what());
    rc = 1;
  }
  if (!table_dir.empty()) std::filesystem::remove_all(table_dir);
  return rc;
}
