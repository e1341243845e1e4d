// media_codecs_needed: which codec plugins a job's inputs need; DetectorLoader: a model that
// cannot load fails the future with Detector::open's error.
#include "yoloxrt/detector_loader.h"

#include <gtest/gtest.h>

#include <vector>

#include "support/test_support.h"
#include "yoloxrt/error.h"

namespace yoloxrt {
namespace {

TEST(MediaCodecsNeeded, JpegsNeedNoPluginOtherImagesAndVideosDo) {
  std::vector<PipelineInput> in = {{"a.jpg", false}, {"dir/b.JPEG", false}, {"c.jpe", false}};
  MediaCodecNeeds n = media_codecs_needed(in);
  EXPECT_FALSE(n.images);
  EXPECT_FALSE(n.video);
  in.push_back({"d.png", false});
  n = media_codecs_needed(in);
  EXPECT_TRUE(n.images);
  EXPECT_FALSE(n.video);
  n = media_codecs_needed(std::vector<PipelineInput>{{"e.mp4", true}, {"f.jpg", false}});
  EXPECT_FALSE(n.images);
  EXPECT_TRUE(n.video);
  n = media_codecs_needed({});
  EXPECT_FALSE(n.images || n.video);
}

TEST(DetectorLoader, ModelThatCannotLoadFailsTheFutureWithOpensError) {
  testing::TempDir tmp;
  const DetectorLoader loader(tmp / "missing.onnx", {});
  const std::shared_future<const Detector*> f = loader.future();
  ASSERT_TRUE(f.valid());
  try {
    (void)f.get();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound) << e.what();
    EXPECT_NE(std::string(e.what()).find("missing.onnx"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)loader.get(), Error);  // every call rethrows
}

}  // namespace
}  // namespace yoloxrt
