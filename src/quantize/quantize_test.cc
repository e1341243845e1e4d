// Tests of the quantize layer: histogram/range math on known distributions, the QDQ structure of a
// tiny random-weight YOLOX, what ONNX Runtime fuses it into, metadata, refusals, detect on it.
#include "yoloxrt/quantize.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <random>
#include <set>
#include <tuple>

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <onnxruntime_cxx_api.h>
#include <nlohmann/json.hpp>

#include "export/test_checkpoints.h"
#include "inference/ort_session.h"
#include "support/test_support.h"
#include "yoloxrt/detector.h"
#include "yoloxrt/error.h"
#include "yoloxrt/export.h"
#include "yoloxrt/file_io.h"
#include "yoloxrt/image.h"

namespace yoloxrt {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

// --- histogram and ranges ------------------------------------------------------------------------

std::vector<float> normal_samples(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.f, 1.f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

TEST(TensorHistogram, MinMaxIsExact) {
  TensorHistogram h;
  const std::vector<float> v{0.5f, -1.25f, 3.0f, 0.f, 2.75f};
  h.add(v);
  EXPECT_EQ(h.count(), 5u);
  const TensorRange r = h.range(CalibrationMethod::kMinMax);
  EXPECT_EQ(r.min, -1.25f);
  EXPECT_EQ(r.max, 3.0f);
  const std::vector<float> bad{std::nanf(""), INFINITY};
  h.add(bad);
  EXPECT_EQ(h.count(), 5u);
  EXPECT_EQ(h.nonfinite(), 2u);
}

TEST(TensorHistogram, GrowthMergesBinsExactly) {
  // The same values added small-first (forcing several doublings) or all at once give the same
  // histogram; and merge() of two halves equals adding everything.
  std::vector<float> v = normal_samples(20000, 1);
  for (size_t i = 0; i < 50; ++i) v.push_back(40.f + static_cast<float>(i));
  std::vector<float> sorted = v;
  std::sort(sorted.begin(), sorted.end(),
            [](float a, float b) { return std::fabs(a) < std::fabs(b); });
  TensorHistogram once, growing, left, right;
  once.add(v);
  for (size_t i = 0; i < sorted.size(); i += 997)
    growing.add(
        std::span<const float>(sorted).subspan(i, std::min<size_t>(997, sorted.size() - i)));
  left.add(std::span<const float>(v).first(v.size() / 2));
  right.add(std::span<const float>(v).subspan(v.size() / 2));
  left.merge(right);
  EXPECT_EQ(once.bin_width(), growing.bin_width());
  EXPECT_EQ(once.bins(), growing.bins());
  EXPECT_EQ(once.bins(), left.bins());
  EXPECT_EQ(left.min(), once.min());
  EXPECT_EQ(left.max(), once.max());
}

TEST(TensorHistogram, PercentileOfUniformAndNormal) {
  std::vector<float> u(1000000);
  for (size_t i = 0; i < u.size(); ++i) u[i] = static_cast<float>(i) / u.size();  // [0, 1)
  TensorHistogram hu;
  hu.add(u);
  const TensorRange r = hu.range(CalibrationMethod::kPercentile, 99.0);  // 0.5 % per tail
  EXPECT_NEAR(r.min, 0.005, 2 * hu.bin_width());
  EXPECT_NEAR(r.max, 0.995, 2 * hu.bin_width());
  EXPECT_EQ(hu.range(CalibrationMethod::kPercentile, 100.0).max, hu.max());

  TensorHistogram hn;
  hn.add(normal_samples(2000000, 2));
  const TensorRange n = hn.range(CalibrationMethod::kPercentile, 99.99);
  // Two-sided 99.99 % of N(0, 1): +-3.891.
  EXPECT_NEAR(n.max, 3.891, 0.12);
  EXPECT_NEAR(n.min, -3.891, 0.12);
  EXPECT_THROW(hn.range(CalibrationMethod::kPercentile, 0.0), Error);
}

TEST(TensorHistogram, EntropyClipsOutliersKeepsTheBulk) {
  std::vector<float> v = normal_samples(1000000, 3);
  for (int i = 0; i < 20; ++i) v.push_back(60.f);  // rare outliers far out
  TensorHistogram h;
  h.add(v);
  const TensorRange e = h.range(CalibrationMethod::kEntropy);
  EXPECT_EQ(h.range(CalibrationMethod::kMinMax).max, 60.f);
  EXPECT_GT(e.max, 2.5f);          // keeps the bulk of N(0, 1)
  EXPECT_LT(e.max, 15.f);          // drops the outliers
  EXPECT_FLOAT_EQ(e.min, -e.max);  // symmetric: the bulk's minimum lies beyond -threshold
  // A dense distribution without outliers (uniform on [-3, 3]) is hardly clipped.
  std::vector<float> u(200000);
  for (size_t i = 0; i < u.size(); ++i) u[i] = -3.f + 6.f * static_cast<float>(i) / u.size();
  TensorHistogram hu;
  hu.add(u);
  EXPECT_GT(hu.range(CalibrationMethod::kEntropy).max, 2.7f);
}

TEST(TensorHistogram, QuantizationNoiseOfUniformValues) {
  // Uniform on [0, 1): over the whole range the noise is the rounding noise step^2 / 12, so the
  // SQNR is (1/3) / ((1/255)^2 / 12) = 4 * 255^2 (54.15 dB).
  std::vector<float> u(1 << 20);
  for (size_t i = 0; i < u.size(); ++i) u[i] = static_cast<float>(i) / static_cast<float>(u.size());
  TensorHistogram h;
  h.add(u);
  EXPECT_NEAR(h.mean_square(), 1.0 / 3.0, 1e-4);
  const double step = 1.0 / 255.0;
  EXPECT_NEAR(h.quantization_noise({0.f, 1.f}) / (step * step / 12), 1.0, 0.01);
  EXPECT_NEAR(h.quantization_sqnr_db({0.f, 1.f}), 10 * std::log10(4.0 * 255 * 255), 0.05);
  // Clipped at 0.5: the upper half adds its squared distance to 0.5 (1/24 on average per value).
  const double clip = 0.5 * (0.5 * 0.5 / 3.0);
  const double round = 0.5 * (0.5 / 255.0) * (0.5 / 255.0) / 12;
  EXPECT_NEAR(h.quantization_noise({0.f, 0.5f}), clip + round, 1e-3 * clip);
  // Values below a floor count as exact: only [0.75, 1) is left, clipped to 0.5 (7/192 per value).
  EXPECT_NEAR(h.quantization_noise({0.f, 0.5f}, 0.75f), 7.0 / 192.0, 1e-4);
  EXPECT_EQ(h.quantization_noise({0.f, 1.f}, 2.f), 0.0);
  EXPECT_TRUE(std::isinf(h.quantization_sqnr_db({0.f, 1.f}, 2.f)));
}

// --- the float_below_db rule on synthetic tensors ---------------------------------------------

// A 4-channel input x whose channel 0 is 30x wider than the others (what a folded BatchNorm often
// leaves before a depthwise conv), read by a depthwise conv (each output channel sees one input
// channel) and a pointwise conv (every output channel mixes all inputs, channel 0 included).
struct SyntheticConvs {
  std::vector<ConvNode> convs;
  CalibrationResult calib;
  // The measured SQNR of each conv's output (dB) when its input and output are fake-quantized
  // at the calibrated ranges, per channel averaged as estimate_conv_sqnr does.
  std::map<std::string, double> measured_db;
};

SyntheticConvs synthetic_convs() {
  constexpr int kC = 4, kPlane = 4096, kImages = 4;
  const std::vector<float> dw_w = {1.f, 2.f, 0.5f, 1.f};
  const std::vector<std::vector<float>> pw_w = {{1.f, 0.5f, -1.f, 0.25f},
                                                {1.f, -2.f, 1.f, 1.f},
                                                {-1.f, 1.f, 0.5f, -0.5f},
                                                {0.5f, 1.f, 1.f, 2.f}};
  SyntheticConvs s;
  ConvNode dw{"dw", "x", "y_dw", "", kC, kC, {}, kC, true, true};
  ConvNode pw{"pw", "x", "y_pw", "", kC, kC, {}, 1, false, true};
  for (int o = 0; o < kC; ++o) {
    dw.weight_sq_norms.push_back(dw_w[o] * dw_w[o]);
    double n = 0;
    for (float w : pw_w[o]) n += w * w;
    pw.weight_sq_norms.push_back(n);
  }
  s.convs = {dw, pw};
  // Generate the float tensors (one image = one NCHW plane per channel).
  std::mt19937 rng(11);
  std::normal_distribution<float> nd(0.f, 1.f);
  std::vector<std::vector<float>> x(kImages), ydw(kImages), ypw(kImages);
  for (int i = 0; i < kImages; ++i) {
    x[i].resize(kC * kPlane);
    ydw[i].resize(kC * kPlane);
    ypw[i].assign(kC * kPlane, 0.f);
    for (int c = 0; c < kC; ++c)
      for (int j = 0; j < kPlane; ++j) x[i][c * kPlane + j] = nd(rng) * (c == 0 ? 30.f : 1.f);
    for (int o = 0; o < kC; ++o)
      for (int j = 0; j < kPlane; ++j) {
        ydw[i][o * kPlane + j] = dw_w[o] * x[i][o * kPlane + j];
        for (int c = 0; c < kC; ++c) ypw[i][o * kPlane + j] += pw_w[o][c] * x[i][c * kPlane + j];
      }
  }
  const std::map<std::string, std::vector<std::vector<float>>*> tensors = {
      {"x", &x}, {"y_dw", &ydw}, {"y_pw", &ypw}};
  for (const auto& [name, data] : tensors) {
    TensorHistogram& h = s.calib.stats[name];
    std::vector<double> power(kC, 0.0);
    for (const auto& img : *data) {
      h.add(img);
      for (int c = 0; c < kC; ++c)
        for (int j = 0; j < kPlane; ++j)
          power[c] += double(img[c * kPlane + j]) * img[c * kPlane + j];
    }
    for (double& p : power) p /= kImages * kPlane;
    s.calib.channel_power[name] = power;
    s.calib.ranges[name] = h.range(CalibrationMethod::kPercentile, 99.99);
  }
  // Fake-quantize (uint8, the rewrite's parameters) and measure.
  auto fq = [&](float v, const std::string& t) {
    const QuantParams p = activation_quant_params(s.calib.ranges.at(t), ActivationType::kUint8);
    const float q = std::clamp(std::nearbyint(v / p.scale) + p.zero_point, 0.f, 255.f);
    return (q - p.zero_point) * p.scale;
  };
  for (const ConvNode* c : {&dw, &pw}) {
    double ratio = 0;
    for (int o = 0; o < kC; ++o) {
      double sig = 0, noise = 0;
      for (int i = 0; i < kImages; ++i)
        for (int j = 0; j < kPlane; ++j) {
          float y = 0, yq = 0;
          for (int k = 0; k < kC; ++k) {
            const float w = c->depthwise ? (k == o ? dw_w[o] : 0.f) : pw_w[o][k];
            y += w * x[i][k * kPlane + j];
            yq += w * fq(x[i][k * kPlane + j], "x");
          }
          yq = fq(yq, c->output);
          sig += double(y) * y;
          noise += double(yq - y) * (yq - y);
        }
      ratio += noise / sig;
    }
    s.measured_db[c->name] = -10 * std::log10(ratio / kC);
  }
  return s;
}

TEST(FloatBelowDb, EstimateMatchesFakeQuantizationAndFlagsTheDepthwiseConv) {
  const SyntheticConvs s = synthetic_convs();
  const auto est = estimate_conv_sqnr(s.convs, {"dw", "pw"}, s.calib, false);
  ASSERT_EQ(est.size(), 2u);
  EXPECT_EQ(est[0].conv, "dw");
  EXPECT_EQ(est[1].conv, "pw");
  for (const auto& e : est) EXPECT_NEAR(e.sqnr_db, s.measured_db.at(e.conv), 1.0) << e.conv;
  // The depthwise conv's narrow channels drown in the step channel 0 sets: below the default
  // threshold; the pointwise conv mixes channel 0 into every output: well above it.
  const double threshold = QuantizeOptions{}.float_below_db;
  EXPECT_LT(est[0].sqnr_db, threshold);
  EXPECT_GT(est[1].sqnr_db, threshold + 5);
  // Only the convs asked for are estimated; without channel powers the whole tensor's is used,
  // which hides the narrow channels (the reason the rule works per channel).
  EXPECT_EQ(estimate_conv_sqnr(s.convs, {"pw"}, s.calib, false).size(), 1u);
  CalibrationResult flat = s.calib;
  flat.channel_power.clear();
  EXPECT_GT(estimate_conv_sqnr(s.convs, {"dw"}, flat, false).at(0).sqnr_db, threshold + 5);
}

TEST(QuantParams, Uint8AndInt8) {
  const QuantParams u = activation_quant_params({-1.f, 3.f}, ActivationType::kUint8);
  EXPECT_FLOAT_EQ(u.scale, 4.f / 255.f);
  EXPECT_EQ(u.zero_point, 64);  // round(1 / (4/255)) = round(63.75)
  const QuantParams s = activation_quant_params({-1.f, 3.f}, ActivationType::kInt8);
  EXPECT_EQ(s.zero_point, 64 - 128);
  const QuantParams pos = activation_quant_params({0.5f, 2.f}, ActivationType::kUint8);
  EXPECT_EQ(pos.zero_point, 0);  // widened to include 0
  EXPECT_FLOAT_EQ(pos.scale, 2.f / 255.f);
}

TEST(Sqnr, OfKnownNoise) {
  // Signal power 1+1+4 = 6, noise power 0+1+0.25 = 1.25 (the 4th element has no partner).
  EXPECT_NEAR(sqnr_db({{1.f, -1.f}, {2.f, 7.f}}, {{1.f, 0.f}, {1.5f}}), 10 * std::log10(6 / 1.25),
              1e-9);
  EXPECT_GT(sqnr_db({{3.f}}, {{3.f}}), 300.0);  // exact: noise floored, not infinite
}

// --- a tiny model
// ---------------------------------------------------------------------------------

struct TinyModel {
  TempDir dir;
  fs::path model, calib;
};

// A small random-weight YOLOX (depth 0.33, width 0.125, 3 classes, decoded output) at a fixed
// 64x64 input, and a folder of 4 synthetic calibration images plus one text file.
const TinyModel& tiny() {
  static TinyModel* t = [] {
    auto* m = new TinyModel;
    const auto arch = exporter::architecture_from_factors(0.33, 0.125, false, 3);
    const fs::path pth =
        testing::write_random_checkpoint(m->dir.path(), "tiny", arch, Family::kCjm, 7);
    ExportOptions o;
    o.depth = 0.33;
    o.width = 0.125;
    o.fixed_hw = {{64, 64}};
    m->model = m->dir / "tiny.onnx";
    export_checkpoint(pth, m->model, o, nullptr);
    m->calib = m->dir / "calib";
    fs::create_directories(m->calib);
    std::mt19937 rng(5);
    for (int i = 0; i < 4; ++i) {
      ImageBuffer img(80 + 8 * i, 64);
      Image v = img.view();
      for (int y = 0; y < v.height; ++y)
        for (int x = 0; x < v.width * 3; ++x)
          v.row(y)[x] = static_cast<uint8_t>((x * (i + 1) + y * 3 + rng() % 32) & 255);
      save_image(m->calib / ("img" + std::to_string(i) + ".png"), v);
    }
    std::ofstream(m->calib / "notes.txt") << "not an image";
    return m;
  }();
  return *t;
}

onnx::ModelProto read_model(const fs::path& p) {
  const auto bytes = read_file_bytes(p);
  onnx::ModelProto m;
  EXPECT_TRUE(m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())));
  return m;
}

