// Detector::detect is documented thread-safe: one Detector used from 8 threads on 200 distinct
// images must give exactly (bit for bit) the detections a sequential run gives. This is the test
// CI also runs under ThreadSanitizer (the `tsan` preset).
#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "support/test_support.h"
#include "yoloxrt/detector.h"
#include "yoloxrt/image.h"

namespace yoloxrt {
namespace {
namespace fs = std::filesystem;

constexpr int kThreads = 8;
constexpr int kImages = 200;

ImageBuffer to_buffer(const cv::Mat& m) {
  ImageBuffer out(m.cols, m.rows);
  const Image v = out.view();
  for (int y = 0; y < m.rows; ++y) std::memcpy(v.row(y), m.ptr(y), static_cast<size_t>(m.cols) * 3);
  return out;
}

// 200 distinct images from the fixture photos: for each photo, 25 crop origins x {as is,
// mirrored}, each rescaled by one of 7 factors (so sizes, and hence resize plans, differ too).
std::vector<ImageBuffer> make_images(const fs::path& fx) {
  std::vector<fs::path> photos = {fx / "megvii-nano" / "dog.jpg"};
  for (const auto& e : fs::directory_iterator(fx / "images")) photos.push_back(e.path());
  std::sort(photos.begin() + 1, photos.end());
  std::vector<cv::Mat> mats;
  for (const auto& p : photos) {
    const ImageBuffer b = load_image(p);
    const Image v = b.view();
    mats.push_back(cv::Mat(v.height, v.width, CV_8UC3, v.data, v.stride).clone());
  }
  std::vector<ImageBuffer> out;
  for (int i = 0; i < kImages; ++i) {
    const cv::Mat& src = mats[static_cast<size_t>(i) % mats.size()];
    const int j = i / static_cast<int>(mats.size());
    const int x0 = (j % 5) * src.cols / 20, y0 = (j / 5 % 5) * src.rows / 20;
    cv::Mat m = src(cv::Rect(x0, y0, (src.cols - x0) * 7 / 10, (src.rows - y0) * 7 / 10)).clone();
    if (j / 25 % 2) cv::flip(m, m, 1);
    const double scale = 0.35 + 0.05 * (j % 7);
    cv::resize(m, m, cv::Size(), scale, scale, cv::INTER_AREA);
    out.push_back(to_buffer(m));
  }
  return out;
}

bool same(const std::vector<Detection>& a, const std::vector<Detection>& b) {
  if (a.size() != b.size()) return false;
  for (size_t k = 0; k < a.size(); ++k)
    if (a[k].class_id != b[k].class_id || a[k].score != b[k].score || a[k].box.x1 != b[k].box.x1 ||
        a[k].box.y1 != b[k].box.y1 || a[k].box.x2 != b[k].box.x2 || a[k].box.y2 != b[k].box.y2)
      return false;
  return true;
}

TEST(DetectorConcurrency, EightThreadsOnTwoHundredImagesMatchSequential) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  DetectorOptions o;
  o.threads = 1;  // the parallelism under test is the callers'
  o.conf = 0.1f;
  auto det = Detector::open(fx / "megvii-nano" / "yolox_nano.onnx", o);
  const std::vector<ImageBuffer> images = make_images(fx);

  std::vector<std::vector<Detection>> expected;
  size_t total = 0;
  for (const auto& im : images) {
    expected.push_back(det->detect(im.view()));
    total += expected.back().size();
  }
  ASSERT_GT(total, 0u) << "no detections at all: the comparison would prove nothing";

  // Threads take images from a shared counter, so neighbouring calls overlap in every order.
  std::vector<std::vector<Detection>> got(images.size());
  std::atomic<size_t> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      for (size_t i; (i = next.fetch_add(1)) < images.size();)
        got[i] = det->detect(images[i].view());
    });
  for (auto& th : threads) th.join();

  int mismatches = 0;
  for (size_t i = 0; i < images.size(); ++i)
    if (!same(got[i], expected[i]) && ++mismatches <= 5)
      ADD_FAILURE() << "image " << i << ": " << got[i].size() << " detections vs "
                    << expected[i].size() << " sequentially";
  EXPECT_EQ(mismatches, 0);
}

}  // namespace
}  // namespace yoloxrt
