// run_pipeline must give exactly what a sequential loop gives (detections bit for bit, JSON bytes,
// order), report failing inputs in their place, keep memory bounded, and batch without changing
// results. PipelineConcurrency.* is also run under ThreadSanitizer (the `tsan` preset).
#include "yoloxrt/pipeline.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "support/test_support.h"
#include "yoloxrt/detector.h"
#include "yoloxrt/error.h"
#include "yoloxrt/export.h"
#include "yoloxrt/image.h"
#include "yoloxrt/results.h"
#include "yoloxrt/video.h"

namespace yoloxrt {
namespace {
namespace fs = std::filesystem;

// The official nano weights exported by yoloxrt (dynamic batch, height and width), shared by the
// tests of this file. Returns an empty path without fixtures.
fs::path nano_model() {
  static const testing::TempDir* dir = new testing::TempDir();  // lives until exit
  static const fs::path model = [] {
    const auto fx = testing::fixtures_dir();
    if (!fx) return fs::path();
    const fs::path out = dir->path() / "nano.onnx";
    export_checkpoint(*fx / "megvii-nano" / "yolox_nano.pth", out, {}, nullptr);
    return out;
  }();
  return model;
}

// Small options so that a Run costs a few ms: 160 x 160 letterbox.
DetectorOptions small_options() {
  DetectorOptions o;
  o.threads = 1;
  o.conf = 0.05f;
  o.height = 160;
  o.width = 160;
  return o;
}

ImageBuffer from_mat(const cv::Mat& m) {
  ImageBuffer out(m.cols, m.rows);
  const Image v = out.view();
  for (int y = 0; y < m.rows; ++y) std::memcpy(v.row(y), m.ptr(y), static_cast<size_t>(m.cols) * 3);
  return out;
}

cv::Mat to_mat(const ImageBuffer& b) {
  const Image v = b.view();
  return cv::Mat(v.height, v.width, CV_8UC3, v.data, v.stride).clone();
}

// `count` image files of a few sizes (so batches group by size) cut from the fixture photos,
// JPEG and PNG; every `bad_every`-th input is broken in turn: a missing file, a corrupt JPEG, an
// empty file.
std::vector<PipelineInput> make_inputs(const fs::path& fx, const fs::path& dir, int count,
                                       int bad_every) {
  std::vector<cv::Mat> photos;
  for (const char* p : {"megvii-nano/dog.jpg", "images/rock-9017563.jpg"})
    photos.push_back(to_mat(load_image(fx / p)));
  std::vector<PipelineInput> inputs;
  for (int i = 0; i < count; ++i) {
    const fs::path base = dir / ("img" + std::to_string(100 + i));
    if (bad_every > 0 && i % bad_every == bad_every - 1) {
      const int kind = (i / bad_every) % 3;
      fs::path p = base;
      p += kind == 0 ? ".missing.jpg" : ".jpg";
      if (kind == 1) std::ofstream(p, std::ios::binary) << "\xFF\xD8\xFF garbage";
      if (kind == 2) std::ofstream(p, std::ios::binary).flush();
      inputs.push_back({p, false});
      continue;
    }
    const cv::Mat& src = photos[static_cast<size_t>(i) % photos.size()];
    const int x0 = (i * 37) % (src.cols / 4), y0 = (i * 23) % (src.rows / 4);
    cv::Mat m = src(cv::Rect(x0, y0, src.cols * 3 / 4, src.rows * 3 / 4)).clone();
    const double scale = 200.0 / std::max(m.cols, m.rows) * (1 + i % 3 * 0.5);
    cv::resize(m, m, cv::Size(), scale, scale, cv::INTER_AREA);
    fs::path p = base;
    p += i % 4 == 1 ? ".png" : ".jpg";
    save_image(p, from_mat(m).view());
    inputs.push_back({p, false});
  }
  return inputs;
}

// What the sequential loop gives: one JSON line per input, or "error: <what>".
std::vector<std::string> sequential(const Detector& det, const std::vector<PipelineInput>& inputs,
                                    const std::vector<std::string>& names, size_t* detections) {
  std::vector<std::string> out;
  for (const auto& in : inputs) {
    try {
      const ImageBuffer img = load_image(in.path);
      ImageResult r{in.path.string(), std::nullopt, img.width(), img.height(),
                    det.detect(img.view())};
      *detections += r.detections.size();
      out.push_back(detection_json(r, names));
    } catch (const Error& e) {
      out.push_back(std::string("error: ") + e.what());
    }
  }
  return out;
}

std::string line_of(const PipelineItem& it, const std::vector<std::string>& names) {
  if (it.error) {
    try {
      std::rethrow_exception(it.error);
    } catch (const Error& e) {
      return std::string("error: ") + e.what();
    } catch (const std::exception& e) {
      return std::string("foreign: ") + e.what();
    }
  }
  ImageResult r{it.source->path.string(), std::nullopt, it.width, it.height, it.detections};
  return detection_json(r, names);
}

struct Collected {
  std::vector<std::string> lines;
  std::vector<size_t> order;
  PipelineStats stats;
  size_t max_alive = 0;  // items processed but not yet delivered, as the callbacks saw them
};

Collected run(const Detector& det, const std::vector<PipelineInput>& inputs,
              const PipelineOptions& o) {
  Collected c;
  std::mutex mu;
  size_t alive = 0;
  PipelineCallbacks cb;
  cb.process = [&](PipelineItem&) {
    std::lock_guard lock(mu);
    c.max_alive = std::max(c.max_alive, ++alive);
  };
  cb.deliver = [&](PipelineItem& it) {
    if (!it.error) {
      std::lock_guard lock(mu);
      --alive;
    }
    c.order.push_back(it.input);
    c.lines.push_back(line_of(it, det.metadata().class_names));
  };
  c.stats = run_pipeline(det, inputs, o, cb);
  return c;
}

void expect_same(const std::vector<std::string>& got, const std::vector<std::string>& want,
                 const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  int diffs = 0;
  for (size_t i = 0; i < got.size(); ++i)
    if (got[i] != want[i] && ++diffs <= 3)
      ADD_FAILURE() << what << ": input " << i << "\n  pipeline:   " << got[i]
                    << "\n  sequential: " << want[i];
  EXPECT_EQ(diffs, 0) << what;
}

TEST(Pipeline, MatchesSequentialWithFailuresInOrder) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  const testing::TempDir tmp;
  auto det = Detector::open(nano_model(), small_options());
  const auto inputs = make_inputs(fx, tmp.path(), 24, 7);
  size_t total = 0;
  const auto want = sequential(*det, inputs, det->metadata().class_names, &total);
  ASSERT_GT(total, 10u) << "too few detections for the comparison to mean anything";
  size_t errors = 0;
  for (const auto& w : want) errors += w.rfind("error: ", 0) == 0;
  ASSERT_EQ(errors, 3u);

