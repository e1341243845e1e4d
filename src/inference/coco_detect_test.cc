// resolve_coco_image: where a ground truth's file_name is looked for, and what is refused.
// detect_coco_images: the pipelined run gives what a one-image-at-a-time loop gives (detections and
// results file bytes), and the first failing image (in ground-truth order) stops it, named.
#include "yoloxrt/coco_detect.h"

#include <gtest/gtest.h>

#include "support/test_support.h"
#include "yoloxrt/detector_loader.h"
#include "yoloxrt/error.h"
#include "yoloxrt/export.h"
#include "yoloxrt/file_io.h"
#include "yoloxrt/image.h"
#include "yoloxrt/results.h"

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

// --- detect_coco_images ----------------------------------------------------------------------

// The official nano weights exported by yoloxrt (dynamic batch), run at 160 x 160 letterbox so
// that every photo has the same input size (batches form) and a Run costs a few ms.
std::unique_ptr<Detector> small_nano(const fs::path& fx, const fs::path& dir) {
  const fs::path model = dir / "nano.onnx";
  export_checkpoint(fx / "megvii-nano" / "yolox_nano.pth", model, {}, nullptr);
  DetectorOptions o = coco_eval_detector_options();
  o.threads = 1;
  o.height = 160;
  o.width = 160;
  return Detector::open(model, o);
}

// The first `n` images of the shared COCO ground truth.
CocoGroundTruth first_images(const fs::path& fx, size_t n) {
  CocoGroundTruth gt = read_coco_ground_truth(fx / "coco-val2017" / "instances.json");
  gt.images.resize(std::min(n, gt.images.size()));
  return gt;
}

std::vector<int64_t> coco80_mapping() {
  const auto ids = coco80_category_ids();
  return std::vector<int64_t>(ids.begin(), ids.end());
}

TEST(DetectCocoImages, PipelinedEqualsOneImageAtATime) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  testing::TempDir tmp;
  const auto det = small_nano(fx, tmp.path());
  const CocoGroundTruth gt = first_images(fx, 8);
  ASSERT_EQ(gt.images.size(), 8u);
  const fs::path images = fx / "coco-val2017" / "images";
  const std::vector<int64_t> mapping = coco80_mapping();

  // The reference: load_image + Detector::detect, one image after the other, written and read
  // back as detect_coco_images documents.
  CocoCategoryMap categories;
  for (const int64_t id : mapping) categories.category_ids.push_back(static_cast<int>(id));
  std::string want_json;
  std::vector<CocoDetection> want;
  for (const CocoImage& img : gt.images) {
    const fs::path path = resolve_coco_image(images, img);
    const ImageBuffer buffer = load_image(path);
    const ImageResult r{path.string(), std::nullopt, buffer.width(), buffer.height(),
                        det->detect(buffer.view())};
    if (r.detections.empty()) continue;
    const std::string text = coco_results_json(r, img.id, categories);
    want_json += (want_json.empty() ? "[\n" : ",\n") + text;
    const auto parsed = parse_coco_results("[" + text + "]");
    want.insert(want.end(), parsed.begin(), parsed.end());
  }
  want_json += want_json.empty() ? "[]\n" : "\n]\n";
  ASSERT_GT(want.size(), 50u);

  struct Setting {
    int decode_threads;
    size_t batch, in_flight;
  };
  for (const Setting s : {Setting{2, 1, 0}, Setting{1, 3, 16}, Setting{3, 2, 3}}) {
    SCOPED_TRACE(::testing::Message() << "decode " << s.decode_threads << " batch " << s.batch
                                      << " in flight " << s.in_flight);
    CocoDetectOptions o;
    o.keep_results_json = true;
    o.pipeline.decode_threads = s.decode_threads;
    o.pipeline.batch = s.batch;
    o.pipeline.max_in_flight = s.in_flight;
    std::vector<size_t> progress;
    o.progress = [&](size_t done, size_t total, const std::string& name) {
      EXPECT_EQ(total, 8u);
      EXPECT_EQ(name, gt.images[done - 1].file_name);
      progress.push_back(done);
    };
    const CocoDetectRun run = detect_coco_images(*det, gt, images, mapping, o);
    EXPECT_EQ(run.results_json, want_json);
    ASSERT_EQ(run.detections.size(), want.size());
    for (size_t k = 0; k < want.size(); ++k) {
      EXPECT_EQ(run.detections[k].image_id, want[k].image_id) << k;
      EXPECT_EQ(run.detections[k].category_id, want[k].category_id) << k;
      EXPECT_EQ(run.detections[k].score, want[k].score) << k;
      EXPECT_EQ(run.detections[k].bbox.x, want[k].bbox.x) << k;
      EXPECT_EQ(run.detections[k].bbox.y, want[k].bbox.y) << k;
      EXPECT_EQ(run.detections[k].bbox.w, want[k].bbox.w) << k;
      EXPECT_EQ(run.detections[k].bbox.h, want[k].bbox.h) << k;
    }
    EXPECT_EQ(progress, (std::vector<size_t>{1, 2, 3, 4, 5, 6, 7, 8}));
    EXPECT_EQ(run.stats.images, 8u);
    // Whether batches form depends on timing (infer does not wait for a fuller batch once every
    // slot is taken), so only the bounds are certain: no Run holds more than `batch` images.
    EXPECT_GE(run.stats.batches, (8u + s.batch - 1) / s.batch);
    EXPECT_LE(run.stats.batches, 8u);
    // With more slots than images infer always waits for a full batch (or the end): certain.
    if (s.batch > 1 && s.in_flight > 8) EXPECT_EQ(run.stats.batches, (8u + s.batch - 1) / s.batch);
  }
}

