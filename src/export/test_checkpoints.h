// Test helper: random-weight checkpoints of any architecture, made without PyTorch.
#pragma once

#include <filesystem>
#include <random>
#include <string>

#include "export/architecture.h"
#include "export/graph_builder.h"
#include "yoloxrt/checkpoint.h"
#include "yoloxrt/file_io.h"

namespace yoloxrt::testing {

// A canonical (cjm-named) state dict with every parameter `arch` needs: conv weights ~ N(0,
// 1/fan_in), BN weight U(0.5, 1.5), bias N(0, 0.1), running mean N(0, 0.1), running var
// U(0.5, 1.5).
inline StateDict random_state_dict(const exporter::Architecture& arch, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> n01(0.f, 1.f);
  std::uniform_real_distribution<float> u(0.5f, 1.5f);
  StateDict sd;
  for (const auto& [name, shape] : exporter::parameter_shapes(arch)) {
    Tensor t{shape, {}};
    t.data.resize(static_cast<size_t>(t.numel()));
    const auto ends = [&](const char* s) { return name.ends_with(s); };
    if (shape.size() == 4) {
      const float scale = 1.f / std::sqrt(static_cast<float>(shape[1] * shape[2] * shape[3]));
      for (auto& v : t.data) v = n01(rng) * scale;
    } else if (ends("running_var") || ends("bn.weight")) {
      for (auto& v : t.data) v = u(rng);
    } else {
      for (auto& v : t.data) v = 0.1f * n01(rng);
    }
    sd.set(name, std::move(t));
  }
  return sd;
}

// Writes `canonical` in `family`'s layout as <dir>/<stem>.pth and returns the path.
inline std::filesystem::path write_random_checkpoint(const std::filesystem::path& dir,
                                                     const std::string& stem,
                                                     const exporter::Architecture& arch,
                                                     Family family, uint32_t seed) {
  StateDict sd = exporter::state_dict_for_family(random_state_dict(arch, seed), family);
  const auto path = dir / (stem + ".pth");
  write_file_atomic(path,
                    write_torch_checkpoint(sd, stem, family == Family::kMegvii ? "model" : ""));
  return path;
}

}  // namespace yoloxrt::testing
