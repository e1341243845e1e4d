// yoloxrt detect: run a YOLOX ONNX model on images, folders and videos.
//
// Never loses data: outputs are written atomically, never over an input (checked on canonical
// paths before anything runs), and an input that fails is reported on stderr and skipped; the exit
// code is then kExitPartialFailure, or the error's own code if every input failed.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "yoloxrt/detector.h"
#include "yoloxrt/draw.h"
#include "yoloxrt/error.h"
#include "yoloxrt/file_io.h"
#include "yoloxrt/image.h"
#include "yoloxrt/image_header.h"
#include "yoloxrt/results.h"
#include "yoloxrt/video.h"

namespace yoloxrt::cli {
namespace {
namespace fs = std::filesystem;

struct DetectArgs {
  std::string model;
  std::vector<std::string> inputs;
  std::string out_dir = "out";
  std::string size, resize, family, labels, font, cache, json_path, coco_path, ep;
  float conf = 0.45f, iou = 0.45f;
  bool per_class = false, no_draw = false, quiet = false;
  size_t max_det = 300;
  int threads = 0;
  double max_megapixels = static_cast<double>(kDefaultMaxImagePixels) / 1e6;
};

struct WorkItem {
  fs::path input;
  fs::path output;  // where the annotated copy goes
  bool video = false;
};

// Expands the INPUT arguments: files as given, folders recursively (sorted, image extensions
// only). Missing inputs are kept so that they are reported like any other failure.
std::vector<WorkItem> collect_items(const DetectArgs& a) {
  std::vector<WorkItem> items;
  const fs::path out_dir(a.out_dir);
  for (const std::string& in : a.inputs) {
    const fs::path p(in);
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      const std::vector<fs::path> found = list_image_files(p, nullptr);
      for (const auto& f : found) items.push_back({f, out_dir / f.lexically_relative(p), false});
    } else {
      items.push_back({p, out_dir / p.filename(), is_video_extension(p)});
    }
  }
  return items;
}

// Refuses, before anything runs, outputs that would overwrite an input or each other.
void check_outputs(const std::vector<WorkItem>& items, const DetectArgs& a) {
  std::set<fs::path> inputs;
  for (const auto& it : items) inputs.insert(canonical_or_absolute(it.input));
  inputs.insert(canonical_or_absolute(a.model));
  auto refuse_input = [&](const fs::path& out, const char* what) {
    if (inputs.count(canonical_or_absolute(out)))
      throw Error(
          ErrorKind::kUnsafe,
          std::string("refusing to write the ") + what + " over an input file (choose another -o)",
          out.string());
  };
  if (!a.no_draw) {
    std::map<fs::path, fs::path> seen;
    for (const auto& it : items) {
      refuse_input(it.output, "annotated copy");
      const auto [pos, fresh] = seen.emplace(canonical_or_absolute(it.output), it.input);
      if (!fresh)
        throw Error(ErrorKind::kInvalidArgument,
                    "two inputs would be written to the same output (" + pos->second.string() +
                        " and " + it.input.string() + ")",
                    it.output.string());
    }
  }
  if (!a.json_path.empty() && a.json_path != "-") refuse_input(a.json_path, "JSON");
  if (!a.coco_path.empty()) refuse_input(a.coco_path, "COCO results");
}

class DetectRun {
 public:
  DetectRun(const DetectArgs& a, const Detector& det) : a_(a), det_(det) {
    names_ = det.metadata().class_names;
    colors_ = det.metadata().colors;
    draw_.font_path = a.font;
    // Written as results arrive, so memory stays bounded; renamed into place by finish().
    if (!a.json_path.empty() && a.json_path != "-")
      json_ = ResultsWriter::open(a.json_path, ResultsFormat::kJson, {names_, {}});
    if (!a.coco_path.empty()) {
      CocoCategoryMap categories;
      if (names_ == coco_class_names()) {
        const auto ids = coco80_category_ids();
        categories.category_ids.assign(ids.begin(), ids.end());
      }
      coco_ = ResultsWriter::open(a.coco_path, ResultsFormat::kCoco, {{}, std::move(categories)});
    }
  }

