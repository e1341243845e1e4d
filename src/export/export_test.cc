// Export tests: parity with the upstream cjm and Megvii code (fixtures), every variant, bad inputs.
#include <cmath>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "export/test_checkpoints.h"
#include "support/test_support.h"
#include "yoloxrt/error.h"
#include "yoloxrt/export.h"

namespace yoloxrt {
namespace {

namespace fs = std::filesystem;
using testing::read_f32;
using testing::run_onnx;
using testing::TempDir;

fs::path write_model(const TempDir& tmp, const ExportedModel& m, const std::string& name) {
  const fs::path p = tmp / name;
  write_file_atomic(p, m.onnx_bytes);
  return p;
}

struct ParityCase {
  const char* name;
  int h, w;
};
constexpr ParityCase kCases[] = {
    {"photo", 576, 384}, {"rand256", 256, 256}, {"rand224x320", 224, 320}};

// Default wrapper (NCHW 0..1 input, decoded [x0,y0,w,h,label,prob] output) vs cjm_yolox_pytorch.
TEST(ExportParity, CjmDefaultWrapperMatchesUpstream) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  const fs::path folder = fx / "cjm-tiny-hagrid";
  TempDir tmp;
  const ExportedModel m = export_model(folder, {});
  EXPECT_EQ(m.metadata.class_names.size(), 19u);
  EXPECT_EQ(m.metadata.model_type, "yolox_tiny");
  const fs::path model = write_model(tmp, m, "default.onnx");
  for (const auto& c : kCases)
    testing::expect_cjm_default_parity(model, folder / "expected", c.name, {1, 3, c.h, c.w});
}

// Inverse wrapper (NHWC 0..255 input scaled in the graph, raw output) vs cjm_yolox_pytorch.
TEST(ExportParity, CjmInverseWrapperMatchesUpstream) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  const fs::path folder = fx / "cjm-tiny-hagrid";
  TempDir tmp;
  ExportOptions o;
  o.scale_input = true;
  o.channels_last = true;
  o.output_format = OutputFormat::kRaw;
  const fs::path model = write_model(tmp, export_model(folder, o), "inverse.onnx");
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    const std::string base = (folder / "expected" / (std::string("inverse_") + c.name)).string();
    const auto input = read_f32(base + "_input.f32");
    const auto ref = read_f32(base + "_output.f32");
    std::vector<int64_t> shape;
    const auto out = run_onnx(model, {1, c.h, c.w, 3}, input, &shape);
    ASSERT_EQ(out.size(), ref.size());
    ASSERT_EQ(shape.back(), 24);
    double box = 0, sig = 0;
    for (size_t i = 0; i < out.size(); ++i) {
      const double d = std::fabs(out[i] - ref[i]);
      (i % 24 < 4 ? box : sig) = std::max(i % 24 < 4 ? box : sig, d);
    }
    EXPECT_LE(box, 5e-4);
    EXPECT_LE(sig, 5e-5);
    std::printf("[parity] inverse %s: max |dbox logit| %.2e, max |dsigmoid| %.2e\n", c.name, box,
                sig);
  }
}

