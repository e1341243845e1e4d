// Detector tests on the Megvii YOLOX-Nano fixture: detections parity with the official demo,
// pre-processing parity with the official preproc, batching and concurrency.
#include "yoloxrt/detector.h"

#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "inference/preprocess.h"
#include "support/test_support.h"
#include "yoloxrt/error.h"

namespace yoloxrt {
namespace {
namespace fs = std::filesystem;

DetectorOptions megvii_options() {
  DetectorOptions o;
  o.threads = 1;
  o.conf = 0.1f;
  o.iou = 0.45f;
  o.resize = ResizePolicy::kLetterbox;
  o.height = o.width = 416;
  return o;
}

TEST(DetectorFixture, MegviiNanoInfersItsFormatFromShapes) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  auto det = Detector::open(fx / "megvii-nano" / "yolox_nano.onnx", {});
  const ModelMetadata& md = det->metadata();
  EXPECT_FALSE(md.has_yoloxrt_metadata);
  EXPECT_EQ(md.family, Family::kMegvii);
  EXPECT_EQ(md.output_format, OutputFormat::kRaw);
  EXPECT_EQ(md.channel_order, ChannelOrder::kBGR);
  EXPECT_EQ(md.input_range, 255.f);
  EXPECT_EQ(md.resize, ResizePolicy::kLetterbox);
  EXPECT_EQ(md.class_names.size(), 80u);
  EXPECT_TRUE(det->fixed_input());
  EXPECT_EQ(*det->options().height, 416);
}

TEST(DetectorFixture, MegviiNanoDogMatchesOfficialDemo) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  const fs::path dir = fx / "megvii-nano";
  auto det = Detector::open(dir / "yolox_nano.onnx", megvii_options());
  const ImageBuffer img = load_image(dir / "dog.jpg");
  const auto dets = det->detect(img.view());

  std::ifstream in(dir / "detections_dog.json");
  const auto ref = nlohmann::json::parse(in)["detections"];
  ASSERT_EQ(dets.size(), ref.size());
  for (size_t i = 0; i < dets.size(); ++i) {
    const auto& r = ref[i];
    const Box rb{r["x0"].get<float>(), r["y0"].get<float>(), r["x1"].get<float>(),
                 r["y1"].get<float>()};
    EXPECT_EQ(dets[i].class_id, r["class_id"].get<int>()) << i;
    EXPECT_GE(iou(dets[i].box, rb), 0.99f) << i;
    EXPECT_NEAR(dets[i].score, r["score"].get<float>(), 1e-3) << i;
    EXPECT_EQ(class_label(det->metadata().class_names, dets[i].class_id),
              r["class_name"].get<std::string>());
    const float box_diff =
        std::max({std::abs(dets[i].box.x1 - rb.x1), std::abs(dets[i].box.y1 - rb.y1),
                  std::abs(dets[i].box.x2 - rb.x2), std::abs(dets[i].box.y2 - rb.y2)});
    std::printf("[ detection %zu ] %s score %.6f (ref %.6f) max box diff %.4f px\n", i,
                r["class_name"].get<std::string>().c_str(), dets[i].score, r["score"].get<float>(),
                box_diff);
  }
}

TEST(DetectorFixture, LetterboxTensorMatchesOfficialPreproc) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  const fs::path dir = fx / "megvii-nano";
  const auto expected = testing::read_f32(dir / "input_dog_416.f32");
  ASSERT_EQ(expected.size(), 3u * 416 * 416);
  const ImageBuffer img = load_image(dir / "dog.jpg");
  const auto plan = plan_resize(ResizePolicy::kLetterbox, img.width(), img.height(), 416, 416);
  std::vector<float> t(expected.size());
  detail::preprocess_image(img.view(), plan, {InputLayout::kNCHW, ChannelOrder::kBGR, 255.f},
                           t.data());
  float max_diff = 0.f;
  size_t differing = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    const float d = std::abs(t[i] - expected[i]);
    max_diff = std::max(max_diff, d);
    differing += d > 0.f;
  }
  std::printf("[ preproc parity ] max abs diff %.3f, %zu of %zu values differ\n", max_diff,
              differing, t.size());
  // Same cv::resize INTER_LINEAR; only libjpeg decoder differences could show up (1-2 levels).
  EXPECT_LE(max_diff, 2.f);
}