  void image(const WorkItem& item, size_t index) {
    // decode_image checks the declared size on the header before any codec runs.
    ImageBuffer img;
    try {
      img = load_image(item.input, max_pixels());
    } catch (const Error& e) {
      // The library states the limit; the CLI names the flag that sets it.
      if (e.kind() == ErrorKind::kUnsupported && e.message().find("megapixels") != std::string::npos)
        throw Error(e.kind(), e.message() + " (--max-megapixels)", e.file());
      throw;
    }
    Image view = img.view();
    const auto dets = det_.detect(view);
    record(item.input.string(), std::nullopt, view, dets, index);
    if (!a_.no_draw) {
      draw_detections(view, dets, names_, colors_, draw_);
      fs::create_directories(item.output.parent_path().empty() ? "." : item.output.parent_path());
      save_image(item.output, view);
    }
    summary(item, dets.size());
  }

  void video(const WorkItem& item, size_t index) {
    auto reader = VideoReader::open(item.input);
    double fps = reader->fps();
    if (!(fps > 0 && fps < 1000)) fps = 25;
    std::unique_ptr<VideoWriter> writer;  // removes its temporary unless closed
    size_t frames = 0, total = 0;
    ImageBuffer frame;
    while (reader->read(frame)) {
      Image view = frame.view();
      const auto dets = det_.detect(view);
      record(item.input.string(), frames, view, dets, index);
      total += dets.size();
      if (!a_.no_draw) {
        if (!writer) {
          fs::create_directories(item.output.parent_path().empty() ? "."
                                                                   : item.output.parent_path());
          writer = VideoWriter::open(item.output, fps, view.width, view.height);
        }
        draw_detections(view, dets, names_, colors_, draw_);
        writer->write(view);
      }
      ++frames;
    }
    if (frames == 0)
      throw Error(ErrorKind::kCorrupt, "the video has no readable frames", item.input.string());
    if (writer) writer->close();
    if (!a_.quiet && !progress_active_)
      std::fprintf(stderr, "%s: %zu frames, %zu detections%s%s\n", item.input.c_str(), frames,
                   total, a_.no_draw ? "" : " -> ", a_.no_draw ? "" : item.output.c_str());
  }

  void set_progress_active(bool v) { progress_active_ = v; }
  uint64_t max_pixels() const { return static_cast<uint64_t>(a_.max_megapixels * 1e6); }

  void finish() {
    if (json_) json_->close();
    if (coco_) coco_->close();
  }

 private:
  void record(const std::string& name, std::optional<size_t> frame, const Image& view,
              const std::vector<Detection>& dets, size_t index) {
    if (a_.json_path.empty() && !coco_) return;
    ImageResult r{name, std::nullopt, view.width, view.height, dets};
    if (frame) r.frame = static_cast<int64_t>(*frame);
    if (a_.json_path == "-") {
      std::printf("%s\n", detection_json(r, names_).c_str());
      std::fflush(stdout);
    }
    if (json_) json_->add(r, index);
    if (coco_) coco_->add(r, index);
  }

  void summary(const WorkItem& item, size_t n) {
    if (a_.quiet || progress_active_) return;
    std::fprintf(stderr, "%s: %zu detection%s%s%s\n", item.input.c_str(), n, n == 1 ? "" : "s",
                 a_.no_draw ? "" : " -> ", a_.no_draw ? "" : item.output.c_str());
  }

