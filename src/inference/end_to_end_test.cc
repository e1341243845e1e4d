// End-to-end models (NMS in the graph): detect on an `export --nms` model must give what detect on
// the plain export gives with the same thresholds, batched or not; the raw outputs keep the
// EfficientNMS layout (rows past num_dets zero).
#include <algorithm>
#include <cmath>
#include <map>

#include <gtest/gtest.h>

#include "inference/ort_session.h"
#include "support/test_support.h"
#include "yoloxrt/detection.h"
#include "yoloxrt/detector.h"
#include "yoloxrt/export.h"
#include "yoloxrt/image.h"

namespace yoloxrt {
namespace {
namespace fs = std::filesystem;

TEST(DecodeEndToEnd, TakesNumDetsRowsAboveConf) {
  const float boxes[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 9};
  const float scores[] = {0.9f, 0.3f, 0.8f};
  const int32_t classes[] = {4, 5, 6};
  // Row 2 lies past num_dets and is ignored although its score passes.
  auto d = decode_end_to_end_output(2, boxes, scores, classes, 3, 0.25f);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[1].class_id, 5);
  EXPECT_FLOAT_EQ(d[1].box.x1, 5.f);
  EXPECT_FLOAT_EQ(d[1].box.y2, 8.f);
  EXPECT_EQ(decode_end_to_end_output(2, boxes, scores, classes, 3, 0.5f).size(), 1u);
  // num_dets is clamped to 0..k.
  EXPECT_EQ(decode_end_to_end_output(7, boxes, scores, classes, 3, 0.f).size(), 3u);
  EXPECT_TRUE(decode_end_to_end_output(-1, boxes, scores, classes, 3, 0.f).empty());
}

// The official nano weights exported plain and end-to-end, each once per test process and only
// when a test needs it (~0.15 s each); the folder goes at exit.
enum class Variant { kPlain, kEndToEnd, kEndToEndPerClassOpset11 };

fs::path nano_model(const fs::path& fixtures, Variant v) {
  static const testing::TempDir dir;
  static std::map<Variant, fs::path> made;
  if (auto it = made.find(v); it != made.end()) return it->second;
  ExportOptions o;
  std::string name = "plain.onnx";
  if (v == Variant::kEndToEnd) {
    o.nms = NmsSettings{0.25f, 0.45f, 100, false};
    name = "e2e.onnx";
  } else if (v == Variant::kEndToEndPerClassOpset11) {
    o.nms = NmsSettings{0.1f, 0.45f, 100, true};
    o.opset = 11;  // the opset-11 forms of the tail (ReduceSum's axes attribute)
    name = "e2e_per_class.onnx";
  }
  export_checkpoint(fixtures / "megvii-nano" / "yolox_nano.pth", dir / name, o, nullptr);
  return made[v] = dir / name;
}

std::vector<ImageBuffer> photos(const fs::path& fixtures) {
  std::vector<ImageBuffer> v;
  v.push_back(load_image(fixtures / "megvii-nano" / "dog.jpg"));
  for (const auto& e : fs::directory_iterator(fixtures / "images"))
    if (is_image_extension(e.path())) v.push_back(load_image(e.path()));
  return v;
}

DetectorOptions options(float conf, bool per_class) {
  DetectorOptions o;
  o.threads = 1;
  o.conf = conf;
  o.iou = 0.45f;
  o.per_class = per_class;
  o.max_det = 100;
  return o;
}

// Same count and classes in order, IoU >= 0.99, |score difference| <= 1e-4.
void expect_same(const std::vector<Detection>& a, const std::vector<Detection>& b,
                 const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].class_id, b[i].class_id) << what << " #" << i;
    EXPECT_GE(iou(a[i].box, b[i].box), 0.99f) << what << " #" << i;
    EXPECT_LE(std::fabs(a[i].score - b[i].score), 1e-4f) << what << " #" << i;
  }
}