// Official YOLOX-Nano weights (Megvii layout, depthwise) vs Megvii's released ONNX output.
TEST(ExportParity, MegviiNanoRawMatchesReleasedOnnx) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  const fs::path dir = fx / "megvii-nano";
  TempDir tmp;
  ExportOptions o;
  o.output_format = OutputFormat::kRaw;
  const ExportedModel m = export_model(dir / "yolox_nano.pth", o);
  EXPECT_EQ(m.source_family, Family::kMegvii);
  EXPECT_EQ(m.metadata.model_type, "yolox_nano");
  EXPECT_EQ(m.metadata.channel_order, ChannelOrder::kBGR);
  EXPECT_EQ(m.metadata.class_names, coco_class_names());
  const fs::path model = write_model(tmp, m, "nano.onnx");
  std::vector<int64_t> shape;
  const auto out = run_onnx(model, {1, 3, 416, 416}, read_f32(dir / "input_dog_416.f32"), &shape);
  const auto ref = read_f32(dir / "raw_output_dog_416.f32");
  ASSERT_EQ(shape, (std::vector<int64_t>{1, 3549, 85}));
  double box = 0, sig = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    const double d = std::fabs(out[i] - ref[i]);
    if (i % 85 < 4)
      box = std::max(box, d);
    else
      sig = std::max(sig, d);
  }
  EXPECT_LE(box, 5e-4);
  EXPECT_LE(sig, 5e-5);
  std::printf("[parity] megvii nano raw: max |dbox logit| %.2e, max |dsigmoid| %.2e\n", box, sig);
}

// --- every variant, both families, random weights --------------------------------------------

struct VariantCase {
  const char* type;
  Family family;
};

class ExportVariants : public ::testing::TestWithParam<VariantCase> {};

TEST_P(ExportVariants, ExportsChecksAndRuns) {
  const auto [type, family] = GetParam();
  auto arch = *exporter::architecture_for_type(type);
  arch.num_classes = 7;
  TempDir tmp;
  const fs::path pth = testing::write_random_checkpoint(tmp.path(), type, arch, family, 1);
  ExportOptions o;
  o.output_format = OutputFormat::kRaw;
  if (family == Family::kCjm) o.model_type = type;  // the file stem names it too
  const ExportedModel m = export_model(pth, o);
  EXPECT_EQ(m.source_family, family);
  EXPECT_EQ(m.metadata.model_type, type);
  // Megvii's exps run nano and tiny at 416, the others at 640; the cjm tutorial runs at 384.
  const bool small = std::string(type) == "yolox_nano" || std::string(type) == "yolox_tiny";
  EXPECT_EQ(m.metadata.default_height, family == Family::kCjm ? 384 : small ? 416 : 640);
  const fs::path model = write_model(tmp, m, "m.onnx");
  std::vector<float> input(3 * 64 * 96, 0.5f);
  std::vector<int64_t> shape;
  const auto out = run_onnx(model, {1, 3, 64, 96}, input, &shape);
  EXPECT_EQ(shape, (std::vector<int64_t>{1, 8 * 12 + 4 * 6 + 2 * 3, 12}));
  for (float v : out) ASSERT_TRUE(std::isfinite(v));
}

INSTANTIATE_TEST_SUITE_P(AllVariants, ExportVariants,
                         ::testing::Values(VariantCase{"yolox_tiny", Family::kCjm},
                                           VariantCase{"yolox_s", Family::kCjm},
                                           VariantCase{"yolox_m", Family::kCjm},
                                           VariantCase{"yolox_l", Family::kCjm},
                                           VariantCase{"yolox_x", Family::kCjm},
                                           VariantCase{"yolox_nano", Family::kMegvii},
                                           VariantCase{"yolox_tiny", Family::kMegvii},
                                           VariantCase{"yolox_s", Family::kMegvii},
                                           VariantCase{"yolox_m", Family::kMegvii},
                                           VariantCase{"yolox_l", Family::kMegvii},
                                           VariantCase{"yolox_x", Family::kMegvii}),
                         [](const auto& info) {
                           return std::string(info.param.type) +
                                  (info.param.family == Family::kCjm ? "_cjm" : "_megvii");
                         });

