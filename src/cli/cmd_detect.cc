// yoloxrt detect: run a YOLOX ONNX model on images, folders and videos.
//
// Never loses data: outputs are written atomically, never over an input (checked on canonical
// paths before anything runs), and an input that fails is reported on stderr and skipped; the exit
// code is then kExitPartialFailure, or the error's own code if every input failed.
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/pipeline_flags.h"
#include "yoloxrt/detector.h"
#include "yoloxrt/detector_loader.h"
#include "yoloxrt/draw.h"
#include "yoloxrt/error.h"
#include "yoloxrt/file_io.h"
#include "yoloxrt/image.h"
#include "yoloxrt/image_header.h"
#include "yoloxrt/pipeline.h"
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
  PipelineFlags pipeline;  // --batch, --io-threads, --in-flight, --fast-decode
  bool timing = false;
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

// The detect job on top of run_pipeline: `process` draws and writes annotated images (any order,
// several threads); `deliver` writes JSON and COCO records, video frames and the per-input lines
// in input order.
class DetectRun {
 public:
  DetectRun(const DetectArgs& a, const Detector& det, const std::vector<WorkItem>& items)
      : a_(a), items_(items), progress_(items.size(), progress_wanted(a, items)) {
    names_ = det.metadata().class_names;
    colors_ = det.metadata().colors;
    draw_.font_path = a.font;
    progress_.show_rate("images");  // video frames count as images
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

  // Pipeline threads: draw, and write an image's annotated copy (atomically, in any order).
  void process(PipelineItem& it) const {
    if (a_.no_draw) return;
    Image view = it.image.view();
    draw_detections(view, it.image_detections(), names_, colors_, draw_);
    if (it.kind != PipelineItem::Kind::kImage) return;
    const fs::path& out = items_[it.input].output;
    std::vector<uint8_t> bytes;
    try {
      bytes = encode_image(view, out.extension().string());
    } catch (const Error& e) {
      throw e.with_file(out.string());
    }
    it.image = ImageBuffer();  // encoded: free the pixels before the (slow, fsync'ed) write
    fs::create_directories(out.parent_path().empty() ? "." : out.parent_path());
    write_file_atomic(out,
                      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  }

  // The calling thread, in input order.
  void deliver(PipelineItem& it) {
    const WorkItem& w = items_[it.input];
    switch (it.kind) {
      case PipelineItem::Kind::kImage:
        if (it.error) {
          fail(it.input, it.error);
        } else {
          record(w.input.string(), std::nullopt, it, it.input);
          summary(w, it.detections.size());
        }
        ++done_;
        ++images_;
        break;
      case PipelineItem::Kind::kFrame:
        if (video_failed_) break;
        if (it.error) {
          video_failed_ = it.error;
          writer_.reset();
          break;
        }
        record(w.input.string(), it.frame, it, it.input);
        video_detections_ += it.detections.size();
        ++images_;
        if (!a_.no_draw) write_frame(w, it);
        break;
      case PipelineItem::Kind::kEndOfVideo:
        end_video(w, it);
        ++done_;
        break;
    }
    progress_.update(done_, w.input, images_);
  }

  void finish() {
    progress_.finish();
    if (json_) json_->close();
    if (coco_) coco_->close();
  }

  const std::vector<Error>& failures() const { return failures_; }

 private:
  static bool progress_wanted(const DetectArgs& a, const std::vector<WorkItem>& items) {
    const bool video = std::any_of(items.begin(), items.end(), [](auto& w) { return w.video; });
    return (items.size() > 1 || video) && !a.quiet && isatty(fileno(stderr));
  }

  void record(const std::string& name, std::optional<int64_t> frame, const PipelineItem& it,
              size_t index) {
    if (a_.json_path.empty() && !coco_) return;
    ImageResult r{name, frame, it.width, it.height, it.detections};
    if (a_.json_path == "-") {
      std::printf("%s\n", detection_json(r, names_).c_str());
      std::fflush(stdout);
    }
    if (json_) json_->add(r, index);
    if (coco_) coco_->add(r, index);
  }

  void write_frame(const WorkItem& w, const PipelineItem& it) {
    try {
      if (!writer_) {
        fs::create_directories(w.output.parent_path().empty() ? "." : w.output.parent_path());
        const double fps = it.fps > 0 && it.fps < 1000 ? it.fps : 25;
        writer_ = VideoWriter::open(w.output, fps, it.image.width(), it.image.height());
      }
      writer_->write(it.image.view());
    } catch (...) {
      video_failed_ = std::current_exception();
      writer_.reset();  // removes its temporary
    }
  }

  void end_video(const WorkItem& w, const PipelineItem& it) {
    std::exception_ptr error = it.error ? it.error : video_failed_;
    if (!error && it.frame == 0)
      error = std::make_exception_ptr(
          Error(ErrorKind::kCorrupt, "the video has no readable frames", w.input.string()));
    if (!error && writer_) {
      try {
        writer_->close();
      } catch (...) {
        error = std::current_exception();
      }
    }
    writer_.reset();
    if (error) {
      fail(it.input, error);
    } else if (!a_.quiet && !progress_.enabled()) {
      std::fprintf(stderr, "%s: %lld frames, %zu detections%s%s\n", w.input.c_str(),
                   static_cast<long long>(it.frame), video_detections_, a_.no_draw ? "" : " -> ",
                   a_.no_draw ? "" : w.output.c_str());
    }
    video_failed_ = nullptr;
    video_detections_ = 0;
  }

  void fail(size_t index, const std::exception_ptr& error) {
    const std::string file = items_[index].input.string();
    Error named(ErrorKind::kRuntime, "unknown failure", file);
    try {
      std::rethrow_exception(error);
    } catch (const Error& e) {
      named = e.with_file(file);
    } catch (const fs::filesystem_error& e) {
      named = Error(ErrorKind::kIo, e.what(), file);
    } catch (const std::bad_alloc&) {
      throw;
    } catch (const std::exception& e) {
      named = Error(ErrorKind::kRuntime, e.what(), file);
    }
    // The library states the limit; the CLI names the flag that sets it.
    if (named.kind() == ErrorKind::kUnsupported &&
        named.message().find("megapixels") != std::string::npos)
      named = Error(named.kind(), named.message() + " (--max-megapixels)", named.file());
    if (progress_.enabled()) std::fprintf(stderr, "\n");
    std::fprintf(stderr, "yoloxrt: skipped: %s\n", named.what());
    failures_.push_back(named);
  }

  void summary(const WorkItem& item, size_t n) {
    if (a_.quiet || progress_.enabled()) return;
    std::fprintf(stderr, "%s: %zu detection%s%s%s\n", item.input.c_str(), n, n == 1 ? "" : "s",
                 a_.no_draw ? "" : " -> ", a_.no_draw ? "" : item.output.c_str());
  }

  const DetectArgs& a_;
  const std::vector<WorkItem>& items_;
  std::vector<std::string> names_;
  std::vector<Rgb> colors_;
  DrawOptions draw_;
  ProgressBar progress_;
  std::unique_ptr<ResultsWriter> json_, coco_;
  std::vector<Error> failures_;
  size_t done_ = 0;
  uint64_t images_ = 0;
  // The video being delivered.
  std::unique_ptr<VideoWriter> writer_;
  std::exception_ptr video_failed_;
  size_t video_detections_ = 0;
};

void print_timing(const PipelineStats& s, const TimingStats& t) {
  const auto sec = [](uint64_t ns) { return static_cast<double>(ns) * 1e-9; };
  const uint64_t n = s.images + s.frames;
  std::fprintf(stderr,
               "timing: %llu images/frames in %.3f s (%.1f/s) after the model loaded (%.3f s, "
               "decoding meanwhile); ONNX Runtime Run %.3f s (wall / "
               "Run = %.3f), pre-process %.3f s, post-process %.3f s; CPU: decode %.3f s, "
               "infer %.3f s, draw+write %.3f s, deliver %.3f s; Run thread waited %.3f s for "
               "images; %llu batches; peak in flight %zu of %zu\n",
               static_cast<unsigned long long>(n), sec(s.wall_ns),
               s.wall_ns ? static_cast<double>(n) / sec(s.wall_ns) : 0.0, sec(s.startup_ns),
               sec(t.run_ns), t.run_ns ? sec(s.wall_ns) / sec(t.run_ns) : 0.0, sec(t.preprocess_ns),
               sec(t.postprocess_ns), sec(s.decode_ns), sec(s.infer_ns), sec(s.process_ns),
               sec(s.deliver_ns), sec(s.infer_wait_ns), static_cast<unsigned long long>(s.batches),
               s.peak_in_flight, s.max_in_flight);
}

void run_detect(const DetectArgs& a, int& exit_code) {
  const uint64_t max_pixels = limit_image_pixels(a.max_megapixels);
  const ThreadPlan plan = resolve_thread_plan(a.threads, a.pipeline);
  const PipelineOptions po = pipeline_options(a.pipeline, plan, max_pixels);
  std::vector<WorkItem> items = collect_items(a);
  if (items.empty()) {
    std::string names;
    for (const auto& in : a.inputs) names += (names.empty() ? "" : ", ") + in;
    throw Error(ErrorKind::kNotFound, "no images found in the inputs (" + names + ")");
  }
  check_outputs(items, a);

  DetectorOptions o;
  apply_model_flags({a.size, a.resize, a.family, a.labels, a.ep, a.threads}, o);
  o.threads = plan.intra_op_threads;
  o.cache_path = a.cache;
  o.conf = a.conf;
  o.iou = a.iou;
  o.per_class = a.per_class;
  o.max_det = a.max_det;
  o.collect_timing = a.timing;
  if (!a.font.empty() && !fs::exists(a.font))
    throw Error(ErrorKind::kNotFound, "font file does not exist", a.font);
  // The model loads on its own thread while the pipeline reads and decodes the first images
  // (run_pipeline's future overload; not with videos, see below). JPEGs need no codec plugin;
  // OpenCV's (~0.05-0.1 s) is loaded, if other formats or videos are there, on first use, and
  // checked once the model is there, so that a plugin that cannot load stops the job as it did
  // before any work.
  const bool any_video = std::any_of(items.begin(), items.end(), [](auto& w) { return w.video; });
  if (!any_video) {
    // Every photo allocates megabyte buffers (pixels, libjpeg's coefficients, encoded bytes) that
    // glibc would mmap and unmap each time, page-faulting them in again: 20 photos took 23,000
    // page faults and 473 ms of CPU, 17,800 and 454 ms with these (perf stat, peak RSS
    // unchanged). With a video they saved nothing measurable and raised peak RSS by ~5 MB.
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 128 << 20);
  }
  std::vector<PipelineInput> inputs;
  for (const auto& w : items) inputs.push_back({w.input, w.video});
  const DetectorLoader loader(a.model, o, media_codecs_needed(inputs));

  std::optional<DetectRun> run;
  PipelineCallbacks callbacks;
  callbacks.ready = [&](const Detector& det) {
    if (const auto& nms = det.metadata().nms;
        nms && !a.quiet && (a.iou != nms->iou || a.per_class != nms->per_class))
      std::fprintf(stderr,
                   "yoloxrt: warning: the model does its own NMS (IoU > %g, %s): --iou and "
                   "--per-class do not apply\n",
                   nms->iou, nms->per_class ? "per class" : "class-agnostic");
    run.emplace(a, det, items);
  };
  callbacks.process = [&run](PipelineItem& it) { run->process(it); };
  callbacks.deliver = [&run](PipelineItem& it) { run->deliver(it); };
  std::shared_future<const Detector*> model = loader.future();
  // A video's decoder starting while the model loads raised peak RSS by ~5 MB (nano, MOT17-01:
  // 148 vs 143 MB) for ~0.05 s of a multi-second job: with videos, the model loads first.
  if (any_video) model.wait();
  const PipelineStats stats = run_pipeline(model, inputs, po, callbacks);
  run->finish();
  if (a.timing) print_timing(stats, loader.get().timing());
  const auto& failures = run->failures();
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
  cmd->add_option("--threads", args->threads,
                  "ONNX Runtime intra-op threads (0 = automatic: see README, Threads)")
      ->capture_default_str();
  add_pipeline_flags(cmd, args->pipeline);
  cmd->add_flag("--timing", args->timing,
                "Print where the time went (ONNX Runtime Run vs wall time, per stage)");
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
