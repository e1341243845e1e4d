#include "yoloxrt/coco_detect.h"

#include "yoloxrt/error.h"
#include "yoloxrt/image.h"

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
      throw Error(ErrorKind::kUnsafe, id + ": file_name leaves the images folder",
                  image.file_name);
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

std::vector<CocoDetection> detect_coco_images(const Detector& detector, const CocoGroundTruth& gt,
                                              const fs::path& images_dir,
                                              std::span<const int64_t> class_to_category,
                                              const CocoDetectOptions& options) {
  std::vector<fs::path> paths;
  paths.reserve(gt.images.size());
  for (const CocoImage& img : gt.images) paths.push_back(resolve_coco_image(images_dir, img));

  std::vector<CocoDetection> out;
  for (size_t i = 0; i < gt.images.size(); ++i) {
    if (options.progress) options.progress(i, gt.images.size(), gt.images[i].file_name);
    std::vector<Detection> dets;
    try {
      const ImageBuffer buffer = load_image(paths[i], options.max_pixels);
      dets = detector.detect(buffer.view());
    } catch (const Error& e) {
      throw e.with_file(paths[i].string());
    }
    for (const Detection& d : dets) {
      if (d.class_id < 0 || static_cast<size_t>(d.class_id) >= class_to_category.size()) continue;
      const int64_t category = class_to_category[static_cast<size_t>(d.class_id)];
      if (category == CocoClassMapping::kNone) continue;
      CocoDetection c;
      c.image_id = gt.images[i].id;
      c.category_id = category;
      // Width and height in float, as a results file written from these boxes holds them.
      c.bbox = {d.box.x1, d.box.y1, d.box.x2 - d.box.x1, d.box.y2 - d.box.y1};
      c.score = d.score;
      out.push_back(c);
    }
  }
  if (options.progress) options.progress(gt.images.size(), gt.images.size(), {});
  return out;
}

}  // namespace yoloxrt
