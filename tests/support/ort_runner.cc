// The test helpers that run ONNX models (test_support.h: run_onnx, expect_cjm_default_parity),
// in their own library so that only the tests that run models link the inference layer.
#include <cmath>
#include <cstdio>

#include <onnxruntime_cxx_api.h>

#include "inference/ort_session.h"
#include "support/test_support.h"

namespace yoloxrt::testing {
namespace fs = std::filesystem;

std::vector<float> run_onnx(const fs::path& model, const std::vector<int64_t>& in_shape,
                            const std::vector<float>& input, std::vector<int64_t>* out_shape) {
  Ort::SessionOptions so;
  so.SetIntraOpNumThreads(1);
  so.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_ALL);
  Ort::Session session(detail::ort_env(), model.c_str(), so);
  Ort::AllocatorWithDefaultOptions alloc;
  auto in_name = session.GetInputNameAllocated(0, alloc);
  auto out_name = session.GetOutputNameAllocated(0, alloc);
  auto mem = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
  Ort::Value in = Ort::Value::CreateTensor<float>(mem, const_cast<float*>(input.data()),
                                                  input.size(), in_shape.data(), in_shape.size());
  const char* in_names[] = {in_name.get()};
  const char* out_names[] = {out_name.get()};
  auto outs = session.Run(Ort::RunOptions{nullptr}, in_names, &in, 1, out_names, 1);
  auto info = outs[0].GetTensorTypeAndShapeInfo();
  if (out_shape) *out_shape = info.GetShape();
  const float* p = outs[0].GetTensorData<float>();
  return std::vector<float>(p, p + info.GetElementCount());
}

void expect_cjm_default_parity(const fs::path& model, const fs::path& expected_dir,
                               const std::string& name, const std::vector<int64_t>& input_shape) {
  SCOPED_TRACE(name);
  const std::string base = (expected_dir / ("default_" + name)).string();
  const auto input = read_f32(base + "_input.f32");
  const auto ref = read_f32(base + "_output.f32");
  const auto margin = read_f32(base + "_label_margin.f32");
  std::vector<int64_t> shape;
  const auto out = run_onnx(model, input_shape, input, &shape);
  ASSERT_EQ(shape.size(), 3u);
  ASSERT_EQ(shape[2], 6);
  ASSERT_EQ(out.size(), ref.size());
  const size_t n = ref.size() / 6;
  ASSERT_EQ(margin.size(), n);
  double worst_box = 0, worst_prob = 0;
  int label_bad = 0;
  for (size_t a = 0; a < n; ++a) {
    const float* o = &out[a * 6];
    const float* e = &ref[a * 6];
    const double tol = 0.02 + 2e-4 * std::max(std::fabs(e[2]), std::fabs(e[3]));
    for (int k = 0; k < 4; ++k) {
      const double d = std::fabs(o[k] - e[k]);
      worst_box = std::max(worst_box, d / tol);
      EXPECT_LE(d, tol) << "anchor " << a << " col " << k;
    }
    worst_prob = std::max(worst_prob, static_cast<double>(std::fabs(o[5] - e[5])));
    if (margin[a] >= 1e-5f && o[4] != e[4]) ++label_bad;
  }
  EXPECT_LE(worst_prob, 5e-5);
  EXPECT_EQ(label_bad, 0);
  std::printf("[parity] %s: worst box error %.3f of tolerance, max |dprob| %.2e\n", name.c_str(),
              worst_box, worst_prob);
}

}  // namespace yoloxrt::testing