  for (const PipelineOptions& o : {PipelineOptions{}, PipelineOptions{1, 2, 2, 2, 3}}) {
    const Collected c = run(*det, inputs, o);
    std::vector<size_t> in_order(inputs.size());
    for (size_t i = 0; i < in_order.size(); ++i) in_order[i] = i;
    EXPECT_EQ(c.order, in_order);
    expect_same(c.lines, want, "threads " + std::to_string(o.decode_threads));
    EXPECT_EQ(c.stats.images, inputs.size() - 3);
    EXPECT_EQ(c.stats.failed, 3u);
  }
}

TEST(Pipeline, BatchedEqualsUnbatched) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  const testing::TempDir tmp;
  auto det = Detector::open(nano_model(), small_options());
  const auto inputs = make_inputs(fx, tmp.path(), 24, 0);
  const Collected one = run(*det, inputs, PipelineOptions{});
  PipelineOptions o;
  o.batch = 4;
  o.decode_threads = 2;
  // More slots than inputs: infer always waits for 4 images of one size (or the end), so batches
  // form whatever the timing (with every slot taken it would run what it has).
  o.max_in_flight = 2 * inputs.size();
  const Collected four = run(*det, inputs, o);
  expect_same(four.lines, one.lines, "batch 4 vs batch 1");
  // Three sizes among 24 images: batches did form (fewer Run calls than images).
  EXPECT_LT(four.stats.batches, inputs.size());
  EXPECT_EQ(one.stats.batches, inputs.size());
}

