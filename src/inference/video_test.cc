#include "yoloxrt/video.h"

#include <gtest/gtest.h>

#include "support/test_support.h"
#include "yoloxrt/error.h"
#include "yoloxrt/file_io.h"

namespace yoloxrt {
namespace {

namespace fs = std::filesystem;

ImageBuffer pattern(int w, int h, int t) {
  ImageBuffer img(w, h);
  const Image v = img.view();
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      uint8_t* p = v.row(y) + 3 * x;
      p[0] = static_cast<uint8_t>(x * 4 + t * 20);
      p[1] = static_cast<uint8_t>(y * 4);
      p[2] = 100;
    }
  return img;
}

TEST(Video, WriteThenReadRoundTrip) {
  testing::TempDir tmp;
  const fs::path file = tmp / "clip.avi";
  auto writer = VideoWriter::open(file, 10.0, 64, 48);
  for (int t = 0; t < 5; ++t) writer->write(pattern(64, 48, t).view());
  EXPECT_FALSE(fs::exists(file)) << "visible before close()";
  writer->close();
  ASSERT_TRUE(fs::exists(file));

  auto reader = VideoReader::open(file);
  EXPECT_EQ(reader->width(), 64);
  EXPECT_EQ(reader->height(), 48);
  EXPECT_NEAR(reader->fps(), 10.0, 1e-6);
  ImageBuffer frame;
  int frames = 0;
  while (reader->read(frame)) {
    ASSERT_EQ(frame.width(), 64);
    // MJPG is lossy: compare a smooth region loosely.
    const uint8_t* p = frame.view().row(24) + 3 * 32;
    EXPECT_NEAR(p[1], 24 * 4, 12) << "frame " << frames;
    ++frames;
  }
  EXPECT_EQ(frames, 5);
}

TEST(Video, AbandonedWriterLeavesNothing) {
  testing::TempDir tmp;
  {
    auto writer = VideoWriter::open(tmp / "clip.avi", 10.0, 32, 32);
    writer->write(pattern(32, 32, 0).view());
  }
  EXPECT_TRUE(fs::is_empty(tmp.path()));
}

TEST(Video, MissingAndBogusFilesAreNamed) {
  testing::TempDir tmp;
  try {
    VideoReader::open(tmp / "none.mp4");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
    EXPECT_NE(std::string(e.what()).find("none.mp4"), std::string::npos);
  }
  write_file_atomic(tmp / "bogus.mp4", "this is not a video");
  try {
    auto r = VideoReader::open(tmp / "bogus.mp4");
    ImageBuffer f;
    EXPECT_FALSE(r->read(f));  // some backends open anything and then yield no frame
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bogus.mp4"), std::string::npos);
  }
  EXPECT_TRUE(is_video_extension("a/B.MP4"));
  EXPECT_FALSE(is_video_extension("a/b.jpg"));
}

}  // namespace
}  // namespace yoloxrt