TEST(DetectorFixture, RawOutputDecodeMatchesFixture) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  const fs::path dir = fx / "megvii-nano";
  const auto raw = testing::read_f32(dir / "raw_output_dog_416.f32");
  ASSERT_EQ(raw.size(), 3549u * 85);
  const int strides[] = {8, 16, 32};
  auto dets =
      nms(decode_raw_output(raw.data(), 3549, 85, 416, 416, strides, 0.1f), {0.45f, false, 300});
  const auto plan = plan_resize(ResizePolicy::kLetterbox, 768, 576, 416, 416);
  std::ifstream in(dir / "detections_dog.json");
  const auto ref = nlohmann::json::parse(in)["detections"];
  ASSERT_EQ(dets.size(), ref.size());
  for (size_t i = 0; i < dets.size(); ++i) {
    const Box b = map_box_to_original(dets[i].box, plan);
    EXPECT_NEAR(b.x1, ref[i]["x0"].get<float>(), 1e-2);
    EXPECT_NEAR(b.y2, ref[i]["y1"].get<float>(), 1e-2);
    EXPECT_NEAR(dets[i].score, ref[i]["score"].get<float>(), 1e-5);
  }
}

TEST(DetectorFixture, BatchEqualsSingle) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  const fs::path dir = fx / "megvii-nano";
  auto det = Detector::open(dir / "yolox_nano.onnx", megvii_options());
  const ImageBuffer img = load_image(dir / "dog.jpg");
  const Image images[] = {img.view(), img.view()};
  const auto batch = det->detect(std::span<const Image>(images));
  const auto single = det->detect(img.view());
  ASSERT_EQ(batch.size(), 2u);
  for (const auto& b : batch) {
    ASSERT_EQ(b.size(), single.size());
    for (size_t i = 0; i < b.size(); ++i) EXPECT_FLOAT_EQ(b[i].score, single[i].score);
  }
}

// Per-image thresholds (what a server batching requests with their own query thresholds uses)
// give what a Detector opened with those thresholds gives.
TEST(DetectorFixture, PerImageParamsEqualDetectorsOpenedWithThem) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  const fs::path dir = fx / "megvii-nano";
  const ImageBuffer img = load_image(dir / "dog.jpg");
  auto loose = megvii_options();  // conf 0.1
  auto strict = megvii_options();
  strict.conf = 0.5f;
  strict.max_det = 2;
  auto det = Detector::open(dir / "yolox_nano.onnx", loose);
  const auto expect_loose = det->detect(img.view());
  const auto expect_strict = Detector::open(dir / "yolox_nano.onnx", strict)->detect(img.view());
  ASSERT_GT(expect_loose.size(), expect_strict.size());
  const Image images[] = {img.view(), img.view()};
  const DetectParams params[] = {{0.5f, 0.45f, false, 2}, {0.1f, 0.45f, false, 300}};
  const auto got = det->detect(std::span<const Image>(images), std::span<const DetectParams>(params));
  ASSERT_EQ(got.size(), 2u);
  auto same = [](const std::vector<Detection>& a, const std::vector<Detection>& b) {
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].class_id, b[i].class_id);
      EXPECT_EQ(a[i].score, b[i].score);
      EXPECT_EQ(a[i].box.x1, b[i].box.x1);
      EXPECT_EQ(a[i].box.y2, b[i].box.y2);
    }
  };
  same(got[0], expect_strict);
  same(got[1], expect_loose);
  const DetectParams bad[] = {{1.5f, 0.45f, false, 300}, {0.1f, 0.45f, false, 300}};
  EXPECT_THROW(det->detect(std::span<const Image>(images), std::span<const DetectParams>(bad)),
               Error);
  EXPECT_THROW(det->detect(std::span<const Image>(images), std::span<const DetectParams>(bad, 1)),
               Error);
}