// Legacy Megvii weights used to get 416 whatever their size; the size now follows the model type
// as for current weights (a custom model gets yolox_base's 640).
TEST(ExportVariants, LegacyMegviiDefaultSizeFollowsTheModelType) {
  auto arch = *exporter::architecture_for_type("yolox_tiny");
  arch.num_classes = 2;
  TempDir tmp;
  const fs::path pth = testing::write_random_checkpoint(tmp.path(), "w", arch, Family::kMegvii, 3);
  ExportOptions o;
  o.legacy = true;
  o.depth = 0.33;
  o.width = 0.375;
  const ExportedModel m = export_model(pth, o);
  EXPECT_EQ(m.metadata.model_type, "custom");
  EXPECT_EQ(m.metadata.default_height, 640);
  EXPECT_EQ(m.metadata.channel_order, ChannelOrder::kRGB);
  EXPECT_EQ(m.metadata.resize, ResizePolicy::kLetterbox);
}

TEST(ExportVariants, CustomFactors) {
  auto arch = exporter::architecture_from_factors(0.5, 0.3125, false, 3);
  EXPECT_EQ(arch.stem, 20);
  EXPECT_EQ(arch.stage_blocks[1], 4);  // round(4.5) = 4, as Python rounds
  TempDir tmp;
  const fs::path pth = testing::write_random_checkpoint(tmp.path(), "mine", arch, Family::kCjm, 2);
  ExportOptions o;
  o.depth = 0.5;
  o.width = 0.3125;
  const ExportedModel m = export_model(pth, o);
  const fs::path model = write_model(tmp, m, "m.onnx");
  std::vector<int64_t> shape;
  run_onnx(model, {2, 3, 32, 32}, std::vector<float>(2 * 3 * 32 * 32, 0.25f), &shape);
  EXPECT_EQ(shape, (std::vector<int64_t>{2, 16 + 4 + 1, 6}));
}

TEST(ExportVariants, ShapeInferenceNamesUnnamedCheckpoints) {
  auto arch = *exporter::architecture_for_type("yolox_s");
  arch.num_classes = 2;
  TempDir tmp;
  const fs::path pth = testing::write_random_checkpoint(tmp.path(), "best", arch, Family::kCjm, 3);
  const ExportedModel m = export_model(pth, {});
  EXPECT_EQ(m.metadata.model_type, "yolox_s");
  ASSERT_FALSE(m.warnings.empty());
}

// A checkpoint converted to the other family exports to the same outputs.
TEST(ExportConvert, RoundTripBetweenFamiliesKeepsOutputs) {
  auto arch = *exporter::architecture_for_type("yolox_tiny");
  arch.num_classes = 5;
  TempDir tmp;
  const fs::path cjm =
      testing::write_random_checkpoint(tmp.path(), "yolox_tiny", arch, Family::kCjm, 4);
  const fs::path megvii = tmp / "as_megvii.pth";
  convert_checkpoint(cjm, megvii, Family::kMegvii);
  const fs::path back = tmp / "yolox_tiny_back.pth";
  convert_checkpoint(megvii, back, Family::kCjm);

  ExportOptions o;
  o.output_format = OutputFormat::kRaw;
  o.channel_order = ChannelOrder::kRGB;  // same input convention for both
  o.scale_input = false;
  o.model_type = "yolox_tiny";
  const auto m1 = export_model(cjm, o);
  ExportOptions om = o;
  om.legacy = true;  // RGB 0..1 network; the graph then scales 0..255 input
  om.mean = std::array<float, 3>{0.5f, 0.5f, 0.5f};
  om.std = std::array<float, 3>{1.f, 1.f, 1.f};
  const auto m2 = export_model(megvii, om);
  EXPECT_EQ(m2.source_family, Family::kMegvii);
  const auto p1 = write_model(tmp, m1, "a.onnx");
  const auto p2 = write_model(tmp, m2, "b.onnx");
  std::vector<float> in(3 * 64 * 64);
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  for (auto& v : in) v = u(rng);
  std::vector<float> in255(in);
  for (auto& v : in255) v *= 255.f;
  std::vector<int64_t> s1, s2;
  const auto o1 = run_onnx(p1, {1, 3, 64, 64}, in, &s1);
  const auto o2 = run_onnx(p2, {1, 3, 64, 64}, in255, &s2);
  ASSERT_EQ(o1.size(), o2.size());
  double worst = 0;
  for (size_t i = 0; i < o1.size(); ++i)
    worst = std::max(worst, static_cast<double>(std::fabs(o1[i] - o2[i])));
  EXPECT_LE(worst, 1e-5);
  // And converting back gives the identical state dict.
  const StateDict a = read_state_dict_file(cjm), b = read_state_dict_file(back);
  ASSERT_EQ(a.names(), b.names());
  for (const auto& k : a.names()) {
    ASSERT_EQ(a.at(k).shape, b.at(k).shape) << k;
    ASSERT_EQ(a.at(k).data, b.at(k).data) << k;
  }
}

