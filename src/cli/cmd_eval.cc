// yoloxrt eval: COCO bbox metrics (pycocotools' COCOeval numbers) of a model on a folder of
// images, or of a COCO results file.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <future>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/pipeline_flags.h"
#include "yoloxrt/coco_detect.h"
#include "yoloxrt/coco_eval.h"
#include "yoloxrt/detector.h"
#include "yoloxrt/detector_loader.h"
#include "yoloxrt/error.h"
#include "yoloxrt/file_io.h"
#include "yoloxrt/image.h"

namespace yoloxrt::cli {
namespace {
namespace fs = std::filesystem;
using json = nlohmann::ordered_json;  // keys in the documented order

struct EvalArgs {
  std::string model, images_dir, annotations, detections, json_path, save_detections;
  std::string size, resize, family, labels, ep;
  double conf = 0.001, iou = 0.65;  // doubles, so that settings print as typed
  size_t max_det = 100;
  bool agnostic = false, quiet = false;
  int threads = 0;
  PipelineFlags pipeline;  // --batch, --io-threads, --in-flight, --fast-decode
  double max_megapixels = static_cast<double>(kDefaultMaxImagePixels) / 1e6;
};

// Outputs never replace an input (the ground truth, a results file, the model).
void check_outputs(const EvalArgs& a) {
  std::set<fs::path> inputs;
  for (const std::string* in : {&a.model, &a.annotations, &a.detections})
    if (!in->empty()) inputs.insert(canonical_or_absolute(*in));
  for (const std::string* out : {&a.json_path, &a.save_detections})
    if (!out->empty() && *out != "-" && inputs.count(canonical_or_absolute(*out)))
      throw Error(ErrorKind::kUnsafe, "refusing to write over an input file", *out);
  if (!a.json_path.empty() && a.json_path != "-" && a.json_path == a.save_detections)
    throw Error(ErrorKind::kInvalidArgument, "--json and --save-detections name the same file",
                a.json_path);
}

void run_eval(const EvalArgs& a) {
  const bool model_form = !a.model.empty();
  if (model_form == !a.detections.empty())
    throw Error(ErrorKind::kInvalidArgument,
                "give either MODEL IMAGES_DIR or --detections results.json (not both)");
  if (model_form && a.images_dir.empty())
    throw Error(ErrorKind::kInvalidArgument, "MODEL needs an IMAGES_DIR");
  if (!model_form && !a.save_detections.empty())
    throw Error(ErrorKind::kInvalidArgument, "--save-detections needs MODEL IMAGES_DIR");
  const uint64_t max_pixels = limit_image_pixels(a.max_megapixels);
  const ThreadPlan plan = resolve_thread_plan(a.threads, a.pipeline);
  CocoDetectOptions co;
  co.pipeline = pipeline_options(a.pipeline, plan, max_pixels);
  check_outputs(a);

  // The results file (the larger one) is parsed on a second thread while the ground truth is.
  std::future<std::vector<CocoDetection>> results;
  if (!model_form)
    results = std::async(std::launch::async, [&a] { return read_coco_results(a.detections); });
  const CocoGroundTruth gt = read_coco_ground_truth(a.annotations);
  json settings;
  settings["annotations"] = a.annotations;
  std::vector<CocoDetection> dets;
  if (model_form) {
    if (!fs::is_directory(a.images_dir))
      throw Error(ErrorKind::kNotFound, "IMAGES_DIR is not a folder", a.images_dir);
    DetectorOptions o = coco_eval_detector_options();
    o.conf = static_cast<float>(a.conf);
    o.iou = static_cast<float>(a.iou);
    o.per_class = !a.agnostic;
    o.max_det = a.max_det;
    apply_model_flags({a.size, a.resize, a.family, a.labels, a.ep, a.threads}, o);
    o.threads = plan.intra_op_threads;
    // A missing image fails here, before the model loads (detect_coco_images checks again).
    std::vector<PipelineInput> images;
    for (const CocoImage& img : gt.images)
      images.push_back({resolve_coco_image(a.images_dir, img), false});
    // The model loads on its own thread (with OpenCV's image codecs if some image is not a
    // JPEG) while the first images are read and decoded.
    const DetectorLoader loader(a.model, o, media_codecs_needed(images));
    bool by_name = false;
    co.ready = [&](const Detector&, const CocoClassMapping& mapping) {
      by_name = mapping.by_name;
      if (!a.quiet)
        std::fprintf(stderr, "%s: %zu classes -> ground-truth categories %s\n", a.model.c_str(),
                     mapping.category_ids.size(),
                     mapping.by_name ? "by name" : "by position (class i -> i-th category by id)");
    };
    ProgressBar progress(gt.images.size(), !a.quiet && isatty(fileno(stderr)));
    progress.show_rate("images");
    co.keep_results_json = !a.save_detections.empty();
    bool shown = false;  // a model that cannot load fails before any progress
    co.progress = [&](size_t done, size_t, const std::string& name) {
      progress.update(done, name);
      shown = true;
    };
    CocoDetectRun run;
    try {
      run = detect_coco_images(loader.future(), gt, a.images_dir, co);
    } catch (...) {
      if (shown) progress.finish();
      throw;
    }
    progress.finish();
    dets = std::move(run.detections);
    const DetectorOptions& r = loader.get().options();
    settings["model"] = a.model;
    settings["images_dir"] = a.images_dir;
    settings["conf"] = a.conf;
    settings["iou"] = a.iou;
    settings["per_class_nms"] = r.per_class;
    settings["max_det"] = r.max_det;
    if (r.resize) settings["resize"] = to_string(*r.resize);
    if (r.height && r.width) settings["size"] = {*r.height, *r.width};
    if (a.pipeline.fast_decode) settings["fast_decode"] = true;
    settings["category_mapping"] = by_name ? "name" : "position";
    if (!a.save_detections.empty()) write_file_atomic(a.save_detections, run.results_json);
  } else {
    dets = results.get();
    settings["detections"] = a.detections;
  }

  CocoMetrics m;
  try {
    m = evaluate_coco_bbox(gt, dets);
  } catch (const Error& e) {
    throw model_form ? e : e.with_file(a.detections);
  }
  if (m.unknown_category_detections && !a.quiet)
    std::fprintf(stderr,
                 "yoloxrt: %zu detections have a category_id that is not a ground-truth category "
                 "(ignored, as COCOeval does)\n",
                 m.unknown_category_detections);

  if (!a.json_path.empty()) {
    json j;
    json metrics = json::object();
    for (int i = 0; i < kCocoStatCount; ++i) metrics[std::string(coco_stat_name(i))] = m.stats[i];
    j["metrics"] = std::move(metrics);
    json per_class = json::array();
    for (const CocoClassMetrics& c : m.per_class)
      per_class.push_back({{"category_id", c.category_id},
                           {"name", c.name},
                           {"AP", c.ap},
                           {"AP50", c.ap50},
                           {"gt_count", c.gt_count},
                           {"detections", c.detections}});
    j["per_class"] = std::move(per_class);
    j["images"] = m.images;
    j["settings"] = std::move(settings);
    j["detections"] = m.detections;
    const std::string text = j.dump(1) + "\n";
    if (a.json_path == "-") {
      std::fputs(text.c_str(), stdout);
      return;
    }
    write_file_atomic(a.json_path, text);
  }
  std::fputs(format_coco_summary(m.stats).c_str(), stdout);
  std::fputs("\n", stdout);
  std::fputs(format_coco_per_class(m).c_str(), stdout);
  std::fflush(stdout);
}

}  // namespace

void register_eval(CLI::App& app, int& /*exit_code*/) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand(
      "eval",
      "COCO bbox metrics (pycocotools' COCOeval) of a model on a folder of images, or of a COCO "
      "results file");
  cmd->add_option("model", args->model, "The ONNX model (omit with --detections)");
  cmd->add_option("images_dir", args->images_dir,
                  "Folder holding the ground truth's images (file_name relative to it)");
  cmd->add_option("--annotations", args->annotations, "COCO instances JSON (ground truth)")
      ->required();
  cmd->add_option("--detections", args->detections,
                  "Evaluate this COCO results file [{image_id, category_id, bbox, score}]");
  cmd->add_option("--json", args->json_path,
                  "Write metrics, per-class AP and settings as JSON to FILE ('-' = stdout)");
  cmd->add_option("--save-detections", args->save_detections,
                  "Write the model's detections as a COCO results file");
  cmd->add_option("--size", args->size, "Input size N or HxW (default: the model's)");
  cmd->add_option("--resize", args->resize, "crop, letterbox or pad (default: the model's)");
  cmd->add_option("--conf", args->conf, "Keep scores above this")->capture_default_str();
  cmd->add_option("--iou", args->iou, "NMS IoU threshold")->capture_default_str();
  cmd->add_option("--max-det", args->max_det, "At most N detections per image (0 = no limit)")
      ->capture_default_str();
  cmd->add_flag("--agnostic", args->agnostic, "Class-agnostic NMS (default: per class)");
  cmd->add_option("--threads", args->threads,
                  "ONNX Runtime intra-op threads (0 = automatic: see README, Threads)")
      ->capture_default_str();
  add_pipeline_flags(cmd, args->pipeline, "Threads decoding images; 0 = automatic");
  cmd->get_option("--fast-decode")
      ->description(
          "Decode JPEGs >= 2x the model input at 1/2, 1/4 or 1/8 scale (faster; changes pixels, so "
          "the metrics slightly; recorded in the JSON's settings)");
  cmd->add_option("--ep", args->ep, "Execution providers in order, comma-separated");
  cmd->add_option("--family", args->family,
                  "cjm or megvii: pre-processing for models without yoloxrt metadata");
  cmd->add_option("--labels", args->labels, "Class names file (overrides the model's)");
  cmd->add_option("--max-megapixels", args->max_megapixels,
                  "Refuse images larger than this, before decoding them")
      ->capture_default_str();
  cmd->add_flag("-q,--quiet", args->quiet, "No progress bar or notes on stderr");
  cmd->callback([args] { run_eval(*args); });
}

}  // namespace yoloxrt::cli
