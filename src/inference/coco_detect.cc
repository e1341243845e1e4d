#include "yoloxrt/coco_detect.h"

#include <limits>

#include "yoloxrt/error.h"
#include "yoloxrt/image.h"
#include "yoloxrt/pipeline.h"
#include "yoloxrt/results.h"

namespace yoloxrt {

namespace fs = std::filesystem;

DetectorOptions coco_eval_detector_options() {
  DetectorOptions o;
  o.conf = 0.001f;
  o.iou = 0.65f;
  o.per_class = true;
  o.max_det = 100;
  return o;
}

fs::path resolve_coco_image(const fs::path& images_dir, const CocoImage& image) {
  const std::string id = "image id " + std::to_string(image.id);
  if (image.file_name.empty())
    throw Error(ErrorKind::kNotFound, id + " has no file_name in the ground truth");
  const fs::path name(image.file_name);
  if (name.is_absolute())
    throw Error(ErrorKind::kUnsafe, id + ": file_name is an absolute path", image.file_name);
  for (const auto& part : name)
    if (part == "..")
      throw Error(ErrorKind::kUnsafe, id + ": file_name leaves the images folder", image.file_name);
  std::error_code ec;
  fs::path p = images_dir / name;
  if (fs::is_regular_file(p, ec)) return p;
  if (name.has_parent_path()) {
    fs::path q = images_dir / name.filename();
    if (fs::is_regular_file(q, ec)) return q;
  }
  throw Error(ErrorKind::kNotFound,
              "the ground truth's image (" + id + ") is not in " + images_dir.string(), p.string());
}

CocoDetectRun detect_coco_images(const Detector& detector, const CocoGroundTruth& gt,
                                 const fs::path& images_dir,
                                 std::span<const int64_t> class_to_category,
                                 const CocoDetectOptions& options) {
  std::vector<fs::path> paths;
  paths.reserve(gt.images.size());
  for (const CocoImage& img : gt.images) paths.push_back(resolve_coco_image(images_dir, img));

  // results.h's writer takes int category ids.
  CocoCategoryMap categories;
  for (const int64_t id : class_to_category) {
    if (id != CocoClassMapping::kNone &&
        (id < std::numeric_limits<int>::min() || id > std::numeric_limits<int>::max()))
      throw Error(ErrorKind::kUnsupported,
                  "category id " + std::to_string(id) + " does not fit the COCO results writer");
    categories.category_ids.push_back(id == CocoClassMapping::kNone ? 0 : static_cast<int>(id));
  }

  std::vector<PipelineInput> inputs;
  inputs.reserve(paths.size());
  for (const fs::path& p : paths) inputs.push_back({p, false});

  CocoDetectRun run;
  std::string list_text;  // one image's objects, as a list
  PipelineCallbacks callbacks;
  // In gt.images order, on this thread: the first failure stops the pipeline and propagates.
  callbacks.deliver = [&](PipelineItem& it) {
    const size_t i = it.input;
    if (it.error) {
      try {
        std::rethrow_exception(it.error);
      } catch (const Error& e) {
        throw e.with_file(paths[i].string());
      }
    }
    ImageResult result;
    result.image = paths[i].string();
    result.width = it.width;
    result.height = it.height;
    result.detections = std::move(it.detections);
    std::erase_if(result.detections, [&](const Detection& d) {
      return d.class_id < 0 || static_cast<size_t>(d.class_id) >= class_to_category.size() ||
             class_to_category[static_cast<size_t>(d.class_id)] == CocoClassMapping::kNone;
    });
    if (!result.detections.empty()) {
      // The values evaluated are the ones the written file holds: write, then read back.
      const std::string text = coco_results_json(result, gt.images[i].id, categories);
      list_text = "[" + text + "]";
      const std::vector<CocoDetection> parsed = parse_coco_results(list_text);
      run.detections.insert(run.detections.end(), parsed.begin(), parsed.end());
      if (options.keep_results_json) {
        run.results_json += run.results_json.empty() ? "[\n" : ",\n";
        run.results_json += text;
      }
    }
    if (options.progress) options.progress(i + 1, gt.images.size(), gt.images[i].file_name);
  };
  run.stats = run_pipeline(detector, inputs, options.pipeline, callbacks);
  if (options.keep_results_json) run.results_json += run.results_json.empty() ? "[]\n" : "\n]\n";
  return run;
}

}  // namespace yoloxrt
