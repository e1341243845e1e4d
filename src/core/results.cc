#include "yoloxrt/results.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string_view>

#include <nlohmann/json.hpp>

#include "yoloxrt/error.h"
#include "yoloxrt/file_io.h"

namespace yoloxrt {
namespace fs = std::filesystem;

// Declared in detection.h; defined here so that the core's result writers can label classes
// (the inference layer links the core).
std::string class_label(const std::vector<std::string>& class_names, int class_id) {
  if (class_id >= 0 && static_cast<size_t>(class_id) < class_names.size())
    return class_names[static_cast<size_t>(class_id)];
  return "class " + std::to_string(class_id);
}

namespace {
using ojson = nlohmann::ordered_json;

// A float32 as the JSON number nlohmann prints in its shortest form: the double nearest to the
// float's shortest round-trip decimal (at most 9 significant digits), whose own shortest form is
// that same decimal. Printing the float widened to double would show its binary noise.
ojson float_value(float v) {
  if (!std::isfinite(v)) return nullptr;
  std::array<char, 32> buf{};
  const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  double d = v;
  if (ec == std::errc()) std::from_chars(buf.data(), end, d);
  return d;
}

ojson box_array(float a, float b, float c, float d) {
  return ojson::array({float_value(a), float_value(b), float_value(c), float_value(d)});
}

}  // namespace

std::string display_image_name(const std::string& image) {
  if (image.empty()) return image;
  std::string s = fs::path(image).lexically_normal().generic_string();
  // lexically_normal keeps a trailing separator ("dir/..") as "dir/": not a file name.
  if (s.size() > 1 && s.back() == '/') s.pop_back();
  return s.empty() ? "." : s;
}

std::string detection_json(const ImageResult& result, const std::vector<std::string>& class_names) {
  ojson j;
  j["image"] = display_image_name(result.image);
  if (result.frame) j["frame"] = *result.frame;
  j["width"] = result.width;
  j["height"] = result.height;
  ojson dets = ojson::array();
  for (size_t k = 0; k < result.detections.size(); ++k) {
    const Detection& d = result.detections[k];
    ojson o;
    if (k < result.track_ids.size()) o["track_id"] = result.track_ids[k];
    o["label"] = class_label(class_names, d.class_id);
    o["class_id"] = d.class_id;
    o["score"] = float_value(d.score);
    o["box"] = box_array(d.box.x1, d.box.y1, d.box.x2, d.box.y2);
    dets.push_back(std::move(o));
  }
  j["detections"] = std::move(dets);
  // Invalid UTF-8 in a name (a Latin-1 file name) is replaced, not thrown.
  return j.dump(-1, ' ', false, ojson::error_handler_t::replace);
}

std::span<const int> coco80_category_ids() {
  static constexpr std::array<int, 80> kIds = {
      1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21,
      22, 23, 24, 25, 27, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44,
      46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65,
      67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90};
  return kIds;
}

int CocoCategoryMap::category_id(int class_id) const {
  if (class_id >= 0 && static_cast<size_t>(class_id) < category_ids.size())
    return category_ids[static_cast<size_t>(class_id)];
  return class_id;
}

int64_t coco_image_id(const std::string& image, size_t index) {
  const std::string stem = fs::path(image).stem().string();
  if (stem.empty() || stem.size() > 17) return static_cast<int64_t>(index);
  int64_t id = 0;
  const auto [end, ec] = std::from_chars(stem.data(), stem.data() + stem.size(), id);
  if (ec != std::errc() || end != stem.data() + stem.size() || stem[0] == '-')
    return static_cast<int64_t>(index);
  return id;
}

std::string coco_results_json(const ImageResult& result, int64_t image_id,
                              const CocoCategoryMap& categories) {
  std::string out;
  for (const Detection& d : result.detections) {
    ojson o;
    o["image_id"] = image_id;
    o["category_id"] = categories.category_id(d.class_id);
    o["bbox"] = box_array(d.box.x1, d.box.y1, d.box.x2 - d.box.x1, d.box.y2 - d.box.y1);
    o["score"] = float_value(d.score);
    if (!out.empty()) out += ",\n";
    out += o.dump();
  }
  return out;
}

std::string format_mot_rows(std::span<const MotRow> rows) {
  std::string out;
  out.reserve(rows.size() * 64);
  char buf[256];
  for (const MotRow& r : rows) {
    const int len = std::snprintf(buf, sizeof buf, "%d,%d,%.4f,%.4f,%.4f,%.4f,%.6f,-1,-1,-1\n",
                                  r.frame, r.id, r.x, r.y, r.w, r.h, r.score);
    if (len > 0) out.append(buf, std::min(static_cast<size_t>(len), sizeof buf - 1));
  }
  return out;
}

namespace {

class FileResultsWriter final : public ResultsWriter {
 public:
  FileResultsWriter(const fs::path& path, ResultsFormat format, Options options)
      : file_(path), format_(format), options_(std::move(options)) {
    out_ = std::fopen(file_.temp_path().c_str(), "wb");
    if (!out_)
      throw Error(ErrorKind::kIo, std::string("cannot write: ") + std::strerror(errno),
                  path.string());
    path_ = path.string();
    if (format_ != ResultsFormat::kJsonLines) put("[");
  }
  ~FileResultsWriter() override {
    if (out_) std::fclose(out_);
  }

  void add(const ImageResult& result, size_t index) override {
    std::string text;
    switch (format_) {
      case ResultsFormat::kJson:
        text = detection_json(result, options_.class_names);
        break;
      case ResultsFormat::kJsonLines:
        put(detection_json(result, options_.class_names) + "\n");
        return;
      case ResultsFormat::kCoco:
        text = coco_results_json(result, coco_image_id(result.image, index), options_.categories);
        break;
    }
    if (text.empty()) return;
    put((first_ ? "\n" : ",\n") + text);
    first_ = false;
  }

  void close() override {
    if (format_ != ResultsFormat::kJsonLines) put(first_ ? "]\n" : "\n]\n");
    const bool ok = std::fflush(out_) == 0 && !std::ferror(out_);
    const int err = errno;
    std::fclose(out_);
    out_ = nullptr;
    if (!ok) throw Error(ErrorKind::kIo, std::string("write failed: ") + std::strerror(err), path_);
    file_.commit();
  }

 private:
  void put(const std::string& s) {
    if (!out_) throw Error(ErrorKind::kIo, "write after close", path_);
    if (std::fwrite(s.data(), 1, s.size(), out_) != s.size())
      throw Error(ErrorKind::kIo, std::string("write failed: ") + std::strerror(errno), path_);
  }

  AtomicFile file_;
  ResultsFormat format_;
  Options options_;
  std::FILE* out_ = nullptr;
  std::string path_;
  bool first_ = true;
};

}  // namespace

std::unique_ptr<ResultsWriter> ResultsWriter::open(const fs::path& path, ResultsFormat format,
                                                   Options options) {
  return std::make_unique<FileResultsWriter>(path, format, std::move(options));
}

}  // namespace yoloxrt
