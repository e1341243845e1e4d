// A synthetic COCO-val-sized evaluation set for the eval benchmark (scripts/bench_eval.sh).
//
//   coco_eval_synth OUT_DIR [--images 5000] [--gt 35000] [--dets-per-image 100] [--time]
//
// Writes OUT_DIR/instances.json (80 categories, --images images, --gt boxes, 1% crowd, areas
// below the box area as masks are) and OUT_DIR/results.json (--dets-per-image detections per
// image: jittered copies of the ground truth, some with a wrong class, then random boxes), from a
// fixed seed, so every run writes the same bytes. With --time it then reads both back and
// evaluates them in process, printing each phase's wall time.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "yoloxrt/coco_eval.h"
#include "yoloxrt/error.h"
#include "yoloxrt/file_io.h"

namespace {

// splitmix64: a portable, seeded stream (std:: distributions differ between libraries).
struct Rng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  size_t below(size_t n) { return static_cast<size_t>(next() % n); }
};

void append_number(std::string& out, double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR [--images N] [--gt N] [--dets-per-image N] [--time]\n",
                 argv[0]);
    return 2;
  }
  namespace fs = std::filesystem;
  using namespace yoloxrt;
  const fs::path out_dir = argv[1];
  size_t num_images = 5000, num_gt = 35000, dets_per_image = 100;
  bool time_it = false;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&] { return i + 1 < argc ? std::strtoull(argv[++i], nullptr, 10) : 0ull; };
    if (a == "--images")
      num_images = value();
    else if (a == "--gt")
      num_gt = value();
    else if (a == "--dets-per-image")
      dets_per_image = value();
    else if (a == "--time")
      time_it = true;
    else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  if (num_images == 0) return 2;
  fs::create_directories(out_dir);
  Rng rng{20261201};
  constexpr int kW = 640, kH = 480, kCats = 80;
  // COCO-like sparse ids: images 100000 + 7 i, categories with gaps.
  const auto image_id = [](size_t i) { return static_cast<int64_t>(100000 + 7 * i); };
  const auto category_id = [](size_t k) { return static_cast<int64_t>(k + 1 + k / 8); };

  CocoGroundTruth gt;
  for (size_t i = 0; i < num_images; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "%012lld.jpg", static_cast<long long>(image_id(i)));
    gt.images.push_back({image_id(i), name, kW, kH});
  }
  for (size_t k = 0; k < kCats; ++k)
    gt.categories.push_back({category_id(k), "class" + std::to_string(k)});
  std::vector<std::vector<size_t>> per_image(num_images);
  for (size_t n = 0; n < num_gt; ++n) {
    CocoAnnotation a;
    a.id = static_cast<int64_t>(n + 1);
    const size_t img = rng.below(num_images);
    a.image_id = image_id(img);
    const double u = rng.uniform();
    a.category_id = category_id(static_cast<size_t>(kCats * u * u));  // skewed, like COCO's
    a.iscrowd = rng.uniform() < 0.01;
    const double w = std::min<double>(kW, std::exp(rng.uniform(std::log(4.0), std::log(400.0))));
    const double h = std::min<double>(kH, w * std::exp(rng.uniform(-0.7, 0.7)));
    a.bbox = {rng.uniform(0, kW - w), rng.uniform(0, kH - h), w, h};
    a.area = w * h * rng.uniform(0.5, 0.9);
    per_image[img].push_back(gt.annotations.size());
    gt.annotations.push_back(a);
  }

  std::vector<CocoDetection> dets;
  dets.reserve(num_images * dets_per_image);
  for (size_t i = 0; i < num_images; ++i) {
    size_t made = 0;
    for (size_t g : per_image[i]) {
      const CocoAnnotation& a = gt.annotations[g];
      const int copies = 1 + static_cast<int>(rng.below(3));
      for (int c = 0; c < copies && made < dets_per_image; ++c, ++made) {
        const double jitter = rng.uniform(0, 0.35);
        CocoDetection d;
        d.image_id = a.image_id;
        d.category_id = rng.uniform() < 0.9 ? a.category_id : category_id(rng.below(kCats));
        d.bbox = {a.bbox.x + a.bbox.w * jitter * rng.uniform(-1, 1),
                  a.bbox.y + a.bbox.h * jitter * rng.uniform(-1, 1),
                  a.bbox.w * (1 + jitter * rng.uniform(-1, 1)),
                  a.bbox.h * (1 + jitter * rng.uniform(-1, 1))};
        d.score =
            static_cast<float>(std::clamp(1 - jitter * 2 + rng.uniform(-0.3, 0.2), 0.001, 1.0));
        dets.push_back(d);
      }
    }
    for (; made < dets_per_image; ++made) {
      const double w = std::exp(rng.uniform(std::log(4.0), std::log(300.0)));
      const double h = w * std::exp(rng.uniform(-0.7, 0.7));
      CocoDetection d;
      d.image_id = image_id(i);
      d.category_id = category_id(rng.below(kCats));
      d.bbox = {rng.uniform(0, kW - w), rng.uniform(0, std::max(1.0, kH - h)), w, h};
      d.score = static_cast<float>(rng.uniform(0.001, 0.5));
      dets.push_back(d);
    }
  }

  std::string text = "{\"info\": {\"description\": \"yoloxrt synthetic COCO-val-sized set\"},\n";
  text += "\"images\": [";
  for (size_t i = 0; i < gt.images.size(); ++i) {
    const CocoImage& im = gt.images[i];
    text += (i ? ",\n" : "\n") + std::string("{\"id\": ") + std::to_string(im.id) +
            ", \"file_name\": \"" + im.file_name + "\", \"width\": " + std::to_string(im.width) +
            ", \"height\": " + std::to_string(im.height) + "}";
  }
  text += "],\n\"categories\": [";
  for (size_t k = 0; k < gt.categories.size(); ++k)
    text += (k ? ", " : "") + std::string("{\"id\": ") + std::to_string(gt.categories[k].id) +
            ", \"name\": \"" + gt.categories[k].name + "\"}";
  text += "],\n\"annotations\": [";
  for (size_t n = 0; n < gt.annotations.size(); ++n) {
    const CocoAnnotation& a = gt.annotations[n];
    text += (n ? ",\n" : "\n") + std::string("{\"id\": ") + std::to_string(a.id) +
            ", \"image_id\": " + std::to_string(a.image_id) +
            ", \"category_id\": " + std::to_string(a.category_id) + ", \"bbox\": [";
    append_number(text, a.bbox.x);
    text += ", ";
    append_number(text, a.bbox.y);
    text += ", ";
    append_number(text, a.bbox.w);
    text += ", ";
    append_number(text, a.bbox.h);
    text += "], \"area\": ";
    append_number(text, a.area);
    text += ", \"iscrowd\": " + std::string(a.iscrowd ? "1" : "0") + "}";
  }
  text += "]}\n";
  try {
    write_file_atomic(out_dir / "instances.json", text);
    write_file_atomic(out_dir / "results.json", format_coco_results(dets));
  } catch (const Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  std::printf("wrote %s: %zu images, %zu ground-truth boxes, %zu detections\n", out_dir.c_str(),
              gt.images.size(), gt.annotations.size(), dets.size());

  if (time_it) {
    auto t0 = std::chrono::steady_clock::now();
    const CocoGroundTruth g = read_coco_ground_truth(out_dir / "instances.json");
    const double t_gt = seconds_since(t0);
    t0 = std::chrono::steady_clock::now();
    const std::vector<CocoDetection> d = read_coco_results(out_dir / "results.json");
    const double t_res = seconds_since(t0);
    t0 = std::chrono::steady_clock::now();
    const CocoMetrics m = evaluate_coco_bbox(g, d);
    const double t_eval = seconds_since(t0);
    std::printf("read ground truth %.3f s, read results %.3f s, evaluate %.3f s, total %.3f s\n",
                t_gt, t_res, t_eval, t_gt + t_res + t_eval);
    std::fputs(format_coco_summary(m.stats).c_str(), stdout);
  }
  return 0;
}