// --- options -----------------------------------------------------------------------------------

TEST(ExportOptionsTest, FixedSizeGivesStaticShapes) {
  auto arch = *exporter::architecture_for_type("yolox_tiny");
  arch.num_classes = 3;
  TempDir tmp;
  const fs::path pth =
      testing::write_random_checkpoint(tmp.path(), "yolox_tiny", arch, Family::kCjm, 6);
  ExportOptions o;
  o.fixed_hw = std::pair{64, 96};
  o.dynamic_batch = false;
  o.opset = 11;
  const fs::path model = write_model(tmp, export_model(pth, o), "f.onnx");
  const ModelInfo info = inspect_onnx(model);
  EXPECT_EQ(info.opset, 11);
  ASSERT_EQ(info.inputs.size(), 1u);
  EXPECT_EQ(info.inputs[0].shape, (std::vector<int64_t>{1, 3, 64, 96}));
  EXPECT_EQ(info.outputs[0].shape, (std::vector<int64_t>{1, 126, 6}));
  EXPECT_EQ(info.outputs[0].shape_string(), "[1, 126, 6]");
  std::vector<int64_t> shape;
  run_onnx(model, {1, 3, 64, 96}, std::vector<float>(3 * 64 * 96, 0.1f), &shape);
  EXPECT_EQ(shape, (std::vector<int64_t>{1, 126, 6}));
}

TEST(ExportOptionsTest, EveryOpsetPassesTheChecker) {
  auto arch = *exporter::architecture_for_type("yolox_nano");
  arch.num_classes = 2;
  TempDir tmp;
  const fs::path pth = testing::write_random_checkpoint(tmp.path(), "n", arch, Family::kMegvii, 7);
  for (int opset = 11; opset <= 17; ++opset) {
    ExportOptions o;
    o.opset = opset;
    EXPECT_NO_THROW(export_model(pth, o)) << "opset " << opset;
  }
}

TEST(ExportOptionsTest, BgrInputEqualsRgbInputWithSwappedChannels) {
  auto arch = *exporter::architecture_for_type("yolox_tiny");
  arch.num_classes = 2;
  TempDir tmp;
  const fs::path pth =
      testing::write_random_checkpoint(tmp.path(), "yolox_tiny", arch, Family::kCjm, 8);
  ExportOptions rgb, bgr;
  rgb.output_format = bgr.output_format = OutputFormat::kRaw;
  rgb.mean = bgr.mean = std::array<float, 3>{0.1f, 0.2f, 0.3f};
  rgb.std = bgr.std = std::array<float, 3>{0.5f, 0.6f, 0.7f};
  bgr.channel_order = ChannelOrder::kBGR;
  const auto p1 = write_model(tmp, export_model(pth, rgb), "rgb.onnx");
  const auto p2 = write_model(tmp, export_model(pth, bgr), "bgr.onnx");
  const int hw = 32 * 32;
  std::vector<float> in(3 * hw), swapped(3 * hw);
  for (int i = 0; i < 3 * hw; ++i) in[i] = static_cast<float>((i * 37) % 101) / 100.f;
  for (int c = 0; c < 3; ++c)
    std::copy(in.begin() + c * hw, in.begin() + (c + 1) * hw, swapped.begin() + (2 - c) * hw);
  std::vector<int64_t> s;
  const auto a = run_onnx(p1, {1, 3, 32, 32}, in, &s);
  const auto b = run_onnx(p2, {1, 3, 32, 32}, swapped, &s);
  for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 1e-4) << i;
}