std::map<std::string, std::string> props(const onnx::ModelProto& m) {
  std::map<std::string, std::string> p;
  for (const auto& kv : m.metadata_props()) p[kv.key()] = kv.value();
  return p;
}

struct Quantized {
  fs::path path;
  QuantizeReport report;
  std::vector<std::string> warnings;
};

const Quantized& quantized() {
  static Quantized* q = [] {
    auto* r = new Quantized;
    r->path = tiny().dir / "tiny.int8.onnx";
    QuantizeOptions o;
    o.threads = 1;
    o.warn = [r](const std::string& w) { r->warnings.push_back(w); };
    // The placement tests want every conv but the stem int8: the float_below_db rule is tested
    // on its own below (on this random-weight model it keeps one or two convs float).
    o.float_below_db = 0;
    r->report = quantize_model(tiny().model, tiny().calib, r->path, o);
    return r;
  }();
  return *q;
}

TEST(Quantize, WeightsInt8PerChannelDecodeFloat) {
  const Quantized& q = quantized();
  EXPECT_EQ(q.report.images_used, 4u);
  ASSERT_EQ(q.warnings.size(), 1u);  // notes.txt
  EXPECT_NE(q.warnings[0].find("notes.txt"), std::string::npos);
  const onnx::ModelProto m = read_model(q.path);
  const auto& g = m.graph();
  std::map<std::string, const onnx::TensorProto*> inits;
  for (const auto& t : g.initializer()) inits[t.name()] = &t;
  std::map<std::string, const onnx::NodeProto*> producer;
  for (const auto& n : g.node())
    for (const auto& o : n.output()) producer[o] = &n;

  int convs = 0, float_convs = 0;
  for (const auto& n : g.node()) {
    if (n.op_type() != "Conv") continue;
    if (inits.count(n.input(1))) {
      // The stem (first conv) stays float by default, weights and output.
      ++float_convs;
      EXPECT_NE(n.name().find("stem"), std::string::npos) << n.name();
      continue;
    }
    ++convs;
    // Weight: DequantizeLinear(int8 initializer, per-channel scale [O], zero point 0, axis 0).
    const onnx::NodeProto* wdq = producer.at(n.input(1));
    ASSERT_EQ(wdq->op_type(), "DequantizeLinear") << n.name();
    const onnx::TensorProto* w = inits.at(wdq->input(0));
    EXPECT_EQ(w->data_type(), onnx::TensorProto::INT8);
    const onnx::TensorProto* s = inits.at(wdq->input(1));
    ASSERT_EQ(s->dims_size(), 1);
    EXPECT_EQ(s->dims(0), w->dims(0));
    const std::string& zp = inits.at(wdq->input(2))->raw_data();
    EXPECT_EQ(zp, std::string(zp.size(), '\0'));
    ASSERT_EQ(wdq->attribute_size(), 1);
    EXPECT_EQ(wdq->attribute(0).i(), 0);
    // Bias: int32.
    const onnx::NodeProto* bdq = producer.at(n.input(2));
    EXPECT_EQ(inits.at(bdq->input(0))->data_type(), onnx::TensorProto::INT32);
    // Input comes through a DequantizeLinear of uint8.
    EXPECT_EQ(producer.at(n.input(0))->op_type(), "DequantizeLinear") << n.name();
  }
  EXPECT_EQ(static_cast<size_t>(convs), q.report.plan.conv_nodes.size());
  EXPECT_EQ(float_convs, 1);
  EXPECT_GT(convs, 20);

  // The decode (nodes named out.*) is float: no QuantizeLinear reads any of its tensors, and
  // its inputs from the predictors come from separate DequantizeLinears with separate scales.
  std::set<std::string> predictor_scales;
  for (const auto& n : g.node()) {
    if (n.op_type() == "QuantizeLinear") {
      const auto it = producer.find(n.input(0));
      if (it != producer.end()) {
        EXPECT_FALSE(it->second->name().starts_with("out."))
            << "decode tensor quantized: " << n.input(0);
        EXPECT_NE(it->second->op_type(), "Exp");
      }
    }
    if (n.op_type() == "Sigmoid" && n.name().starts_with("out.")) {
      const onnx::NodeProto* dq = producer.at(n.input(0));
      ASSERT_EQ(dq->op_type(), "DequantizeLinear");
      predictor_scales.insert(dq->input(1));
    }
    if (n.op_type() == "Exp" || n.op_type() == "ReduceMax") {
      EXPECT_NE(producer.at(n.input(0))->op_type(), "DequantizeLinear") << n.name();
    }
  }
  EXPECT_EQ(predictor_scales.size(), 6u);  // obj and cls at 3 levels, each its own scale
}

