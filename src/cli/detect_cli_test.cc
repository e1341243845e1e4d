// End-to-end tests of `yoloxrt detect` on the Megvii YOLOX-Nano fixture.
#include <algorithm>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace yoloxrt::testing {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

std::string detect_cmd(const fs::path& fx) {
  return cli_path() + " detect " + q(fx / "megvii-nano" / "yolox_nano.onnx") + " --threads 1 ";
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(DetectCli, JsonFileHasOneRecordPerImage) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  TempDir tmp;
  const auto r =
      run_command(detect_cmd(fx) + q(fx / "megvii-nano" / "dog.jpg") + " " + q(fx / "images") +
                  " --conf 0.3 -q -o " + q(tmp / "out") + " --json " + q(tmp / "d.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(slurp(tmp / "d.json"));
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 4u);
  const json& dog = j[0];
  EXPECT_EQ(dog["width"], 768);
  EXPECT_EQ(dog["height"], 576);
  ASSERT_EQ(dog["detections"].size(), 3u);
  const json& d0 = dog["detections"][0];
  EXPECT_EQ(d0["label"], "dog");
  EXPECT_EQ(d0["class_id"], 16);
  EXPECT_NEAR(d0["score"].get<double>(), 0.855, 1e-3);
  ASSERT_EQ(d0["box"].size(), 4u);
  EXPECT_NEAR(d0["box"][0].get<double>(), 132.79, 0.05);
  EXPECT_NEAR(d0["box"][3].get<double>(), 543.09, 0.05);
  EXPECT_TRUE(fs::exists(tmp / "out" / "dog.jpg"));
  EXPECT_TRUE(fs::exists(tmp / "out" / "rock-9017563.jpg"));
}

TEST(DetectCli, JsonLinesOnStdout) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  TempDir tmp;
  const auto r = run_command(detect_cmd(fx) + q(fx / "megvii-nano" / "dog.jpg") + " " +
                             q(fx / "images" / "rock-9017563.jpg") + " --no-draw --json -");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    const json j = json::parse(line);
    EXPECT_TRUE(j.contains("image") && j.contains("detections")) << line;
    ++n;
  }
  EXPECT_EQ(n, 2);
}

// The JSON keeps the user's path (lexically normalised), orders keys image, width, height,
// detections (label, class_id, score, box) and prints float32 values in their shortest form.
TEST(DetectCli, JsonLineFormat) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  const fs::path dog = fx / "megvii-nano" / ".." / "megvii-nano" / "." / "dog.jpg";
  const auto r = run_command(detect_cmd(fx) + q(dog) + " --conf 0.3 --no-draw --json -");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string want_prefix =
      "{\"image\":\"" + (fx / "megvii-nano" / "dog.jpg").lexically_normal().string() +
      "\",\"width\":768,\"height\":576,\"detections\":[{\"label\":\"dog\","
      "\"class_id\":16,\"score\":0.85";
  EXPECT_EQ(r.out.substr(0, want_prefix.size()), want_prefix) << r.out;
  // No double noise: every number has at most 9 significant digits.
  const json j = json::parse(r.out);
  for (const auto& d : j["detections"])
    for (const auto& v : d["box"]) {
      const std::string text = v.dump();
      size_t digits = 0;
      for (char c : text) digits += c >= '0' && c <= '9';
      EXPECT_LE(digits, 9u) << text;
    }
}

// The pipeline's options change nothing in the results: batches of 3, two I/O threads, with a
// broken image in the middle (reported, skipped, order kept).
TEST(DetectCli, BatchAndThreadsGiveTheSameJson) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  TempDir tmp;
  fs::create_directories(tmp / "in");
  for (int i = 0; i < 2; ++i)
    for (const char* name : {"peace-9017572.jpg", "rock-9017563.jpg"})
      fs::copy_file(fx / "images" / name, tmp / "in" / (std::to_string(i) + name));
  fs::copy_file(fx / "megvii-nano" / "dog.jpg", tmp / "in" / "dog.jpg");
  std::ofstream(tmp / "in" / "2zbroken.jpg", std::ios::binary) << "\xFF\xD8\xFF not a jpeg";
  // Nano exported by yoloxrt has a dynamic batch axis (Megvii's released ONNX does not).
  auto e = run_command(cli_path() + " export " + q(fx / "megvii-nano" / "yolox_nano.pth") + " -o " +
                       q(tmp / "nano.onnx"));
  ASSERT_EQ(e.exit_code, 0) << e.err;
  std::string outs[2];
  int k = 0;
  for (const char* flags : {" --threads 1 --batch 1 --io-threads 1", " --batch 3 --io-threads 2"}) {
    const auto r =
        run_command(cli_path() + " detect " + q(tmp / "nano.onnx") + " " + q(tmp / "in") + flags +
                    " --size 256 -q -o " + q(tmp / ("out" + std::to_string(k))) + " --json -");
    EXPECT_EQ(r.exit_code, 10) << r.err;  // one input failed
    EXPECT_NE(r.err.find("2zbroken.jpg"), std::string::npos) << r.err;
    outs[k++] = r.out;
  }
  EXPECT_EQ(std::count(outs[0].begin(), outs[0].end(), '\n'), 5);
  EXPECT_NE(outs[0].find("\"label\":\"person\""), std::string::npos) << outs[0];
  EXPECT_EQ(outs[0], outs[1]);
  EXPECT_TRUE(fs::exists(tmp / "out1" / "1rock-9017563.jpg"));
}