// --- bad inputs --------------------------------------------------------------------------------

ErrorKind export_error_kind(const fs::path& src, const ExportOptions& o, std::string* what) {
  try {
    export_model(src, o);
  } catch (const Error& e) {
    *what = e.what();
    return e.kind();
  }
  ADD_FAILURE() << "no error for " << src;
  return ErrorKind::kRuntime;
}

TEST(ExportErrors, MissingAndUnexpectedKeysAreNamed) {
  auto arch = *exporter::architecture_for_type("yolox_tiny");
  arch.num_classes = 2;
  TempDir tmp;
  StateDict sd = testing::random_state_dict(arch, 9);
  sd.erase("neck.out_convs.1.bn.running_var");
  sd.set("bbox_head.extra.weight", Tensor{{1}, {0.f}});
  sd.at("backbone.stage2.0.conv.weight").shape[0] += 0;  // shapes intact
  Tensor wrong = sd.at("bbox_head.multi_level_conv_obj.2.bias");
  wrong.shape = {2};
  wrong.data = {0.f, 0.f};
  sd.set("bbox_head.multi_level_conv_obj.2.bias", wrong);
  write_file_atomic(tmp / "yolox_tiny.pth", write_torch_checkpoint(sd, "yolox_tiny"));
  std::string what;
  EXPECT_EQ(export_error_kind(tmp / "yolox_tiny.pth", {}, &what), ErrorKind::kMismatch);
  EXPECT_NE(what.find("neck.out_convs.1.bn.running_var"), std::string::npos) << what;
  EXPECT_NE(what.find("bbox_head.extra.weight"), std::string::npos) << what;
  EXPECT_NE(what.find("bbox_head.multi_level_conv_obj.2.bias: expected [1], found [2]"),
            std::string::npos)
      << what;
  EXPECT_NE(what.find("yolox_tiny.pth"), std::string::npos) << what;
}

TEST(ExportErrors, ColormapLengthMustMatchClassCount) {
  auto arch = *exporter::architecture_for_type("yolox_tiny");
  arch.num_classes = 3;
  TempDir tmp;
  testing::write_random_checkpoint(tmp.path(), "yolox_tiny", arch, Family::kCjm, 10);
  write_file_atomic(tmp / "toy-colormap.json",
                    R"({"items":[{"label":"a","color":[1,0,0]},{"label":"b","color":[0,1,0]}]})");
  std::string what;
  EXPECT_EQ(export_error_kind(tmp.path(), {}, &what), ErrorKind::kMismatch);
  EXPECT_NE(what.find("toy-colormap.json"), std::string::npos) << what;
  EXPECT_NE(what.find("2 classes"), std::string::npos) << what;
}

TEST(ExportErrors, FixedSizeMustBeMultipleOf32AndNothingIsWritten) {
  auto arch = *exporter::architecture_for_type("yolox_tiny");
  arch.num_classes = 3;
  TempDir tmp;
  const auto pth =
      testing::write_random_checkpoint(tmp.path(), "yolox_tiny", arch, Family::kCjm, 11);
  ExportOptions o;
  o.fixed_hw = std::pair{100, 96};
  fs::path written;
  try {
    export_checkpoint(pth, tmp / "out.onnx", o, &written);
    FAIL() << "accepted 100x96";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("multiple of 32"), std::string::npos);
  }
  EXPECT_FALSE(fs::exists(tmp / "out.onnx"));
  for (const auto& e : fs::directory_iterator(tmp.path()))
    EXPECT_TRUE(e.path().extension() == ".pth") << "left behind: " << e.path();
}