// Every Q/DQ pair carries the parameters of its own tensor's calibrated range: calibration is
// deterministic, so calibrating again gives the ranges quantize_model used.
TEST(Quantize, EachPairMatchesItsTensorsCalibratedRange) {
  const Quantized& q = quantized();
  QuantizeOptions o;
  o.threads = 1;
  const auto images = calibration_images(tiny().calib, o.calib_count);
  const CalibrationResult c = calibrate(tiny().model, q.report.plan.calibration_tensors, images, o);
  const onnx::ModelProto m = read_model(q.path);
  const auto& g = m.graph();
  std::map<std::string, const onnx::TensorProto*> inits;
  for (const auto& t : g.initializer()) inits[t.name()] = &t;
  std::map<std::string, const onnx::NodeProto*> producer, quantizer;
  std::set<std::string> sigmoid_inputs;
  std::map<std::string, std::string> concat_of;  // Concat input -> the Concat's output
  for (const auto& n : g.node()) {
    for (const auto& out : n.output()) producer[out] = &n;
    if (n.op_type() == "QuantizeLinear") quantizer[n.input(0)] = &n;
    if (n.op_type() == "Sigmoid") sigmoid_inputs.insert(n.input(0));
    if (n.op_type() == "Concat")  // inputs share the output's parameters (qdq.h)
      for (const auto& in : n.input()) concat_of[in.substr(0, in.size() - 3)] = n.output(0);
  }
  int checked = 0, sigmoids = 0, aliases = 0;
  for (const auto& [t, n] : quantizer) {
    const float scale = *reinterpret_cast<const float*>(inits.at(n->input(1))->raw_data().data());
    const int zp = static_cast<uint8_t>(inits.at(n->input(2))->raw_data().at(0));
    const auto r = c.ranges.find(t);
    if (r != c.ranges.end()) {
      TensorRange want = r->second;
      if (sigmoid_inputs.count(t + "/dq")) want.min = std::max(want.min, -6.f);  // SiLU floor
      const QuantParams p = activation_quant_params(want, ActivationType::kUint8);
      const bool concat_output = producer.at(t)->op_type() == "Concat";
      if (concat_of.count(t)) {
        const onnx::NodeProto* out = quantizer.at(concat_of.at(t));
        EXPECT_EQ(inits.at(out->input(1))->raw_data(), inits.at(n->input(1))->raw_data()) << t;
        EXPECT_EQ(inits.at(out->input(2))->raw_data(), inits.at(n->input(2))->raw_data()) << t;
      } else if (!concat_output) {  // a Concat output may cover other Concats' ranges too
        EXPECT_FLOAT_EQ(scale, p.scale) << t;
        EXPECT_EQ(zp, p.zero_point) << t;
      }
      // The range the pair represents covers the calibrated one to within a step (a Concat
      // input's is the Concat's range instead).
      if (!concat_of.count(t)) {
        EXPECT_LE(-zp * scale, std::min(want.min, 0.f) + scale) << t;
        EXPECT_GE((255 - zp) * scale, std::max(want.max, 0.f) - scale) << t;
      }
      ++checked;
      continue;
    }
    const onnx::NodeProto* prod = producer.at(t);
    if (prod->op_type() == "Sigmoid") {
      EXPECT_FLOAT_EQ(scale, 1.f / 255.f) << t;
      EXPECT_EQ(zp, 0) << t;
      ++sigmoids;
    } else {
      ASSERT_TRUE(prod->op_type() == "MaxPool" || prod->op_type() == "Resize") << t;
      // Same initializers as the input's pair (the input is "<x>/dq").
      const std::string in = prod->input(0).substr(0, prod->input(0).size() - 3);
      EXPECT_EQ(n->input(1), quantizer.at(in)->input(1)) << t;
      ++aliases;
    }
  }
  EXPECT_EQ(static_cast<size_t>(checked), c.ranges.size());
  EXPECT_GT(sigmoids, 10);
  EXPECT_GT(aliases, 0);
}