void expect_parity(const fs::path& fixtures, Variant variant, float conf, bool per_class) {
  const fs::path e2e_model = nano_model(fixtures, variant);
  auto plain = Detector::open(nano_model(fixtures, Variant::kPlain), options(conf, per_class));
  auto e2e = Detector::open(e2e_model, options(conf, per_class));
  EXPECT_EQ(e2e->metadata().output_format, OutputFormat::kEndToEnd);
  ASSERT_TRUE(e2e->metadata().nms);
  EXPECT_EQ(e2e->metadata().nms->per_class, per_class);
  size_t total = 0;
  for (const auto& img : photos(fixtures)) {
    const auto want = plain->detect(img.view());
    expect_same(e2e->detect(img.view()), want, "photo " + std::to_string(img.view().width));
    total += want.size();
  }
  EXPECT_GE(total, 10u);  // the photos hold dogs, bikes, cars and people: a real comparison
}

TEST(EndToEndFixture, DetectMatchesPlainExportClassAgnostic) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  expect_parity(fx, Variant::kEndToEnd, 0.25f, false);
}

TEST(EndToEndFixture, DetectMatchesPlainExportPerClassOpset11) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  expect_parity(fx, Variant::kEndToEndPerClassOpset11, 0.1f, true);
}

TEST(EndToEndFixture, BatchOfFourEqualsFourSingleRuns) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  auto det = Detector::open(nano_model(fx, Variant::kEndToEnd), options(0.25f, false));
  const auto imgs = photos(fx);
  ASSERT_EQ(imgs.size(), 4u);
  std::vector<Image> views;
  for (const auto& im : imgs) views.push_back(im.view());
  // Letterbox to 416x416: all four go through one Run.
  const auto batched = det->detect(std::span<const Image>(views));
  for (size_t i = 0; i < views.size(); ++i)
    expect_same(batched[i], det->detect(views[i]), "image " + std::to_string(i));
}

TEST(EndToEndFixture, RowsPastNumDetsAreZero) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  const fs::path model = nano_model(fx, Variant::kEndToEnd);
  Ort::SessionOptions so;
  so.SetIntraOpNumThreads(1);
  Ort::Session session(detail::ort_env(), model.c_str(), so);
  // Two different images in one batch: image 0 is the dog photo's official pre-processing, image
  // 1 is flat grey (few or no detections).
  std::vector<float> input = testing::read_f32(fx / "megvii-nano" / "input_dog_416.f32");
  const size_t per = input.size();
  input.resize(2 * per, 114.f);
  const std::vector<int64_t> shape{2, 3, 416, 416};
  auto mem = Ort::MemoryInfo::CreateCpu(OrtDeviceAllocator, OrtMemTypeCPU);
  Ort::Value in =
      Ort::Value::CreateTensor<float>(mem, input.data(), input.size(), shape.data(), shape.size());
  const char* in_names[] = {"images"};
  auto out = session.Run(Ort::RunOptions{nullptr}, in_names, &in, 1, kEndToEndOutputs, 4);
  ASSERT_EQ(out[1].GetTensorTypeAndShapeInfo().GetShape(), (std::vector<int64_t>{2, 100, 4}));
  ASSERT_EQ(out[0].GetTensorTypeAndShapeInfo().GetShape(), (std::vector<int64_t>{2, 1}));
  const int32_t* num = out[0].GetTensorData<int32_t>();
  const float* boxes = out[1].GetTensorData<float>();
  const float* scores = out[2].GetTensorData<float>();
  const int32_t* classes = out[3].GetTensorData<int32_t>();
  EXPECT_GE(num[0], 3);  // dog, bicycle, car at >= 0.25 (the official demo's)
  EXPECT_LT(num[1], num[0]);
  for (int b = 0; b < 2; ++b) {
    for (int r = 0; r < 100; ++r) {
      const size_t row = static_cast<size_t>(b * 100 + r);
      if (r < num[b]) {
        EXPECT_GT(scores[row], 0.25f);
        EXPECT_GT(boxes[row * 4 + 2], boxes[row * 4]);  // x2 > x1
        if (r > 0) {
          EXPECT_LE(scores[row], scores[row - 1]);
        }
      } else {
        EXPECT_EQ(scores[row], 0.f);
        EXPECT_EQ(classes[row], 0);
        for (int c = 0; c < 4; ++c) EXPECT_EQ(boxes[row * 4 + c], 0.f);
      }
    }
  }
  EXPECT_EQ(classes[0], 16);  // dog
}

}  // namespace
}  // namespace yoloxrt