// The pipeline pre-processes on its decode threads: prepared inputs give what detect() gives, alone
// or batched, and inputs that do not match their plan are refused.
TEST(Pipeline, PreparedInputsDetectAsImages) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  auto det = Detector::open(nano_model(), small_options());
  const ImageBuffer a = load_image(fx / "megvii-nano" / "dog.jpg");
  const ImageBuffer b = load_image(fx / "images" / "peace-9017572.jpg");
  const Image views[] = {a.view(), b.view(), a.view()};
  const auto want = det->detect(std::span<const Image>(views));
  ASSERT_FALSE(want[0].empty());
  std::vector<PreparedInput> prepared(3);
  for (size_t i = 0; i < 3; ++i) det->prepare(views[i], &prepared[i]);
  const std::vector<const PreparedInput*> all = {&prepared[0], &prepared[1], &prepared[2]};
  auto expect_equal = [](const std::vector<Detection>& got, const std::vector<Detection>& w) {
    ASSERT_EQ(got.size(), w.size());
    for (size_t k = 0; k < got.size(); ++k) {
      EXPECT_EQ(got[k].class_id, w[k].class_id);
      EXPECT_EQ(got[k].score, w[k].score);
      EXPECT_EQ(got[k].box.x1, w[k].box.x1);
      EXPECT_EQ(got[k].box.y2, w[k].box.y2);
    }
  };
  const auto batched = det->detect_prepared(all);
  ASSERT_EQ(batched.size(), 3u);
  for (size_t i = 0; i < 3; ++i) expect_equal(batched[i], want[i]);
  const PreparedInput* one[] = {&prepared[1]};
  expect_equal(det->detect_prepared(one)[0], want[1]);

  PreparedInput bad = prepared[0];
  bad.values.pop_back();
  const PreparedInput* bad_list[] = {&prepared[0], &bad};
  EXPECT_THROW(det->detect_prepared(bad_list), Error);
  const PreparedInput* null_list[] = {nullptr};
  EXPECT_THROW(det->detect_prepared(null_list), Error);
}

TEST(Pipeline, InFlightItemsStayBounded) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  const testing::TempDir tmp;
  auto det = Detector::open(nano_model(), small_options());
  const auto inputs = make_inputs(fx, tmp.path(), 30, 0);
  PipelineOptions o{2, 2, 1, 2, 3};  // batch 2, 3 items at most
  const Collected c = run(*det, inputs, o);
  EXPECT_EQ(c.stats.max_in_flight, 3u);
  EXPECT_LE(c.stats.peak_in_flight, 3u);
  EXPECT_GE(c.stats.peak_in_flight, 2u);  // the pipeline did overlap work
  EXPECT_LE(c.max_alive, 3u);
  EXPECT_EQ(c.stats.images, 30u);
}

TEST(Pipeline, VideoFramesInOrderThenEnd) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  const testing::TempDir tmp;
  auto det = Detector::open(nano_model(), small_options());
  // A 6-frame video of the dog sliding right, an image, and a video that does not exist.
  const cv::Mat dog = to_mat(load_image(fx / "megvii-nano" / "dog.jpg"));
  cv::Mat small;
  cv::resize(dog, small, cv::Size(192, 144), 0, 0, cv::INTER_AREA);
  std::vector<ImageBuffer> frames;
  {
    auto w = VideoWriter::open(tmp / "clip.avi", 10, 192, 144);
    for (int f = 0; f < 6; ++f) {
      cv::Mat shifted;
      const cv::Mat m = (cv::Mat_<double>(2, 3) << 1, 0, 4 * f, 0, 1, 0);
      cv::warpAffine(small, shifted, m, small.size());
      w->write(from_mat(shifted).view());
    }
    w->close();
  }
  std::vector<std::vector<Detection>> want;
  {
    auto r = VideoReader::open(tmp / "clip.avi");
    ImageBuffer f;
    while (r->read(f)) want.push_back(det->detect(f.view()));
  }
  ASSERT_EQ(want.size(), 6u);
  save_image(tmp / "still.png", from_mat(small).view());
  const std::vector<PipelineInput> inputs = {
      {tmp / "clip.avi", true}, {tmp / "still.png", false}, {tmp / "nope.mp4", true}};

  std::vector<std::string> seen;
  PipelineCallbacks cb;
  size_t frame = 0;
  cb.deliver = [&](PipelineItem& it) {
    using K = PipelineItem::Kind;
    seen.push_back(std::to_string(it.input) +
                   (it.kind == K::kFrame        ? "f"
                    : it.kind == K::kEndOfVideo ? "e"
                                                : "i") +
                   (it.error ? "!" : ""));
    if (it.kind == K::kFrame) {
      EXPECT_EQ(it.frame, static_cast<int64_t>(frame));
      EXPECT_EQ(it.fps, 10);
      ASSERT_LT(frame, want.size());
      EXPECT_EQ(detection_json({"v", {}, 192, 144, it.detections}, {}),
                detection_json({"v", {}, 192, 144, want[frame]}, {}))
          << "frame " << frame;
      ++frame;
    }
    if (it.kind == K::kEndOfVideo && !it.error) {
      EXPECT_EQ(it.frame, 6);
    }
  };
  PipelineOptions o;
  o.batch = 3;
  const PipelineStats s = run_pipeline(*det, inputs, o, cb);
  EXPECT_EQ(seen,
            (std::vector<std::string>{"0f", "0f", "0f", "0f", "0f", "0f", "0e", "1i", "2e!"}));
  EXPECT_EQ(s.frames, 6u);
  EXPECT_EQ(s.images, 1u);
  EXPECT_EQ(s.failed, 1u);
}