  const DetectArgs& a_;
  const Detector& det_;
  std::vector<std::string> names_;
  std::vector<Rgb> colors_;
  DrawOptions draw_;
  bool progress_active_ = false;
  std::unique_ptr<ResultsWriter> json_, coco_;
};

void run_detect(const DetectArgs& a, int& exit_code) {
  limit_image_pixels(a.max_megapixels);
  std::vector<WorkItem> items = collect_items(a);
  if (items.empty()) {
    std::string names;
    for (const auto& in : a.inputs) names += (names.empty() ? "" : ", ") + in;
    throw Error(ErrorKind::kNotFound, "no images found in the inputs (" + names + ")");
  }
  check_outputs(items, a);

  DetectorOptions o;
  apply_model_flags({a.size, a.resize, a.family, a.labels, a.ep, a.threads}, o);
  o.cache_path = a.cache;
  o.conf = a.conf;
  o.iou = a.iou;
  o.per_class = a.per_class;
  o.max_det = a.max_det;
  if (!a.font.empty() && !fs::exists(a.font))
    throw Error(ErrorKind::kNotFound, "font file does not exist", a.font);
  const auto detector = Detector::open(a.model, o);

  DetectRun run(a, *detector);
  ProgressBar progress(items.size(), items.size() > 1 && !a.quiet && isatty(fileno(stderr)));
  run.set_progress_active(progress.enabled());
  std::vector<Error> failures;
  for (size_t i = 0; i < items.size(); ++i) {
    progress.update(i, items[i].input);
    try {
      if (items[i].video)
        run.video(items[i], i);
      else
        run.image(items[i], i);
    } catch (const Error& e) {
      const Error named = e.with_file(items[i].input.string());
      if (progress.enabled()) std::fprintf(stderr, "\n");
      std::fprintf(stderr, "yoloxrt: skipped: %s\n", named.what());
      failures.push_back(named);
    } catch (const fs::filesystem_error& e) {
      if (progress.enabled()) std::fprintf(stderr, "\n");
      std::fprintf(stderr, "yoloxrt: skipped %s: %s\n", items[i].input.c_str(), e.what());
      failures.emplace_back(ErrorKind::kIo, e.what(), items[i].input.string());
    }
  }
  progress.update(items.size(), {});
  progress.finish();
  run.finish();
  if (failures.size() == items.size()) throw failures.front();
  if (!failures.empty()) {
    std::fprintf(stderr, "yoloxrt: %zu of %zu inputs failed\n", failures.size(), items.size());
    exit_code = kExitPartialFailure;
  }
}

}  // namespace

void register_detect(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<DetectArgs>();
  CLI::App* cmd = app.add_subcommand(
      "detect",
      "Run a YOLOX ONNX model on images, folders (recursive) and videos; write annotated copies, "
      "JSON and COCO results");
  cmd->add_option("model", args->model, "The ONNX model")->required();
  cmd->add_option("inputs", args->inputs, "Image files, folders or video files")->required();
  cmd->add_option("-o,--out", args->out_dir, "Folder for the annotated copies (same file names)")
      ->capture_default_str();
  cmd->add_option("--size", args->size, "Input size N or HxW (default: the model's)");
  cmd->add_option("--resize", args->resize,
                  "crop (cjm tutorial), letterbox (Megvii) or pad (default: the model's)");
  cmd->add_option(
         "--conf", args->conf,
         "Keep scores above this (default 0.45, the tutorial's; Megvii's demo uses 0.1-0.3)")
      ->capture_default_str();
  cmd->add_option("--iou", args->iou, "NMS IoU threshold")->capture_default_str();
  cmd->add_flag("--per-class", args->per_class, "NMS per class (default: class-agnostic)");
  cmd->add_option("--max-det", args->max_det, "At most N detections per image (0 = no limit)")
      ->capture_default_str();
  cmd->add_option("--json", args->json_path,
                  "Write detections as a JSON list to FILE, or JSON Lines to stdout with '-'");
  cmd->add_option("--coco", args->coco_path,
                  "Write COCO results [{image_id, category_id, bbox, score}]");
  cmd->add_flag("--no-draw", args->no_draw, "Do not write annotated copies");
  cmd->add_option("--threads", args->threads, "ONNX Runtime intra-op threads (0 = one per core)")
      ->capture_default_str();
  cmd->add_option(
      "--ep", args->ep,
      "Execution providers in order, comma-separated: cpu, cuda, tensorrt, openvino, ...");
  cmd->add_flag("-q,--quiet", args->quiet, "No progress or per-image lines");
  cmd->add_option("--family", args->family,
                  "cjm or megvii: pre-processing for models without yoloxrt metadata");
  cmd->add_option(
      "--labels", args->labels,
      "Class names: one per line, or a colormap JSON {\"items\":[{\"label\",\"color\"}]}");
  cmd->add_option("--font", args->font,
                  "TrueType font for the labels (default: Roboto, else DejaVu Sans)");
  cmd->add_option("--cache", args->cache, "Optimised-model cache file (written on first use)");
  cmd->add_option("--max-megapixels", args->max_megapixels,
                  "Refuse images larger than this, before decoding them")
      ->capture_default_str();
  cmd->callback([args, &exit_code] { run_detect(*args, exit_code); });
}

}  // namespace yoloxrt::cli