TEST(ExportErrors, UnknownLayoutListsWhatWasRecognised) {
  TempDir tmp;
  StateDict sd;
  sd.set("encoder.layer.weight", Tensor{{2, 2}, {1, 2, 3, 4}});
  write_file_atomic(tmp / "x.pth", write_torch_checkpoint(sd, "x"));
  std::string what;
  EXPECT_EQ(export_error_kind(tmp / "x.pth", {}, &what), ErrorKind::kUnsupported);
  EXPECT_NE(what.find("encoder.layer.weight"), std::string::npos) << what;
}

TEST(ExportErrors, BadFilesAreReportedWithTheirName) {
  TempDir tmp;
  write_file_atomic(tmp / "empty.pth", "");
  write_file_atomic(tmp / "random.pth", std::string("\x13\x37 not a checkpoint at all", 25));
  for (const char* name : {"empty.pth", "random.pth", "missing.pth"}) {
    std::string what;
    const ErrorKind k = export_error_kind(tmp / name, {}, &what);
    EXPECT_NE(what.find(name), std::string::npos) << what;
    EXPECT_TRUE(k == ErrorKind::kCorrupt || k == ErrorKind::kNotFound ||
                k == ErrorKind::kUnsupported)
        << what;
  }
}

TEST(ExportDefaults, DefaultOutputNameFollowsTheTutorial) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  TempDir tmp;
  for (const char* f :
       {"yolox_tiny.pth", "hagrid-sample-30k-384p-colormap.json", "norm_stats.json"})
    fs::copy_file(fx / "cjm-tiny-hagrid" / f, tmp / f);
  fs::path written;
  export_checkpoint(tmp.path(), {}, {}, &written);
  EXPECT_EQ(written, tmp / "hagrid-sample-30k-384p-yolox_tiny.onnx");
  const ModelInfo info = inspect_onnx(written);
  const ModelMetadata md = ModelMetadata::from_props(info.metadata_props);
  EXPECT_EQ(md.class_names.size(), 19u);
  EXPECT_EQ(md.mean, (std::array<float, 3>{0.5f, 0.5f, 0.5f}));
  EXPECT_EQ(md.source_sha256.size(), 64u);
  EXPECT_EQ(info.inputs[0].name, "input");
  EXPECT_EQ(info.inputs[0].shape, (std::vector<int64_t>{-1, 3, -1, -1}));
  EXPECT_EQ(info.inputs[0].shape_string(), "[batch, 3, height, width]");
}

}  // namespace
}  // namespace yoloxrt

