// `yoloxrt detect` on a video: annotated video out, one JSON record per frame.
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "yoloxrt/image.h"
#include "yoloxrt/video.h"

namespace yoloxrt::testing {
namespace {
namespace fs = std::filesystem;

TEST(DetectVideoCli, AnnotatedVideoAndPerFrameJson) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  TempDir tmp;
  // A 4-frame clip of the dog photo, shifted a little each frame.
  const ImageBuffer dog = load_image(fx / "megvii-nano" / "dog.jpg");
  {
    auto w = VideoWriter::open(tmp / "clip.avi", 5.0, 640, 480);
    for (int t = 0; t < 4; ++t) {
      ImageBuffer f(640, 480);
      for (int y = 0; y < 480; ++y)
        std::copy_n(dog.view().row(y) + 3 * (t * 20), 640 * 3, f.view().row(y));
      w->write(f.view());
    }
    w->close();
  }
  const auto r =
      run_command(cli_path() + " detect '" + (fx / "megvii-nano" / "yolox_nano.onnx").string() +
                  "' '" + (tmp / "clip.avi").string() + "' -q --conf 0.3 -o '" +
                  (tmp / "out").string() + "' --json '" + (tmp / "d.json").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(tmp / "d.json");
  const auto j = nlohmann::json::parse(in);
  ASSERT_EQ(j.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(j[i]["frame"], i);
    EXPECT_EQ(j[i]["width"], 640);
    EXPECT_FALSE(j[i]["detections"].empty());
  }
  auto reader = VideoReader::open(tmp / "out" / "clip.avi");
  ImageBuffer frame;
  int n = 0;
  while (reader->read(frame)) ++n;
  EXPECT_EQ(n, 4);
  for (const auto& e : fs::directory_iterator(tmp / "out"))
    EXPECT_EQ(e.path().filename(), "clip.avi") << "left behind: " << e.path();
}

}  // namespace
}  // namespace yoloxrt::testing