TEST(DetectCli, CocoResults) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  TempDir tmp;
  fs::copy_file(fx / "megvii-nano" / "dog.jpg", tmp / "000000000042.jpg");
  const auto r = run_command(detect_cmd(fx) + q(tmp / "000000000042.jpg") +
                             " --no-draw --conf 0.3 --coco " + q(tmp / "coco.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(slurp(tmp / "coco.json"));
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j[0]["image_id"], 42);
  EXPECT_EQ(j[0]["category_id"], 18);  // dog: class 16 -> COCO id 18
  EXPECT_NEAR(j[0]["bbox"][2].get<double>(), 325.69 - 132.79, 0.1);
}

TEST(DetectCli, UnreadableImageAmongGoodOnesIsSkipped) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  TempDir tmp;
  fs::create_directory(tmp / "in");
  fs::copy_file(fx / "megvii-nano" / "dog.jpg", tmp / "in" / "a.jpg");
  std::ofstream(tmp / "in" / "b.jpg") << "not a jpeg";
  fs::copy_file(fx / "images" / "rock-9017563.jpg", tmp / "in" / "c.jpg");
  const auto r = run_command(detect_cmd(fx) + q(tmp / "in") + " -o " + q(tmp / "out") + " --json " +
                             q(tmp / "d.json"));
  EXPECT_EQ(r.exit_code, 10) << r.err;
  EXPECT_NE(r.err.find("b.jpg"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(tmp / "out" / "a.jpg"));
  EXPECT_TRUE(fs::exists(tmp / "out" / "c.jpg"));
  EXPECT_FALSE(fs::exists(tmp / "out" / "b.jpg"));
  EXPECT_EQ(json::parse(slurp(tmp / "d.json")).size(), 2u);
}

TEST(DetectCli, AllInputsFailingExitsWithTheErrorsCode) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  TempDir tmp;
  std::ofstream(tmp / "b.jpg") << "not a jpeg";
  const auto r = run_command(detect_cmd(fx) + q(tmp / "b.jpg") + " -o " + q(tmp / "out"));
  EXPECT_EQ(r.exit_code, 4) << r.err;  // corrupt
}

TEST(DetectCli, MissingModelIsNamed) {
  TempDir tmp;
  const auto r = run_command(cli_path() + " detect " + q(tmp / "nope.onnx") + " x.jpg");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("nope.onnx"), std::string::npos) << r.err;
}

TEST(DetectCli, RefusesToOverwriteInputs) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  TempDir tmp;
  fs::create_directory(tmp / "in");
  fs::copy_file(fx / "megvii-nano" / "dog.jpg", tmp / "in" / "dog.jpg");
  const auto before = slurp(tmp / "in" / "dog.jpg");
  const auto r = run_command(detect_cmd(fx) + q(tmp / "in") + " -o " + q(tmp / "in"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("refusing"), std::string::npos) << r.err;
  EXPECT_EQ(slurp(tmp / "in" / "dog.jpg"), before);
  // Also through a different spelling of the same folder.
  const auto r2 =
      run_command(detect_cmd(fx) + q(tmp / "in" / "dog.jpg") + " -o " + q(tmp / "in" / "." / ""));
  EXPECT_NE(r2.exit_code, 0);
  EXPECT_EQ(slurp(tmp / "in" / "dog.jpg"), before);
}

}  // namespace
}  // namespace yoloxrt::testing