TEST(Quantize, MetadataKeptAndRecorded) {
  const auto before = props(read_model(tiny().model));
  const auto after = props(read_model(quantized().path));
  for (const auto& [k, v] : before) EXPECT_EQ(after.at(k), v) << k;
  ASSERT_TRUE(after.count("yoloxrt.quantization"));
  const std::string& q = after.at("yoloxrt.quantization");
  EXPECT_NE(q.find("\"method\":\"percentile\""), std::string::npos) << q;
  EXPECT_NE(q.find("\"calibration_images\":4"), std::string::npos) << q;
  EXPECT_NE(q.find("\"excluded\":[]"), std::string::npos) << q;
}

TEST(Quantize, OnnxRuntimeFusesEveryConvAndSilu) {
  // Let ORT optimise the model and save what it runs: every Conv must have become a QLinearConv
  // and the SiLUs QLinearSigmoid + QLinearMul, so tensors stay int8 between convolutions.
  TempDir tmp;
  const fs::path opt = tmp / "opt.onnx";
  {
    Ort::SessionOptions so;
    so.SetIntraOpNumThreads(1);
    so.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_EXTENDED);
    so.SetOptimizedModelFilePath(opt.c_str());
    Ort::Session s(detail::ort_env(), quantized().path.c_str(), so);
  }
  const onnx::ModelProto m = read_model(opt);
  std::map<std::string, int> ops;
  for (const auto& n : m.graph().node()) ++ops[n.op_type()];
  EXPECT_EQ(ops["Conv"] + ops["FusedConv"], 1);  // the stem, float by default
  EXPECT_EQ(static_cast<size_t>(ops["QLinearConv"]), quantized().report.plan.conv_nodes.size());
  EXPECT_GT(ops["QLinearSigmoid"], 20);
  EXPECT_GT(ops["QLinearMul"], 20);
  EXPECT_GT(ops["QLinearConcat"], 0);
  // Remaining DequantizeLinear: where int8 meets float (decode, pre-processing) only.
  EXPECT_LE(ops["DequantizeLinear"], 12);
}