TEST(DetectCocoImages, FirstFailingImageStopsTheRunNamingIt) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  testing::TempDir tmp;
  const auto det = small_nano(fx, tmp.path());
  CocoGroundTruth gt = first_images(fx, 3);
  const fs::path dir = tmp / "images";
  fs::create_directories(dir);
  for (const CocoImage& img : gt.images)
    fs::create_symlink(fx / "coco-val2017" / "images" / img.file_name, dir / img.file_name);
  // Two broken images; the first in ground-truth order is the one reported.
  write_file_atomic(dir / "bad.jpg", "\xff\xd8\xff\xe0 not a jpeg");
  write_file_atomic(dir / "empty.jpg", "");
  gt.images.insert(gt.images.begin() + 1, CocoImage{7, "bad.jpg", 0, 0});
  gt.images.push_back(CocoImage{8, "empty.jpg", 0, 0});
  CocoDetectOptions o;
  o.pipeline.decode_threads = 2;
  std::vector<size_t> progress;
  o.progress = [&](size_t done, size_t, const std::string&) { progress.push_back(done); };
  try {
    detect_coco_images(*det, gt, dir, coco80_mapping(), o);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.file(), (dir / "bad.jpg").string()) << e.what();
  }
  EXPECT_EQ(progress, std::vector<size_t>{1});  // the image before it, nothing after
}

// The overload taking a loading detector: the same results as the other, the class mapping made
// from the model's names and reported once before any progress; a model that cannot load is the
// error reported, before any image's, and no progress or ready call happens.
TEST(DetectCocoImages, WhileTheModelLoadsGivesTheSameResults) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  testing::TempDir tmp;
  const auto det = small_nano(fx, tmp.path());  // exports tmp/nano.onnx
  const CocoGroundTruth gt = first_images(fx, 4);
  const fs::path images = fx / "coco-val2017" / "images";
  CocoDetectOptions o;
  o.keep_results_json = true;
  o.pipeline.decode_threads = 2;
  const CocoDetectRun want = detect_coco_images(*det, gt, images, coco80_mapping(), o);
  ASSERT_GT(want.detections.size(), 10u);

  DetectorOptions lo = coco_eval_detector_options();  // as small_nano
  lo.threads = 1;
  lo.height = 160;
  lo.width = 160;
  const DetectorLoader loader(tmp / "nano.onnx", lo);
  int ready_calls = 0;
  std::vector<size_t> progress;
  o.ready = [&](const Detector& d, const CocoClassMapping& m) {
    EXPECT_EQ(&d, &loader.get());
    EXPECT_TRUE(m.by_name);
    EXPECT_EQ(m.category_ids, coco80_mapping());
    EXPECT_TRUE(progress.empty());
    ++ready_calls;
  };
  o.progress = [&](size_t done, size_t, const std::string&) { progress.push_back(done); };
  const CocoDetectRun run = detect_coco_images(loader.future(), gt, images, o);
  EXPECT_EQ(ready_calls, 1);
  EXPECT_EQ(progress, (std::vector<size_t>{1, 2, 3, 4}));
  EXPECT_EQ(run.results_json, want.results_json);
  EXPECT_EQ(run.detections.size(), want.detections.size());
  EXPECT_EQ(run.stats.images, 4u);

  // A model that cannot load, and a broken image: the model's error.
  write_file_atomic(tmp / "bad.jpg", "\xff\xd8\xff\xe0 not a jpeg");
  CocoGroundTruth broken = gt;
  broken.images.insert(broken.images.begin(), CocoImage{7, "bad.jpg", 0, 0});
  fs::create_directories(tmp / "imgs");
  fs::copy_file(tmp / "bad.jpg", tmp / "imgs" / "bad.jpg");
  for (const CocoImage& img : gt.images)
    fs::create_symlink(images / img.file_name, tmp / "imgs" / img.file_name);
  const DetectorLoader missing(tmp / "missing.onnx", lo);
  ready_calls = 0;
  progress.clear();
  try {
    detect_coco_images(missing.future(), broken, tmp / "imgs", o);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound) << e.what();
    EXPECT_NE(std::string(e.what()).find("missing.onnx"), std::string::npos) << e.what();
  }
  EXPECT_EQ(ready_calls, 0);
  EXPECT_TRUE(progress.empty());
}

}  // namespace
}  // namespace yoloxrt
