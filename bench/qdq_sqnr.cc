// Per-tensor SQNR of a QDQ model against its float original (a quantization debugging aid).
//   qdq_sqnr FLOAT.onnx INT8.onnx IMAGES_DIR [COUNT]
// For every tensor the QDQ rewrite quantized, prints in graph order the SQNR (dB) of
//  - "in-graph": the QDQ model's tensor (computed from dequantized inputs) vs the float model's,
//  - "own": the QDQ model's dequantized tensor ("<t>/dq") vs the float model's,
// so a jump in "own" below "in-graph" is the error that tensor's own Q/DQ pair adds. INT8.onnx must
// use the default placement (no --exclude, --float-leading, --auto-float, --quantize-stem).
// SQNR of a SiLU input ("*.conv") counts its values below -6 as error, which SiLU flattens anyway.
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "yoloxrt/detector.h"
#include "yoloxrt/file_io.h"
#include "yoloxrt/qdq.h"
#include "yoloxrt/quantize.h"
#include "yoloxrt/tensor_probe.h"

namespace {
using Store = std::map<std::string, std::vector<std::vector<float>>>;

Store probe(const std::filesystem::path& model, const std::vector<std::string>& tensors,
            const std::vector<std::filesystem::path>& images) {
  const auto planner = yoloxrt::Detector::open(model, {});
  const auto raw = yoloxrt::read_file_bytes(model);
  const std::string probe_bytes = yoloxrt::add_graph_outputs(
      std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()), tensors);
  Store s;
  yoloxrt::probe_tensors(*planner, probe_bytes, tensors, images, {},
                         [&](const std::string& n, std::span<const float> v) {
                           s[n].emplace_back(v.begin(), v.end());
                         });
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: qdq_sqnr FLOAT.onnx INT8.onnx IMAGES_DIR [COUNT]\n");
    return 2;
  }
  const size_t count = argc > 4 ? std::stoul(argv[4]) : 8;
  const auto images = yoloxrt::calibration_images(argv[3], count);
  const auto raw = yoloxrt::read_file_bytes(argv[1]);
  const yoloxrt::QdqOptions qopt;  // INT8.onnx must come from `yoloxrt quantize` with defaults
  const auto plan = yoloxrt::plan_qdq(
      std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()), qopt);
  std::vector<std::string> tensors = plan.calibration_tensors, qtensors;
  for (const auto& t : tensors) {
    qtensors.push_back(t);
    qtensors.push_back(t + "/dq");
  }
  std::vector<std::string> ft;
  for (const auto& t : tensors)
    if (std::find(plan.graph_inputs.begin(), plan.graph_inputs.end(), t) == plan.graph_inputs.end())
      ft.push_back(t);
  std::vector<std::string> qt;
  for (const auto& t : qtensors)
    if (std::find(plan.graph_inputs.begin(), plan.graph_inputs.end(), t) == plan.graph_inputs.end())
      qt.push_back(t);
  const Store f = probe(argv[1], ft, images);
  const Store q = probe(argv[2], qt, images);
  std::printf("%-70s %9s %9s %10s %10s\n", "tensor", "in-graph", "own", "min", "max");
  for (const auto& t : ft) {
    float lo = 1e30f, hi = -1e30f;
    for (const auto& v : f.at(t))
      for (float x : v) lo = std::min(lo, x), hi = std::max(hi, x);
    std::printf("%-70s %9.2f %9.2f %10.3f %10.3f\n", t.c_str(), yoloxrt::sqnr_db(f.at(t), q.at(t)),
                yoloxrt::sqnr_db(f.at(t), q.at(t + "/dq")), lo, hi);
  }
}
