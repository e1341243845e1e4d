// End-to-end tests of `yoloxrt quantize` and `yoloxrt export --int8` on a tiny random-weight model.
#include <fstream>

#include <gtest/gtest.h>

#include "export/test_checkpoints.h"
#include "support/test_support.h"
#include "yoloxrt/image.h"

namespace yoloxrt::testing {
namespace {
namespace fs = std::filesystem;

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

// A small checkpoint (depth 0.33, width 0.125, 2 classes) and 3 synthetic calibration photos.
struct SmallModel {
  TempDir dir;
  fs::path pth, calib;
  SmallModel() {
    const auto arch = exporter::architecture_from_factors(0.33, 0.125, false, 2);
    pth = write_random_checkpoint(dir.path(), "small", arch, Family::kCjm, 11);
    calib = dir / "calib";
    fs::create_directories(calib);
    for (int i = 0; i < 3; ++i) {
      ImageBuffer img(96, 64 + 16 * i);
      Image v = img.view();
      for (int y = 0; y < v.height; ++y)
        for (int x = 0; x < v.width * 3; ++x)
          v.row(y)[x] = static_cast<uint8_t>(x * 7 + y * (i + 2));
      save_image(calib / ("p" + std::to_string(i) + ".jpg"), v);
    }
  }
};

std::string file_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(QuantizeCli, ExportInt8ThenDetect) {
  SmallModel s;
  const fs::path out = s.dir / "small.int8.onnx";
  const std::string common = " --depth 0.33 --width 0.125 --fixed 64x64 --calib-count 2";
  CommandResult r = run_command(cli_path() + " export " + q(s.pth) + common + " --int8 --calib " +
                                q(s.calib) + " -o " + q(out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("calibrated"), std::string::npos) << r.out;
  const std::string bytes = file_text(out);
  EXPECT_NE(bytes.find("yoloxrt.quantization"), std::string::npos);
  EXPECT_NE(bytes.find("QuantizeLinear"), std::string::npos);
  // Only the INT8 model was left behind.
  size_t onnx_files = 0;
  for (const auto& e : fs::directory_iterator(s.dir.path()))
    onnx_files += e.path().extension() == ".onnx";
  EXPECT_EQ(onnx_files, 1u);
  r = run_command(cli_path() + " detect " + q(out) + " " + q(s.calib / "p0.jpg") +
                  " --conf 0 --no-draw --json -");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"detections\""), std::string::npos);
  // `info` says how the model was quantized (the stem stays float by default).
  r = run_command(cli_path() + " info " + q(out));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("quantized: QDQ, weights int8 symmetric per-channel, activations uint8, "
                       "percentile calibration on 2 images"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("stem"), std::string::npos) << r.out;
  // Quantizing the result again is refused, and nothing is written.
  r = run_command(cli_path() + " quantize " + q(out) + " --calib " + q(s.calib) + " -o " +
                  q(s.dir / "again.onnx"));
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_NE(r.err.find("already quantized"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(s.dir / "again.onnx"));
}

TEST(QuantizeCli, EmptyCalibrationFolderIsAnError) {
  SmallModel s;
  const fs::path model = s.dir / "small.onnx";
  ASSERT_EQ(run_command(cli_path() + " export " + q(s.pth) + " --depth 0.33 --width 0.125 -o " +
                        q(model) + " -q")
                .exit_code,
            0);
  fs::create_directories(s.dir / "empty");
  const CommandResult r = run_command(cli_path() + " quantize " + q(model) + " --calib " +
                                      q(s.dir / "empty") + " -o " + q(s.dir / "x.onnx"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("no image files"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(s.dir / "x.onnx"));
}

TEST(QuantizeCli, FloatBelowDbAndAllInt8) {
  SmallModel s;
  const fs::path model = s.dir / "small.onnx";
  ASSERT_EQ(run_command(cli_path() + " export " + q(s.pth) +
                        " --depth 0.33 --width 0.125 --fixed 64x64 -o " + q(model) + " -q")
                .exit_code,
            0);
  const std::string base = cli_path() + " quantize " + q(model) + " --calib " + q(s.calib);
  // A threshold above every conv's estimate keeps them all float but one is needed: refused.
  CommandResult r =
      run_command(base + " --float-below-db 1000 --sqnr-dense -o " + q(s.dir / "none.onnx"));
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_NE(r.err.find("every convolution is excluded"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(s.dir / "none.onnx"));
  // A threshold of 35 dB keeps some convs float and says which, with their estimates.
  r = run_command(base + " --float-below-db 35 -o " + q(s.dir / "dense.onnx"));
  ASSERT_EQ(r.exit_code, 0) << r.err;  // no depthwise conv: the rule judges none by default
  EXPECT_EQ(r.out.find("kept float"), std::string::npos) << r.out;
  r = run_command(base + " --float-below-db 35 --sqnr-dense -o " + q(s.dir / "some.onnx"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("kept float by estimated SQNR (< 35.0 dB"), std::string::npos) << r.out;
  EXPECT_NE(file_text(s.dir / "some.onnx").find("estimated SQNR"), std::string::npos);
  // --all-int8: the stem too, no rule; the metadata lists no float conv.
  r = run_command(base + " --all-int8 -o " + q(s.dir / "all.onnx"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("kept float"), std::string::npos) << r.out;
  const std::string all = file_text(s.dir / "all.onnx");
  EXPECT_NE(all.find("\"float_convs\":[]"), std::string::npos);
  EXPECT_NE(all.find("\"stem\":\"int8\""), std::string::npos);
}

}  // namespace
}  // namespace yoloxrt::testing