TEST(Pipeline, FastDecodeMapsBoxesToOriginalPixels) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  auto det = Detector::open(nano_model(), small_options());
  // rock-9017563.jpg is 1280 x 1920: at 160 x 160 letterbox the model sees 106 x 160, so the
  // largest reduction leaving at least that much is 8 (160 x 240).
  const std::vector<PipelineInput> inputs = {{fx / "images" / "rock-9017563.jpg", false},
                                             {fx / "megvii-nano" / "dog.jpg", false}};
  std::vector<PipelineItem> fast, full;
  for (bool f : {true, false}) {
    PipelineOptions o;
    o.fast_decode = f;
    PipelineCallbacks cb;
    cb.deliver = [&](PipelineItem& it) { (f ? fast : full).push_back(std::move(it)); };
    run_pipeline(*det, inputs, o, cb);
  }
  ASSERT_EQ(fast.size(), 2u);
  ASSERT_EQ(full.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    ASSERT_FALSE(fast[i].error);
    EXPECT_EQ(fast[i].width, full[i].width);
    EXPECT_EQ(fast[i].height, full[i].height);
  }
  EXPECT_EQ(fast[0].image.width(), 160);  // 1280 / 8
  EXPECT_EQ(fast[0].image.height(), 240);
  EXPECT_EQ(fast[1].image.width(), 192);  // 768 x 576: scale 160 / 768 = 0.21 -> / 4
  ASSERT_FALSE(full[1].detections.empty());
  for (size_t i = 0; i < 2; ++i) {
    // The best detections agree (same class, boxes in the same original-pixel frame).
    ASSERT_FALSE(fast[i].detections.empty()) << i;
    const Detection& a = fast[i].detections[0];
    const Detection& b = full[i].detections[0];
    EXPECT_EQ(a.class_id, b.class_id) << i;
    EXPECT_GT(iou(a.box, b.box), 0.8f) << i;
    for (const auto& d : fast[i].detections) {
      EXPECT_LE(d.box.x2, static_cast<float>(fast[i].width));
      EXPECT_LE(d.box.y2, static_cast<float>(fast[i].height));
    }
    // image_detections() is the same box in decoded pixels.
    const auto in_image = fast[i].image_detections();
    const float s = static_cast<float>(fast[i].image.width()) / static_cast<float>(fast[i].width);
    EXPECT_NEAR(in_image[0].box.x2, a.box.x2 * s, 1e-3f);
  }
  // Without fast decode the pixels are the full image.
  EXPECT_EQ(full[0].image.width(), 1280);
}

TEST(Pipeline, DeliverExceptionStopsAndPropagates) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  const testing::TempDir tmp;
  auto det = Detector::open(nano_model(), small_options());
  const auto inputs = make_inputs(fx, tmp.path(), 12, 0);
  size_t delivered = 0;
  PipelineCallbacks cb;
  cb.process = [](PipelineItem&) {};
  cb.deliver = [&](PipelineItem&) {
    if (++delivered == 3) throw std::runtime_error("consumer gave up");
  };
  PipelineOptions o{1, 2, 1, 2, 4};
  EXPECT_THROW(run_pipeline(*det, inputs, o, cb), std::runtime_error);
  EXPECT_EQ(delivered, 3u);
  EXPECT_THROW(run_pipeline(*det, inputs, PipelineOptions{0}, cb), Error);
}

TEST(Pipeline, ProcessExceptionFailsOnlyThatItem) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  const testing::TempDir tmp;
  auto det = Detector::open(nano_model(), small_options());
  const auto inputs = make_inputs(fx, tmp.path(), 6, 0);
  std::vector<bool> failed;
  PipelineCallbacks cb;
  cb.process = [](PipelineItem& it) {
    if (it.input == 2) throw Error(ErrorKind::kIo, "disk full", "out/x.jpg");
  };
  cb.deliver = [&](PipelineItem& it) { failed.push_back(static_cast<bool>(it.error)); };
  run_pipeline(*det, inputs, PipelineOptions{}, cb);
  EXPECT_EQ(failed, (std::vector<bool>{false, false, true, false, false, false}));
  // No inputs: nothing delivered, no hang.
  const PipelineStats none = run_pipeline(*det, {}, PipelineOptions{}, cb);
  EXPECT_EQ(failed.size(), 6u);
  EXPECT_EQ(none.images + none.failed + none.batches, 0u);
}

