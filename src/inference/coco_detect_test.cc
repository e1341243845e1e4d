// resolve_coco_image: where a ground truth's file_name is looked for, and what is refused.
#include "yoloxrt/coco_detect.h"

#include <gtest/gtest.h>

#include "support/test_support.h"
#include "yoloxrt/error.h"
#include "yoloxrt/file_io.h"

namespace yoloxrt {
namespace {
namespace fs = std::filesystem;

ErrorKind kind_of(const fs::path& dir, const CocoImage& image) {
  try {
    resolve_coco_image(dir, image);
  } catch (const Error& e) {
    return e.kind();
  }
  ADD_FAILURE() << "no error for " << image.file_name;
  return ErrorKind::kRuntime;
}

TEST(ResolveCocoImage, FolderThenLastComponentElseNotFound) {
  testing::TempDir tmp;
  fs::create_directories(tmp / "sub");
  write_file_atomic(tmp / "a.jpg", "x");
  write_file_atomic(tmp / "sub" / "b.jpg", "x");
  EXPECT_EQ(resolve_coco_image(tmp.path(), {1, "a.jpg"}), tmp / "a.jpg");
  EXPECT_EQ(resolve_coco_image(tmp.path(), {2, "sub/b.jpg"}), tmp / "sub" / "b.jpg");
  // "val2017/a.jpg" with the photos directly in the folder.
  EXPECT_EQ(resolve_coco_image(tmp.path(), {3, "val2017/a.jpg"}), tmp / "a.jpg");
  EXPECT_EQ(kind_of(tmp.path(), {4, "c.jpg"}), ErrorKind::kNotFound);
  EXPECT_EQ(kind_of(tmp.path(), {5, ""}), ErrorKind::kNotFound);
  EXPECT_EQ(kind_of(tmp.path(), {6, "sub"}), ErrorKind::kNotFound);  // a folder, not an image
}

TEST(ResolveCocoImage, RefusesPathsLeavingTheFolder) {
  testing::TempDir tmp;
  write_file_atomic(tmp / "a.jpg", "x");
  EXPECT_EQ(kind_of(tmp / "sub", {1, "../a.jpg"}), ErrorKind::kUnsafe);
  EXPECT_EQ(kind_of(tmp.path(), {2, (tmp / "a.jpg").string()}), ErrorKind::kUnsafe);
}

TEST(CocoEvalDetectorOptions, YoloxEvaluationSettings) {
  const DetectorOptions o = coco_eval_detector_options();
  EXPECT_FLOAT_EQ(o.conf, 0.001f);
  EXPECT_FLOAT_EQ(o.iou, 0.65f);
  EXPECT_TRUE(o.per_class);
  EXPECT_EQ(o.max_det, 100u);
}

}  // namespace
}  // namespace yoloxrt
