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

namespace {

// The shared part of both detect_coco_images: the images' paths and pipeline inputs, and the
// in-order collection of their results once the class mapping is known.
class CocoCollector {
 public:
  CocoCollector(const CocoGroundTruth& gt, const fs::path& images_dir,
                const CocoDetectOptions& options)
      : gt_(gt), options_(options) {
    paths_.reserve(gt.images.size());
    for (const CocoImage& img : gt.images) paths_.push_back(resolve_coco_image(images_dir, img));
    inputs_.reserve(paths_.size());
    for (const fs::path& p : paths_) inputs_.push_back({p, false});
  }

  const std::vector<PipelineInput>& inputs() const { return inputs_; }

  void set_mapping(std::span<const int64_t> class_to_category) {
    // results.h's writer takes int category ids.
    for (const int64_t id : class_to_category) {
      if (id != CocoClassMapping::kNone &&
          (id < std::numeric_limits<int>::min() || id > std::numeric_limits<int>::max()))
        throw Error(ErrorKind::kUnsupported,
                    "category id " + std::to_string(id) + " does not fit the COCO results writer");
      categories_.category_ids.push_back(id == CocoClassMapping::kNone ? 0 : static_cast<int>(id));
    }
    class_to_category_.assign(class_to_category.begin(), class_to_category.end());
  }

  // In gt.images order, on the pipeline's calling thread: the first failure propagates.
  void deliver(PipelineItem& it) {
    const size_t i = it.input;
    if (it.error) {
      try {
        std::rethrow_exception(it.error);
      } catch (const Error& e) {
        throw e.with_file(paths_[i].string());
      }
    }
    ImageResult result;
    result.image = paths_[i].string();
    result.width = it.width;
    result.height = it.height;
    result.detections = std::move(it.detections);
    std::erase_if(result.detections, [&](const Detection& d) {
      return d.class_id < 0 || static_cast<size_t>(d.class_id) >= class_to_category_.size() ||
             class_to_category_[static_cast<size_t>(d.class_id)] == CocoClassMapping::kNone;
    });
    if (!result.detections.empty()) {
      // The values evaluated are the ones the written file holds: write, then read back.
      const std::string text = coco_results_json(result, gt_.images[i].id, categories_);
      list_text_ = "[" + text + "]";
      const std::vector<CocoDetection> parsed = parse_coco_results(list_text_);
      run_.detections.insert(run_.detections.end(), parsed.begin(), parsed.end());
      if (options_.keep_results_json) {
        run_.results_json += run_.results_json.empty() ? "[\n" : ",\n";
        run_.results_json += text;
      }
    }
    if (options_.progress) options_.progress(i + 1, gt_.images.size(), gt_.images[i].file_name);
  }

  CocoDetectRun finish(const PipelineStats& stats) {
    run_.stats = stats;
    if (options_.keep_results_json)
      run_.results_json += run_.results_json.empty() ? "[]\n" : "\n]\n";
    return std::move(run_);
  }

 private:
  const CocoGroundTruth& gt_;
  const CocoDetectOptions& options_;
  std::vector<fs::path> paths_;
  std::vector<PipelineInput> inputs_;
  std::vector<int64_t> class_to_category_;
  CocoCategoryMap categories_;
  std::string list_text_;  // one image's objects, as a list
  CocoDetectRun run_;
};

}  // namespace

CocoDetectRun detect_coco_images(const Detector& detector, const CocoGroundTruth& gt,
                                 const fs::path& images_dir,
                                 std::span<const int64_t> class_to_category,
                                 const CocoDetectOptions& options) {
  CocoCollector collector(gt, images_dir, options);
  collector.set_mapping(class_to_category);
  PipelineCallbacks callbacks;
  callbacks.deliver = [&](PipelineItem& it) { collector.deliver(it); };
  return collector.finish(run_pipeline(detector, collector.inputs(), options.pipeline, callbacks));
}

CocoDetectRun detect_coco_images(std::shared_future<const Detector*> detector,
                                 const CocoGroundTruth& gt, const fs::path& images_dir,
                                 const CocoDetectOptions& options) {
  CocoCollector collector(gt, images_dir, options);
  PipelineCallbacks callbacks;
  callbacks.ready = [&](const Detector& det) {
    const CocoClassMapping mapping = map_classes_to_categories(det.metadata().class_names, gt);
    collector.set_mapping(mapping.category_ids);
    if (options.ready) options.ready(det, mapping);
  };
  callbacks.deliver = [&](PipelineItem& it) { collector.deliver(it); };
  return collector.finish(
      run_pipeline(std::move(detector), collector.inputs(), options.pipeline, callbacks));
}

}  // namespace yoloxrt