TEST(Pipeline, ThreadPlan) {
  EXPECT_EQ(default_thread_plan(1).intra_op_threads, 1);
  EXPECT_EQ(default_thread_plan(2).intra_op_threads, 1);
  EXPECT_GE(default_thread_plan(16).intra_op_threads, 4);
  EXPECT_GE(default_thread_plan(0).intra_op_threads, 1);
}

// Many threads in every stage, small bounds, batches, failures: under ThreadSanitizer this checks
// the stages' hand-offs; in any build, the result must still equal the sequential run.
TEST(PipelineConcurrency, ManyThreadsSmallQueuesMatchSequential) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  const testing::TempDir tmp;
  auto det = Detector::open(nano_model(), small_options());
  const auto inputs = make_inputs(fx, tmp.path(), 32, 9);
  size_t total = 0;
  const auto want = sequential(*det, inputs, det->metadata().class_names, &total);
  ASSERT_GT(total, 0u);
  PipelineOptions o{3, 3, 3, 3, 5};
  const Collected c = run(*det, inputs, o);
  expect_same(c.lines, want, "3 threads per stage, batch 3, 5 in flight");
  EXPECT_LE(c.stats.peak_in_flight, 5u);
}

}  // namespace
}  // namespace yoloxrt

namespace yoloxrt {
namespace {

// The future overload: images are read and decoded while the model loads; results are those of
// the Detector overload, `ready` runs once before any process or deliver call.
TEST(PipelineConcurrency, DecodesWhileTheDetectorLoads) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  const testing::TempDir tmp;
  auto det = Detector::open(nano_model(), small_options());
  const auto inputs = make_inputs(fx, tmp.path(), 8, 3);
  PipelineOptions o;
  o.max_in_flight = 4;
  const Collected want = run(*det, inputs, o);
  for (bool fast : {false, true}) {
    SCOPED_TRACE(fast ? "fast decode" : "full decode");
    o.fast_decode = fast;
    const Collected want_now = fast ? run(*det, inputs, o) : want;
    std::promise<const Detector*> loading;
    std::atomic<int> ready_calls{0};
    std::atomic<bool> early{false};
    std::vector<std::string> lines;
    PipelineCallbacks cb;
    cb.ready = [&](const Detector& d) {
      EXPECT_EQ(&d, det.get());
      ++ready_calls;
    };
    cb.process = [&](PipelineItem&) {
      if (ready_calls == 0) early = true;
    };
    cb.deliver = [&](PipelineItem& it) {
      if (ready_calls == 0) early = true;
      lines.push_back(line_of(it, det->metadata().class_names));
    };
    std::thread loader([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
      loading.set_value(det.get());
    });
    const PipelineStats s = run_pipeline(loading.get_future().share(), inputs, o, cb);
    loader.join();
    expect_same(lines, want_now.lines, "detector loaded meanwhile");
    EXPECT_EQ(ready_calls, 1);
    EXPECT_FALSE(early);
    EXPECT_GE(s.startup_ns, 20'000'000u);
  }
}

// A model that fails to load: its error comes out of run_pipeline, and no callback ran.
TEST(Pipeline, DetectorLoadFailurePropagatesWithoutCallbacks) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  const testing::TempDir tmp;
  const auto inputs = make_inputs(fx, tmp.path(), 6, 2);
  for (bool fast : {false, true}) {
    std::promise<const Detector*> failing;
    failing.set_exception(
        std::make_exception_ptr(Error(ErrorKind::kCorrupt, "not a model", "m.onnx")));
    std::atomic<int> calls{0};
    PipelineCallbacks cb;
    cb.ready = [&](const Detector&) { ++calls; };
    cb.process = [&](PipelineItem&) { ++calls; };
    cb.deliver = [&](PipelineItem&) { ++calls; };
    PipelineOptions o;
    o.fast_decode = fast;
    try {
      run_pipeline(failing.get_future().share(), inputs, o, cb);
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kCorrupt);
      EXPECT_NE(std::string(e.what()).find("not a model"), std::string::npos) << e.what();
    }
    EXPECT_EQ(calls, 0);
  }
}

}  // namespace
}  // namespace yoloxrt
