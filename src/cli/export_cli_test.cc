// End-to-end tests of `yoloxrt export` / `info` / `convert`, and of exported models through
// `yoloxrt detect`.
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "export/test_checkpoints.h"
#include "support/test_support.h"

namespace yoloxrt::testing {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }
std::string yx() { return cli_path(); }

json read_json(const fs::path& p) {
  std::ifstream in(p);
  return json::parse(in);
}

std::vector<std::string> files_in(const fs::path& dir) {
  std::vector<std::string> v;
  for (const auto& e : fs::directory_iterator(dir)) v.push_back(e.path().filename().string());
  std::sort(v.begin(), v.end());
  return v;
}

// Compares `yoloxrt detect` JSON for dog.jpg with Megvii's demo output (detections_dog.json):
// same classes in the same order, IoU >= 0.99, |dscore| <= 1e-3, nothing extra. The reference
// boxes are not clipped; ours are, so the reference is clipped to the image before the IoU.
void expect_matches_megvii_demo(const json& ours, const fs::path& fx) {
  const json ref = read_json(fx / "megvii-nano" / "detections_dog.json")["detections"];
  const json& dets = ours["detections"];
  ASSERT_EQ(dets.size(), ref.size()) << ours.dump();
  const double W = ours["width"].get<double>(), H = ours["height"].get<double>();
  for (size_t i = 0; i < ref.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(dets[i]["class_id"], ref[i]["class_id"]);
    EXPECT_EQ(dets[i]["label"], ref[i]["class_name"]);
    EXPECT_NEAR(dets[i]["score"].get<double>(), ref[i]["score"].get<double>(), 1e-3);
    const double r[4] = {std::clamp(ref[i]["x0"].get<double>(), 0.0, W),
                         std::clamp(ref[i]["y0"].get<double>(), 0.0, H),
                         std::clamp(ref[i]["x1"].get<double>(), 0.0, W),
                         std::clamp(ref[i]["y1"].get<double>(), 0.0, H)};
    const auto& b = dets[i]["box"];
    const double ix =
        std::max(0.0, std::min(r[2], b[2].get<double>()) - std::max(r[0], b[0].get<double>()));
    const double iy =
        std::max(0.0, std::min(r[3], b[3].get<double>()) - std::max(r[1], b[1].get<double>()));
    const double inter = ix * iy;
    const double a1 = (r[2] - r[0]) * (r[3] - r[1]);
    const double a2 =
        (b[2].get<double>() - b[0].get<double>()) * (b[3].get<double>() - b[1].get<double>());
    EXPECT_GE(inter / (a1 + a2 - inter), 0.99);
  }
}

json detect_dog(const fs::path& model, const fs::path& fx, const TempDir& tmp,
                const std::string& extra = "") {
  const auto r =
      run_command(yx() + " detect " + q(model) + " " + q(fx / "megvii-nano" / "dog.jpg") +
                  " --size 416 --resize letterbox --conf 0.1 --iou 0.45 --no-draw -q --json " +
                  q(tmp / "dog.json") + " " + extra);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return read_json(tmp / "dog.json").at(0);
}

TEST(ExportCli, ExportedNanoReproducesMegviiDemoDetections) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  TempDir tmp;
  for (const char* fmt : {"decoded", "raw", "megvii-decoded"}) {
    SCOPED_TRACE(fmt);
    const fs::path model = tmp / (std::string(fmt) + ".onnx");
    const auto r = run_command(yx() + " export " + q(fx / "megvii-nano" / "yolox_nano.pth") +
                               " -o " + q(model) + " --output-format " + fmt);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    expect_matches_megvii_demo(detect_dog(model, fx, tmp), fx);
  }
}

TEST(ExportCli, ReleasedMegviiOnnxReproducesDemoDetections) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  TempDir tmp;
  expect_matches_megvii_demo(detect_dog(fx / "megvii-nano" / "yolox_nano.onnx", fx, tmp), fx);
}