TEST(DetectorFixture, ConcurrentDetectEqualsSequential) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  const fs::path dir = fx / "megvii-nano";
  auto det = Detector::open(dir / "yolox_nano.onnx", megvii_options());
  std::vector<ImageBuffer> imgs;
  imgs.push_back(load_image(dir / "dog.jpg"));
  for (const auto& e : fs::directory_iterator(fx / "images")) imgs.push_back(load_image(e.path()));
  std::vector<std::vector<Detection>> expected;
  for (const auto& im : imgs) expected.push_back(det->detect(im.view()));

  constexpr int kThreads = 4, kRuns = 5;
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRuns; ++r)
        for (size_t i = 0; i < imgs.size(); ++i) {
          const auto got = det->detect(imgs[(i + static_cast<size_t>(t)) % imgs.size()].view());
          const auto& want = expected[(i + static_cast<size_t>(t)) % imgs.size()];
          if (got.size() != want.size()) {
            ++mismatches[t];
            continue;
          }
          for (size_t k = 0; k < got.size(); ++k)
            if (got[k].score != want[k].score || got[k].class_id != want[k].class_id ||
                got[k].box.x1 != want[k].box.x1 || got[k].box.y2 != want[k].box.y2)
              ++mismatches[t];
        }
    });
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

TEST(DetectorFixture, TimingStatsAreCollected) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  const fs::path dir = fx / "megvii-nano";
  auto o = megvii_options();
  o.collect_timing = true;
  auto det = Detector::open(dir / "yolox_nano.onnx", o);
  const ImageBuffer img = load_image(dir / "dog.jpg");
  det->detect(img.view());
  const TimingStats s = det->timing();
  EXPECT_EQ(s.images, 1u);
  EXPECT_GT(s.run_ns, 0u);
}

TEST(DetectorFixture, RejectsAFixedSizeMismatch) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  auto o = megvii_options();
  o.height = o.width = 640;
  EXPECT_THROW(Detector::open(fx / "megvii-nano" / "yolox_nano.onnx", o), Error);
}

TEST(DetectorFixture, UnknownProviderListsAvailable) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  DetectorOptions o;
  o.providers = {"nonesuch"};
  try {
    Detector::open(fx / "megvii-nano" / "yolox_nano.onnx", o);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("CPUExecutionProvider"), std::string::npos) << e.what();
  }
}

TEST(DetectorFixture, OptimisedModelCacheIsWrittenThenUsed) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  testing::TempDir tmp;
  auto o = megvii_options();
  o.cache_path = tmp / "nano.opt.onnx";
  const ImageBuffer img = load_image(fx / "megvii-nano" / "dog.jpg");
  std::vector<Detection> first, second;
  {
    auto det = Detector::open(fx / "megvii-nano" / "yolox_nano.onnx", o);
    first = det->detect(img.view());
  }
  ASSERT_TRUE(fs::exists(o.cache_path));
  const auto t = fs::last_write_time(o.cache_path);
  {
    auto det = Detector::open(fx / "megvii-nano" / "yolox_nano.onnx", o);
    second = det->detect(img.view());
  }
  EXPECT_EQ(fs::last_write_time(o.cache_path), t);  // loaded, not rewritten
  ASSERT_EQ(first.size(), second.size());
  for (size_t i = 0; i < first.size(); ++i) EXPECT_NEAR(first[i].score, second[i].score, 1e-5);
}

TEST(Detector, MissingModelIsNotFound) {
  try {
    Detector::open("/nonexistent/model.onnx");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
    EXPECT_EQ(e.file(), "/nonexistent/model.onnx");
  }
}

TEST(Detector, GarbageModelIsCorruptAndNamed) {
  testing::TempDir tmp;
  const fs::path p = tmp / "bad.onnx";
  std::ofstream(p) << "this is not an onnx model";
  try {
    Detector::open(p);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kCorrupt);
    EXPECT_EQ(e.file(), p.string());
  }
}

TEST(InspectModel, MegviiNanoSignature) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  const ModelInfo io = inspect_model(fx / "megvii-nano" / "yolox_nano.onnx");
  ASSERT_EQ(io.inputs.size(), 1u);
  EXPECT_EQ(io.inputs[0].name, "images");
  EXPECT_EQ(io.inputs[0].shape, (std::vector<int64_t>{1, 3, 416, 416}));
  EXPECT_EQ(io.outputs[0].shape, (std::vector<int64_t>{1, 3549, 85}));
  EXPECT_EQ(io.inputs[0].element_type, "float32");
}

}  // namespace
}  // namespace yoloxrt