TEST(Quantize, DetectRunsAndAgreesWithFloat) {
  DetectorOptions o;
  o.threads = 1;
  o.conf = 0.f;
  o.max_det = 0;
  o.iou = 1.f;
  const auto f = Detector::open(tiny().model, o);
  const auto q = Detector::open(quantized().path, o);
  EXPECT_EQ(q->metadata().class_names, f->metadata().class_names);
  const ImageBuffer img = load_image(tiny().calib / "img1.png");
  const auto df = f->detect(img.view());
  const auto dq = q->detect(img.view());
  ASSERT_FALSE(df.empty());
  ASSERT_FALSE(dq.empty());
  // Random weights make a poorly conditioned network; still the top scores must be close.
  EXPECT_NEAR(dq[0].score, df[0].score, 0.1f);
}

TEST(Quantize, ExcludeKeepsConvFloat) {
  const std::string name = quantized().report.plan.conv_nodes.at(3);
  const auto bytes = read_file_bytes(tiny().model);
  const std::string_view b(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  QdqOptions o;
  o.exclude = {name};
  const QdqPlan p = plan_qdq(b, o);
  EXPECT_EQ(p.conv_nodes.size() + 1, quantized().report.plan.conv_nodes.size());
  EXPECT_EQ(std::count(p.conv_nodes.begin(), p.conv_nodes.end(), name), 0);
  o.exclude = {"no-such-node"};
  try {
    plan_qdq(b, o);
    FAIL() << "unknown --exclude accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("no-such-node"), std::string::npos);
  }
}

TEST(Quantize, FloatLeadingConvsKeepsTheFirstConvsFloat) {
  const auto& all = quantized().report.plan.conv_nodes;  // default: only the stem float
  ASSERT_GT(all.size(), 5u);
  const auto bytes = read_file_bytes(tiny().model);
  const std::string_view b(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  QdqOptions o;
  o.float_leading_convs = 4;  // the stem and the next three convs
  const QdqPlan p = plan_qdq(b, o);
  ASSERT_EQ(p.conv_nodes.size() + 3, all.size());
  // Exactly the first three int8 convs of the default plan went float, the rest kept their order.
  EXPECT_TRUE(std::equal(p.conv_nodes.begin(), p.conv_nodes.end(), all.begin() + 3));
  EXPECT_LT(p.calibration_tensors.size(), quantized().report.plan.calibration_tensors.size());
  // quantize_stem with 0 leading float convs quantizes the stem; 1 is the default.
  o.float_leading_convs = 1;
  EXPECT_EQ(plan_qdq(b, o).conv_nodes, all);
  o.float_leading_convs = 0;
  o.quantize_stem = true;
  EXPECT_EQ(plan_qdq(b, o).conv_nodes.size(), all.size() + 1);
}

TEST(Quantize, AutoFloatKeepsTheMostSensitiveConvsFloat) {
  QuantizeOptions o;
  o.threads = 1;
  o.auto_float_convs = 2;
  o.sensitivity_images = 1;
  o.float_below_db = 0;  // ranked against the default plan of quantized()
  const fs::path out = tiny().dir / "tiny.auto.int8.onnx";
  const QuantizeReport r = quantize_model(tiny().model, tiny().calib, out, o);
  const auto& all = quantized().report.plan.conv_nodes;
  // The region's outputs are the 9 predictor outputs (box, objectness, class at 3 levels).
  EXPECT_EQ(quantized().report.plan.region_outputs.size(), 9u);
  ASSERT_EQ(r.sensitivity.size(), all.size());  // every int8 conv of the default plan measured
  EXPECT_TRUE(std::is_sorted(r.sensitivity.begin(), r.sensitivity.end(),
                             [](const auto& a, const auto& b) { return a.sqnr_db < b.sqnr_db; }));
  std::set<double> distinct;
  for (const auto& s : r.sensitivity) {
    EXPECT_TRUE(std::isfinite(s.sqnr_db)) << s.conv;
    distinct.insert(s.sqnr_db);
  }
  EXPECT_GT(distinct.size(), all.size() / 2);  // measured, not a constant
  ASSERT_EQ(r.auto_float.size(), 2u);
  EXPECT_EQ(r.auto_float[0], r.sensitivity[0].conv);
  EXPECT_EQ(r.auto_float[1], r.sensitivity[1].conv);
  ASSERT_EQ(r.plan.conv_nodes.size() + 2, all.size());
  for (const auto& c : r.auto_float)
    EXPECT_EQ(std::count(r.plan.conv_nodes.begin(), r.plan.conv_nodes.end(), c), 0) << c;
  // The written model has them float (weights still initializers) and records them.
  const onnx::ModelProto m = read_model(out);
  std::set<std::string> inits;
  for (const auto& t : m.graph().initializer()) inits.insert(t.name());
  for (const auto& n : m.graph().node())
    if (n.name() == r.auto_float[0]) {
      EXPECT_TRUE(inits.count(n.input(1))) << n.name();
    }
  EXPECT_NE(props(m).at("yoloxrt.quantization").find(r.auto_float[1]), std::string::npos);
}

TEST(FloatBelowDb, QuantizedRangesReadsTheGrids) {
  // Two QuantizeLinear nodes: uint8 (scale 0.5, zero point 10) and int8 (0.1, -3).
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  auto* g = m.mutable_graph();
  g->set_name("g");
  auto scalar = [&](const std::string& name, int32_t type, const void* data, size_t n) {
    auto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(type);
    t->set_raw_data(std::string(static_cast<const char*>(data), n));
  };
  const float s1 = 0.5f, s2 = 0.1f;
  const uint8_t z1 = 10;
  const int8_t z2 = -3;
  scalar("s1", onnx::TensorProto::FLOAT, &s1, 4);
  scalar("z1", onnx::TensorProto::UINT8, &z1, 1);
  scalar("s2", onnx::TensorProto::FLOAT, &s2, 4);
  scalar("z2", onnx::TensorProto::INT8, &z2, 1);
  for (const auto& [x, sc, zp] : {std::tuple{"a", "s1", "z1"}, std::tuple{"b", "s2", "z2"}}) {
    auto* n = g->add_node();
    n->set_op_type("QuantizeLinear");
    n->add_input(x);
    n->add_input(sc);
    n->add_input(zp);
    n->add_output(std::string(x) + "/q");
  }
  const auto r = quantized_ranges(m.SerializeAsString());
  ASSERT_EQ(r.size(), 2u);
  EXPECT_FLOAT_EQ(r.at("a").min, -5.f);    // (0 - 10) * 0.5
  EXPECT_FLOAT_EQ(r.at("a").max, 122.5f);  // (255 - 10) * 0.5
  EXPECT_FLOAT_EQ(r.at("b").min, -12.5f);  // (-128 + 3) * 0.1
  EXPECT_FLOAT_EQ(r.at("b").max, 13.f);    // (127 + 3) * 0.1
  // On a real rewrite: one grid per quantized tensor, each holding 0.
  const auto q = read_file_bytes(quantized().path);
  const auto grids =
      quantized_ranges(std::string_view(reinterpret_cast<const char*>(q.data()), q.size()));
  EXPECT_GE(grids.size(), quantized().report.plan.calibration_tensors.size());
  for (const auto& [t, range] : grids) {
    EXPECT_LE(range.min, 0.f) << t;  // an all-negative tensor (random objectness) has max 0
    EXPECT_GE(range.max, 0.f) << t;
    EXPECT_GT(range.max - range.min, 0.f) << t;
  }
}

TEST(FloatBelowDb, EveryConvBelowTheThresholdIsFloatAndRecorded) {
  QuantizeOptions o;
  o.threads = 1;
  const fs::path out = tiny().dir / "tiny.rule.int8.onnx";
  // By default the rule judges depthwise convs only: this model has none, so all stay int8.
  const QuantizeReport dense_default = quantize_model(tiny().model, tiny().calib, out, o);
  EXPECT_EQ(dense_default.plan.conv_nodes, quantized().report.plan.conv_nodes);
  EXPECT_TRUE(dense_default.sqnr_float.empty());
  EXPECT_EQ(dense_default.estimates.size(), quantized().report.plan.conv_nodes.size());
  // Judging every conv: exactly those below the threshold go float.
  o.float_below_db_dense = true;
  const QuantizeReport r = quantize_model(tiny().model, tiny().calib, out, o);
  const auto& all = quantized().report.plan.conv_nodes;  // every conv but the stem
  ASSERT_EQ(r.estimates.size(), all.size());
  std::set<double> distinct;
  size_t below = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    const auto& e = r.estimates[i];
    EXPECT_EQ(e.conv, all[i]);
    EXPECT_TRUE(std::isfinite(e.sqnr_db)) << e.conv;
    distinct.insert(e.sqnr_db);
    const bool is_int8 = std::count(r.plan.conv_nodes.begin(), r.plan.conv_nodes.end(), e.conv) > 0;
    EXPECT_EQ(is_int8, e.sqnr_db >= o.float_below_db) << e.conv << " " << e.sqnr_db;
    below += e.sqnr_db < o.float_below_db;
  }
  EXPECT_GT(distinct.size(), all.size() / 2);  // estimated per conv, not a constant
  EXPECT_EQ(r.sqnr_float.size(), below);
  EXPECT_EQ(r.plan.conv_nodes.size() + below, all.size());
  // Metadata: the threshold, the convs it kept float, and every float conv with its reason.
  const std::string md = props(read_model(out)).at("yoloxrt.quantization");
  const auto j = nlohmann::json::parse(md);
  EXPECT_EQ(j.at("float_below_db").get<double>(), o.float_below_db);
  EXPECT_EQ(j.at("sqnr_float").get<std::vector<std::string>>(), r.sqnr_float);
  ASSERT_EQ(j.at("float_convs").size(), below + 1);
  EXPECT_NE(j.at("float_convs")[0].at("reason").get<std::string>().find("stem"), std::string::npos);
  for (const auto& f : r.sqnr_float) {
    bool found = false;
    for (const auto& fc : j.at("float_convs"))
      if (fc.at("node") == f) {
        found = true;
        EXPECT_NE(fc.at("reason").get<std::string>().find("estimated SQNR"), std::string::npos);
      }
    EXPECT_TRUE(found) << f;
  }
  // --all-int8's library form: the rule off and the stem quantized leaves no conv float.
  o.float_below_db = 0;
  o.qdq.quantize_stem = true;
  const QuantizeReport all8 = quantize_model(tiny().model, tiny().calib, out, o);
  EXPECT_EQ(all8.plan.conv_nodes.size(), all.size() + 1);
  EXPECT_TRUE(all8.float_convs.empty());
  EXPECT_TRUE(all8.estimates.empty());
}

TEST(FloatBelowDb, PicksTheDepthwiseConvAfterAWideStemChannel) {
  // A depthwise-separable (Nano-like) random model; then the same model with the stem's output
  // channel 0 scaled up 64x (weights and bias), so the first depthwise conv's input is one wide
  // channel and many narrow ones, as in official YOLOX-Nano.
  TempDir dir;
  const auto arch = exporter::architecture_from_factors(0.33, 0.25, true, 3);
  const fs::path pth = testing::write_random_checkpoint(dir.path(), "dw", arch, Family::kCjm, 3);
  ExportOptions eo;
  eo.model_type = "yolox_nano";
  eo.fixed_hw = {{64, 64}};
  const fs::path plain = dir / "dw.onnx", wide = dir / "dw_wide.onnx";
  export_checkpoint(pth, plain, eo, nullptr);
  onnx::ModelProto m = read_model(plain);
  const std::vector<ConvNode> convs = list_conv_nodes(m.SerializeAsString());
  ASSERT_GT(convs.size(), 3u);
  ASSERT_FALSE(convs[0].depthwise);
  const auto first_dw =
      std::find_if(convs.begin(), convs.end(), [](auto& c) { return c.depthwise; });
  ASSERT_NE(first_dw, convs.end());
  ASSERT_EQ(first_dw->input, convs[0].activation_output);  // it reads the stem's SiLU
  for (auto& t : *m.mutable_graph()->mutable_initializer()) {
    for (const auto& n : m.graph().node())
      if (n.name() == convs[0].name && (t.name() == n.input(1) || t.name() == n.input(2))) {
        ASSERT_EQ(t.data_type(), onnx::TensorProto::FLOAT);
        ASSERT_TRUE(t.has_raw_data());
        std::string raw = t.raw_data();
        const size_t per = raw.size() / sizeof(float) / static_cast<size_t>(convs[0].out_channels);
        for (size_t i = 0; i < per; ++i) {  // channel 0: the first `per` values
          float v;
          std::memcpy(&v, raw.data() + i * sizeof(float), sizeof v);
          v *= 64.f;
          std::memcpy(raw.data() + i * sizeof(float), &v, sizeof v);
        }
        t.set_raw_data(raw);
      }
  }
  write_file_atomic(wide, m.SerializeAsString());

  QuantizeOptions o;
  o.threads = 1;
  auto estimate_of = [&](const QuantizeReport& r, const std::string& conv) {
    for (const auto& e : r.estimates)
      if (e.conv == conv) return e.sqnr_db;
    ADD_FAILURE() << "no estimate for " << conv;
    return 0.0;
  };
  const QuantizeReport rp = quantize_model(plain, tiny().calib, dir / "p.int8.onnx", o);
  const QuantizeReport rw = quantize_model(wide, tiny().calib, dir / "w.int8.onnx", o);
  const double before = estimate_of(rp, first_dw->name), after = estimate_of(rw, first_dw->name);
  EXPECT_LT(after, before - 10) << before << " -> " << after;
  EXPECT_LT(after, o.float_below_db);
  EXPECT_EQ(std::count(rw.sqnr_float.begin(), rw.sqnr_float.end(), first_dw->name), 1);
  EXPECT_EQ(std::count(rw.plan.conv_nodes.begin(), rw.plan.conv_nodes.end(), first_dw->name), 0);
  // The pointwise conv after it mixes every channel: the wide one does not drown the rest there.
  const auto next = std::next(first_dw);
  ASSERT_FALSE(next->depthwise);
  EXPECT_GT(estimate_of(rw, next->name), after + 10);
}

TEST(Quantize, Refusals) {
  TempDir tmp;
  QuantizeOptions o;
  o.threads = 1;
  auto expect_refused = [&](const fs::path& in, const fs::path& calib, ErrorKind kind,
                            const std::string& words) {
    const fs::path out = tmp / "out.onnx";
    try {
      quantize_model(in, calib, out, o);
      ADD_FAILURE() << "accepted " << in;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), kind) << e.what();
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(out));
  };
  // Already quantized.
  expect_refused(quantized().path, tiny().calib, ErrorKind::kUnsupported, "already quantized");
  // No Conv: a one-node Relu model.
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  auto* g = m.mutable_graph();
  g->set_name("relu");
  for (auto* vi : {g->add_input(), g->add_output()}) {
    vi->set_name(vi == &g->input(0) ? "x" : "y");
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    tt->mutable_shape()->add_dim()->set_dim_value(4);
  }
  auto* n = g->add_node();
  n->set_op_type("Relu");
  n->add_input("x");
  n->add_output("y");
  std::string bytes;
  m.SerializeToString(&bytes);
  write_file_atomic(tmp / "relu.onnx", bytes);
  expect_refused(tmp / "relu.onnx", tiny().calib, ErrorKind::kUnsupported, "no Conv");
  // Empty calibration folder, and a missing one.
  fs::create_directories(tmp / "empty");
  std::ofstream(tmp / "empty" / "readme.md") << "x";
  expect_refused(tiny().model, tmp / "empty", ErrorKind::kInvalidArgument, "no image files");
  expect_refused(tiny().model, tmp / "missing", ErrorKind::kNotFound, "not a folder");
  // A folder whose only "image" does not decode.
  fs::create_directories(tmp / "broken");
  std::ofstream(tmp / "broken" / "a.jpg") << "not a jpeg";
  expect_refused(tiny().model, tmp / "broken", ErrorKind::kInvalidArgument, "could be read");
}

}  // namespace
}  // namespace yoloxrt