TEST(ExportCli, TutorialCheckpointRunsEndToEnd) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  TempDir tmp;
  for (const char* f :
       {"yolox_tiny.pth", "hagrid-sample-30k-384p-colormap.json", "norm_stats.json"})
    fs::copy_file(fx / "cjm-tiny-hagrid" / f, tmp / f);
  auto r = run_command(yx() + " export " + q(tmp.path()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const fs::path model = tmp / "hagrid-sample-30k-384p-yolox_tiny.onnx";
  ASSERT_TRUE(fs::exists(model));
  const fs::path photo = fx / "images" / "pexels-2769554-man-doing-rock-and-roll-sign.jpg";
  r = run_command(yx() + " detect " + q(model) + " " + q(photo) + " -q -o " + q(tmp / "out") +
                  " --json " + q(tmp / "d.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = read_json(tmp / "d.json").at(0);
  EXPECT_EQ(j["width"], 640);
  EXPECT_EQ(j["height"], 960);
  for (const auto& d : j["detections"]) {  // random weights: check mechanics, not meaning
    EXPECT_GT(d["score"].get<double>(), 0.45);
    EXPECT_LT(d["class_id"].get<int>(), 19);
    EXPECT_GE(d["box"][0].get<double>(), 0.0);
    EXPECT_LE(d["box"][2].get<double>(), 640.0);
  }
  EXPECT_TRUE(fs::exists(tmp / "out" / photo.filename()));
  r = run_command(yx() + " info " + q(model) + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json info = json::parse(r.out);
  EXPECT_EQ(info["inputs"][0]["name"], "input");
  EXPECT_EQ(info["metadata"]["yoloxrt.family"], "cjm");
}

TEST(ExportCli, HelpAndVersion) {
  for (const char* args : {"--version", "--help", "export --help", "detect --help", "info --help",
                           "simplify --help", "convert --help"}) {
    const auto r = run_command(yx() + " " + args);
    EXPECT_EQ(r.exit_code, 0) << args << ": " << r.err;
    EXPECT_FALSE(r.out.empty()) << args;
  }
  EXPECT_NE(run_command(yx()).exit_code, 0);
  EXPECT_EQ(run_command(yx() + " export").exit_code, 2);
}

struct BadExport {
  const char* what;
  int exit_code;
  const char* message;
};

TEST(ExportCli, BadInputsExitWithTheirKindAndLeaveNothing) {
  TempDir tmp;
  auto arch = *exporter::architecture_for_type("yolox_tiny");
  arch.num_classes = 3;
  const fs::path good = write_random_checkpoint(tmp.path(), "yolox_tiny", arch, Family::kCjm, 1);
  write_file_atomic(tmp / "empty.pth", "");
  write_file_atomic(tmp / "trunc.pth", std::string(read_file_bytes(good).size() / 2, 'x'));
  {
    auto bytes = read_file_bytes(good);
    write_file_atomic(tmp / "half.pth",
                      std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size() / 2));
  }
  // A pickle that calls os.system: refused, never run.
  const std::string evil =
      std::string("\x80\x02") + "cos\nsystem\n" + "X\x05\x00\x00\x00touch" + "\x85R.";
  write_file_atomic(tmp / "evil.pth", evil);
  const std::vector<std::pair<std::string, BadExport>> cases = {
      {q(tmp / "missing.pth"), {"missing file", 3, "missing.pth"}},
      {q(tmp / "empty.pth"), {"empty file", 4, "empty.pth"}},
      {q(tmp / "half.pth"), {"truncated zip", 4, "half.pth"}},
      {q(tmp / "evil.pth"), {"bare (legacy-format) pickle calling os.system", 5, "evil.pth"}},
      {q(good) + " --fixed 100x64", {"fixed size not a multiple of 32", 2, "multiple of 32"}},
      {q(good) + " --opset 9", {"opset out of range", 2, "opset"}},
      {q(good) + " --mean 1,2", {"short mean", 2, "--mean"}},
      {q(good) + " --model-type yolox_s", {"wrong model type", 7, "mis-shaped"}},
  };
  for (const auto& [args, c] : cases) {
    SCOPED_TRACE(c.what);
    const auto before = files_in(tmp.path());
    const auto r = run_command(yx() + " export " + args + " -o " + q(tmp / "out.onnx"));
    EXPECT_NE(r.exit_code, 0);
    EXPECT_EQ(r.exit_code, c.exit_code) << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    EXPECT_EQ(files_in(tmp.path()), before) << "an output was left behind";
  }
  EXPECT_FALSE(fs::exists("touch"));
}

TEST(ExportCli, ConvertRoundTripsThroughTheCli) {
  TempDir tmp;
  auto arch = *exporter::architecture_for_type("yolox_tiny");
  arch.num_classes = 2;
  const fs::path good = write_random_checkpoint(tmp.path(), "yolox_tiny", arch, Family::kCjm, 2);
  auto r = run_command(yx() + " convert " + q(good) + " --to megvii -o " + q(tmp / "m.pth"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_command(yx() + " info " + q(tmp / "m.pth") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["family"], "megvii");
  EXPECT_EQ(j["model_type"], "yolox_tiny");
  r = run_command(yx() + " convert " + q(good) + " --to megvii -o " + q(good));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("refusing"), std::string::npos) << r.err;
}

// export --nms: the end-to-end model, simplified, reproduces the official demo through detect;
// info reports the NMS; triton-repo writes an entry for it and refuses what Triton would refuse.
TEST(ExportCli, EndToEndModelThroughSimplifyInfoDetectAndTritonRepo) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  TempDir tmp;
  const fs::path pth = fx / "megvii-nano" / "yolox_nano.pth";
  const fs::path e2e = tmp / "e2e.onnx", simple = tmp / "e2e_simple.onnx";
  auto r = run_command(yx() + " export " + q(pth) + " -o " + q(e2e) + " --nms --nms-conf 0.1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("NMS in the graph"), std::string::npos) << r.out;
  r = run_command(yx() + " simplify " + q(e2e) + " -o " + q(simple));
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  r = run_command(yx() + " info " + q(simple));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("output: end-to-end"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("NMS in the graph: conf > 0.1, IoU > 0.45"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("det_boxes float32 [batch, 100, 4]"), std::string::npos) << r.out;
  expect_matches_megvii_demo(detect_dog(simple, fx, tmp), fx);

  const fs::path repo = tmp / "repo";
  r = run_command(yx() + " triton-repo " + q(e2e) + " -o " + q(repo) +
                  " --name nano --preferred-batch 4,8 --max-queue-delay-us 200");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(repo / "nano" / "config.pbtxt"));
  EXPECT_TRUE(fs::exists(repo / "nano" / "1" / "model.onnx"));
  r = run_command(yx() + " triton-repo " + q(e2e) + " -o " + q(repo) + " --name nano");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--replace"), std::string::npos) << r.err;
  r = run_command(yx() + " triton-repo " + q(e2e) + " -o " + q(repo) + " --name nano --replace -q");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST(ExportCli, EndToEndRefusals) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  TempDir tmp;
  const fs::path pth = fx / "megvii-nano" / "yolox_nano.pth";
  for (const char* flags : {"--nms --raw", "--nms --output-format megvii-decoded", "--per-class",
                            "--nms --nms-conf 1.5", "--nms --max-det 0"}) {
    const auto r =
        run_command(yx() + " export " + q(pth) + " -o " + q(tmp / "x.onnx") + " " + flags);
    EXPECT_EQ(r.exit_code, 2) << flags << ": " << r.err;
  }
  EXPECT_FALSE(fs::exists(tmp / "x.onnx"));
  // A static batch cannot be batched by Triton: refused with --max-batch > 0, nothing written.
  const fs::path fixed = tmp / "fixed.onnx";
  ASSERT_EQ(run_command(yx() + " export " + q(pth) + " -o " + q(fixed) + " --nms --static-batch")
                .exit_code,
            0);
  auto r = run_command(yx() + " triton-repo " + q(fixed) + " -o " + q(tmp / "repo"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("static batch"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "repo"));
  r = run_command(yx() + " triton-repo " + q(fixed) + " -o " + q(tmp / "repo") + " --max-batch 0");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(run_command(yx() + " triton-repo --help").exit_code, 0);
}

}  // namespace
}  // namespace yoloxrt::testing