namespace yoloxrt {
namespace {

// `yoloxrt convert` output must load in PyTorch with weights_only=True. Needs Debian's
// python3-torch (a test-only reference); skipped without it.
TEST(ExportConvert, ConvertedCheckpointLoadsInTorchWeightsOnly) {
  if (testing::run_command("/usr/bin/python3 -c 'import torch'").exit_code != 0)
    GTEST_SKIP() << "python3-torch not installed (apt-get install python3-torch to run this check)";
  auto arch = *exporter::architecture_for_type("yolox_nano");
  arch.num_classes = 4;
  testing::TempDir tmp;
  const fs::path cjm = testing::write_random_checkpoint(tmp.path(), "nano", arch, Family::kCjm, 12);
  const fs::path megvii = tmp / "nano_megvii.pth";
  convert_checkpoint(cjm, megvii, Family::kMegvii);
  const StateDict ours = read_state_dict_file(megvii);
  double sum = 0;
  for (const auto& k : ours.names())
    for (float v : ours.at(k).data) sum += v;
  const std::string script =
      "import torch,sys; c=torch.load(sys.argv[1], weights_only=True); sd=c['model']; "
      "print(len(sd), float(sum(t.double().sum() for t in sd.values())), "
      "tuple(sd['backbone.backbone.stem.conv.conv.weight'].shape))";
  const auto r =
      testing::run_command("/usr/bin/python3 -c \"" + script + "\" '" + megvii.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream out(r.out);
  size_t n = 0;
  double torch_sum = 0;
  out >> n >> torch_sum;
  EXPECT_EQ(n, ours.size());
  EXPECT_NEAR(torch_sum, sum, 1e-6 * std::max(1.0, std::fabs(sum)));
  EXPECT_NE(r.out.find("(16, 12, 3, 3)"), std::string::npos) << r.out;
}

// --- family detection, warnings, library messages ----------------------------------------------

TEST(DetectFamily, FollowsTheKeyTable) {
  auto arch = *exporter::architecture_for_type("yolox_nano");
  arch.num_classes = 2;
  const StateDict cjm = testing::random_state_dict(arch, 3);
  EXPECT_EQ(exporter::detect_family(cjm), Family::kCjm);
  const StateDict megvii = exporter::state_dict_for_family(cjm, Family::kMegvii);
  EXPECT_EQ(exporter::detect_family(megvii), Family::kMegvii);
  StateDict mixed = megvii;
  mixed.set("neck.out_convs.0.conv.weight", Tensor{{1}, {0.f}});
  EXPECT_THROW(exporter::detect_family(mixed), Error);
  StateDict neither;
  neither.set("classifier.fc.weight", Tensor{{1}, {0.f}});
  try {
    exporter::detect_family(neither);
    FAIL() << "no Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUnsupported);
    EXPECT_NE(e.message().find("'classifier.fc.weight'"), std::string::npos) << e.what();
  }
}

bool has_warning(const ExportedModel& m, const std::string& needle) {
  for (const auto& w : m.warnings)
    if (w.find(needle) != std::string::npos) return true;
  return false;
}

// COCO names are the Megvii family's own default; only a cjm checkpoint without a colormap is
// warned about.
TEST(ExportWarnings, CocoNamesWarnOnlyForCjm) {
  auto arch = *exporter::architecture_for_type("yolox_nano");
  arch.num_classes = 80;
  TempDir tmp;
  ExportOptions o;
  o.fixed_hw = std::pair{64, 64};
  const ExportedModel megvii = export_model(
      testing::write_random_checkpoint(tmp.path(), "megvii", arch, Family::kMegvii, 4), o);
  EXPECT_EQ(megvii.metadata.class_names.size(), 80u);
  EXPECT_FALSE(has_warning(megvii, "colormap"));
  o.model_type = "yolox_nano";
  const ExportedModel cjm =
      export_model(testing::write_random_checkpoint(tmp.path(), "cjm", arch, Family::kCjm, 4), o);
  EXPECT_EQ(cjm.metadata.class_names, megvii.metadata.class_names);
  EXPECT_TRUE(has_warning(cjm, "80 COCO class names"));
}

// The library states the problem; flag names are the CLI's business.
TEST(ExportOptionsTest, LibraryMessagesNameNoCliFlags) {
  auto arch = *exporter::architecture_for_type("yolox_nano");
  arch.num_classes = 2;
  TempDir tmp;
  const fs::path pth = testing::write_random_checkpoint(tmp.path(), "n", arch, Family::kMegvii, 5);
  auto message_of = [&](const ExportOptions& o) {
    try {
      export_model(pth, o);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument) << e.what();
      return e.message();
    }
    ADD_FAILURE() << "no Error";
    return std::string();
  };
  ExportOptions depth_only;
  depth_only.depth = 0.33;
  ExportOptions bad_std;
  bad_std.std = std::array<float, 3>{1.f, 0.f, 1.f};
  ExportOptions bad_type;
  bad_type.model_type = "yolox_q";
  for (const auto& o : {depth_only, bad_std, bad_type}) {
    const std::string msg = message_of(o);
    EXPECT_FALSE(msg.empty());
    EXPECT_EQ(msg.find("--"), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace yoloxrt
