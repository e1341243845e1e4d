// COCO ground truth and results readers, and COCOeval's bbox metrics.
//
// Reproduces pycocotools' cocoeval.py (COCOeval.evaluate / evaluateImg / accumulate / summarize,
// Params.setDetParams) and maskApi.c's bbIou for iouType "bbox". Every arithmetic step that can
// change a bit is done in float64 in pycocotools' order; the file is compiled with
// -ffp-contract=off so that no multiply-add is fused.
//
// Layout for speed: ground truth and detections are sorted once by (category, image, ...) into
// contiguous runs, each (image, category) run is matched with a small D x G IoU matrix, and the
// per-detection outcome (true positive / false positive / ignored, per area range and IoU
// threshold) is appended to its category's arrays; accumulate() then works per category on those
// arrays. No map keyed by (image, category) pairs.
#include "yoloxrt/coco_eval.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "yoloxrt/error.h"
#include "yoloxrt/file_io.h"

namespace yoloxrt {
namespace {

using nlohmann::json;

constexpr int kT = 10;   // IoU thresholds
constexpr int kR = 101;  // recall thresholds
constexpr int kA = 4;    // area ranges: all, small, medium, large
constexpr int kM = 3;    // maxDets: 1, 10, 100
constexpr int kMaxDets[kM] = {1, 10, 100};
// Params.areaRng: [0, 1e5^2], [0, 32^2], [32^2, 96^2], [96^2, 1e5^2], both ends inclusive.
constexpr double kAreaLo[kA] = {0.0, 0.0, 32.0 * 32.0, 96.0 * 96.0};
constexpr double kAreaHi[kA] = {1e10, 32.0 * 32.0, 96.0 * 96.0, 1e10};

// np.linspace(.5, .95, 10) and np.linspace(0, 1, 101): i * step + start, last = stop exactly.
struct Thresholds {
  std::array<double, kT> iou;
  std::array<double, kR> recall;
  Thresholds() {
    const double iou_step = (0.95 - 0.5) / (kT - 1);
    for (int i = 0; i < kT; ++i) iou[i] = i * iou_step + 0.5;
    iou[kT - 1] = 0.95;
    const double rec_step = (1.0 - 0.0) / (kR - 1);
    for (int i = 0; i < kR; ++i) recall[i] = i * rec_step + 0.0;
    recall[kR - 1] = 1.0;
  }
};
const Thresholds& thresholds() {
  static const Thresholds t;
  return t;
}

[[noreturn]] void corrupt(const std::string& message) { throw Error(ErrorKind::kCorrupt, message); }

// --- ground truth ------------------------------------------------------------------------------

std::string entry_name(const char* list, size_t index) {
  return std::string(list) + "[" + std::to_string(index) + "]";
}

int64_t get_int(const json& obj, const char* key, const std::string& where) {
  const auto it = obj.find(key);
  if (it == obj.end()) corrupt(where + ": no \"" + key + "\"");
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_number_unsigned()) {
    const uint64_t v = it->get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      corrupt(where + ": \"" + key + "\" is out of range");
    return static_cast<int64_t>(v);
  }
  corrupt(where + ": \"" + key + "\" is not an integer");
}

double get_number(const json& v, const std::string& what) {
  if (!v.is_number()) corrupt(what + " is not a number");
  const double d = v.get<double>();
  if (!std::isfinite(d)) corrupt(what + " is not finite");
  return d;
}

std::string box_problem(const CocoBox& b) {
  if (!std::isfinite(b.x) || !std::isfinite(b.y) || !std::isfinite(b.w) || !std::isfinite(b.h))
    return "bbox has a non-finite value";
  if (b.w < 0) return "bbox has a negative width (" + std::to_string(b.w) + ")";
  if (b.h < 0) return "bbox has a negative height (" + std::to_string(b.h) + ")";
  return {};
}

CocoBox get_box(const json& obj, const std::string& where) {
  const auto it = obj.find("bbox");
  if (it == obj.end()) corrupt(where + ": no \"bbox\"");
  if (!it->is_array() || it->size() != 4) corrupt(where + ": \"bbox\" is not [x, y, w, h]");
  CocoBox b;
  b.x = get_number((*it)[0], where + ": bbox x");
  b.y = get_number((*it)[1], where + ": bbox y");
  b.w = get_number((*it)[2], where + ": bbox width");
  b.h = get_number((*it)[3], where + ": bbox height");
  if (std::string p = box_problem(b); !p.empty()) corrupt(where + ": " + p);
  return b;
}

const json& get_list(const json& root, const char* key) {
  const auto it = root.find(key);
  if (it == root.end() || !it->is_array())
    corrupt(std::string("not a COCO instances file: no \"") + key + "\" list");
  return *it;
}

// nlohmann's what() without its "[json.exception.parse_error.101] " prefix.
std::string json_message(const std::exception& e) {
  std::string msg = e.what();
  if (msg.rfind("[json.exception.", 0) == 0)
    if (const size_t p = msg.find("] "); p != std::string::npos) msg = msg.substr(p + 2);
  return msg;
}

// --- results (streamed) ------------------------------------------------------------------------

// SAX handler for [{image_id, category_id, bbox, score, ...}, ...].
class ResultsSax {
 public:
  explicit ResultsSax(std::vector<CocoDetection>& out) : out_(out) {}

  bool null() { return scalar("null"); }
  bool boolean(bool) { return scalar("a boolean"); }
  bool number_integer(int64_t v) { return number(static_cast<double>(v), v, true); }
  bool number_unsigned(uint64_t v) {
    const bool fits = v <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    return number(static_cast<double>(v), fits ? static_cast<int64_t>(v) : 0, fits);
  }
  bool number_float(double v, const std::string&) { return number(v, 0, false); }
  bool string(std::string&) { return scalar("a string"); }
  bool binary(json::binary_t&) { return scalar("binary data"); }

  bool start_object(size_t) {
    if (skip_depth_ > 0) return ++skip_depth_, true;
    if (depth_ == 0)
      corrupt("not a COCO results file: expected a list of detections, found an object");
    if (depth_ == 1) {
      cur_ = {};
      have_ = 0;
      key_ = Key::kOther;
      depth_ = 2;
      return true;
    }
    return begin_skip();  // an object as a field value
  }
  bool end_object() {
    if (skip_depth_ > 0) return --skip_depth_, true;
    // depth_ == 2: one entry done.
    const char* missing = nullptr;
    if (!(have_ & kHaveImage))
      missing = "image_id";
    else if (!(have_ & kHaveCategory))
      missing = "category_id";
    else if (!(have_ & kHaveBox))
      missing = "bbox";
    else if (!(have_ & kHaveScore))
      missing = "score";
    if (missing) fail(std::string("no \"") + missing + "\"");
    if (std::string p = box_problem(cur_.bbox); !p.empty()) fail(p);
    out_.push_back(cur_);
    depth_ = 1;
    return true;
  }
  bool key(std::string& k) {
    if (skip_depth_ > 0) return true;
    if (k == "image_id")
      key_ = Key::kImage;
    else if (k == "category_id")
      key_ = Key::kCategory;
    else if (k == "bbox")
      key_ = Key::kBox;
    else if (k == "score")
      key_ = Key::kScore;
    else
      key_ = Key::kOther;
    return true;
  }
  bool start_array(size_t) {
    if (skip_depth_ > 0) return ++skip_depth_, true;
    if (depth_ == 0) {
      depth_ = 1;
      return true;
    }
    if (depth_ == 1) corrupt(where() + ": not an object");
    if (key_ == Key::kBox && depth_ == 2) {
      depth_ = 3;
      box_n_ = 0;
      return true;
    }
    if (key_ == Key::kOther) return begin_skip();
    fail(std::string("\"") + key_name() + "\" is a list");
  }
  bool end_array() {
    if (skip_depth_ > 0) return --skip_depth_, true;
    if (depth_ == 3) {
      if (box_n_ != 4) fail("\"bbox\" is not [x, y, w, h]");
      have_ |= kHaveBox;
      depth_ = 2;
      return true;
    }
    depth_ = 0;  // the top-level list
    done_ = true;
    return true;
  }
  bool parse_error(size_t position, const std::string&, const nlohmann::detail::exception& e) {
    const std::string msg = json_message(e);
    std::string where_text = depth_ >= 1 ? " in " + where() : "";
    throw Error(ErrorKind::kCorrupt, "malformed JSON" + where_text + ": " + msg, {}, position);
  }

  bool done() const { return done_; }

 private:
  enum class Key { kImage, kCategory, kBox, kScore, kOther };
  static constexpr unsigned kHaveImage = 1, kHaveCategory = 2, kHaveBox = 4, kHaveScore = 8;

  std::string where() const {
    std::string w = "detection " + std::to_string(out_.size());
    if (depth_ >= 2 && (have_ & kHaveImage))
      w += " (image_id " + std::to_string(cur_.image_id) + ")";
    return w;
  }
  [[noreturn]] void fail(const std::string& what) const { corrupt(where() + ": " + what); }
  const char* key_name() const {
    switch (key_) {
      case Key::kImage:
        return "image_id";
      case Key::kCategory:
        return "category_id";
      case Key::kBox:
        return "bbox";
      case Key::kScore:
        return "score";
      case Key::kOther:
        break;
    }
    return "?";
  }
  bool begin_skip() {
    skip_depth_ = 1;
    return true;
  }
  bool scalar(const char* what) {
    if (skip_depth_ > 0) return true;
    if (depth_ == 0) corrupt(std::string("not a COCO results file: the top level is ") + what);
    if (depth_ == 1) corrupt(where() + ": not an object");
    if (depth_ == 3) fail(std::string("bbox value is ") + what);
    if (key_ != Key::kOther) fail(std::string("\"") + key_name() + "\" is " + what);
    return true;
  }
  bool number(double d, int64_t i, bool is_int) {
    if (skip_depth_ > 0) return true;
    if (depth_ == 0) corrupt("not a COCO results file: the top level is a number");
    if (depth_ == 1) corrupt(where() + ": not an object");
    if (depth_ == 3) {
      if (box_n_ < 4) (&cur_.bbox.x)[box_n_] = d;
      ++box_n_;
      return true;
    }
    switch (key_) {
      case Key::kImage:
        if (!is_int) fail("\"image_id\" is not an integer");
        cur_.image_id = i;
        have_ |= kHaveImage;
        break;
      case Key::kCategory:
        if (!is_int) fail("\"category_id\" is not an integer");
        cur_.category_id = i;
        have_ |= kHaveCategory;
        break;
      case Key::kScore:
        if (!std::isfinite(d)) fail("\"score\" is not finite");
        cur_.score = d;
        have_ |= kHaveScore;
        break;
      case Key::kBox:
        fail("\"bbox\" is not [x, y, w, h]");
      case Key::kOther:
        break;
    }
    return true;
  }

  std::vector<CocoDetection>& out_;
  CocoDetection cur_;
  unsigned have_ = 0;
  Key key_ = Key::kOther;
  int depth_ = 0;       // 0 outside, 1 in the list, 2 in an entry, 3 in its bbox
  int skip_depth_ = 0;  // > 0 while skipping a nested value of an unknown key
  int box_n_ = 0;
  bool done_ = false;
};

// --- evaluation --------------------------------------------------------------------------------

// Outcome of one detection at one (area range, IoU threshold).
enum : uint8_t { kFp = 0, kTp = 1, kIgnored = 2 };

// Everything accumulate() needs about one category's detections, in evaluateImg's order
// (images by id, then score order within the image), truncated to 100 per image.
struct CategoryDets {
  std::vector<double> score;
  std::vector<uint8_t> rank;       // position within its (image, category), 0..99
  std::vector<uint8_t> outcome;    // [det][area][threshold]
  size_t npig[kA] = {0, 0, 0, 0};  // non-ignored ground truth per area range
  void clear() {
    score.clear();
    rank.clear();
    outcome.clear();
    std::fill(std::begin(npig), std::end(npig), 0);
  }
};

// Scratch buffers reused across (image, category) runs.
struct Scratch {
  std::vector<double> ious;         // [d][g] in the ground truth's original order
  std::vector<uint32_t> gt_order;   // ground truth, non-ignored first (stable)
  std::vector<uint8_t> gt_ignore;   // by original index
  std::vector<uint8_t> gt_matched;  // by sorted position, one threshold at a time
};

// maskApi.c bbIou for one pair: crowd => intersection over the detection's area.
inline double box_iou(const CocoBox& d, const CocoBox& g, bool crowd) {
  const double w = std::fmin(d.w + d.x, g.w + g.x) - std::fmax(d.x, g.x);
  if (w <= 0) return 0;
  const double h = std::fmin(d.h + d.y, g.h + g.y) - std::fmax(d.y, g.y);
  if (h <= 0) return 0;
  const double i = w * h;
  const double da = d.w * d.h;
  const double u = crowd ? da : da + g.w * g.h - i;
  return i / u;
}

// evaluateImg for every area range of one (image, category): `gts` in annotation-file order,
// `dets` already sorted by score (stable) and truncated to 100. Appends to `cat`.
void evaluate_run(const CocoGroundTruth& gt, std::span<const uint32_t> gts,
                  std::span<const CocoDetection> all_dets, std::span<const uint32_t> dets,
                  CategoryDets& cat, Scratch& s) {
  const Thresholds& th = thresholds();
  const size_t G = gts.size(), D = dets.size();
  s.ious.assign(D * G, 0.0);
  for (size_t d = 0; d < D; ++d) {
    const CocoBox& db = all_dets[dets[d]].bbox;
    for (size_t g = 0; g < G; ++g) {
      const CocoAnnotation& a = gt.annotations[gts[g]];
      s.ious[d * G + g] = box_iou(db, a.bbox, a.iscrowd);
    }
  }
  const size_t base = cat.score.size();
  cat.score.resize(base + D);
  cat.rank.resize(base + D);
  cat.outcome.resize((base + D) * kA * kT);
  for (size_t d = 0; d < D; ++d) {
    cat.score[base + d] = all_dets[dets[d]].score;
    cat.rank[base + d] = static_cast<uint8_t>(d);
  }
  s.gt_ignore.resize(G);
  s.gt_matched.resize(G);
  for (int a = 0; a < kA; ++a) {
    // _ignore: crowd, or area outside the range; then a stable sort puts ignored ones last.
    s.gt_order.clear();
    size_t npig = 0;
    for (size_t g = 0; g < G; ++g) {
      const CocoAnnotation& ann = gt.annotations[gts[g]];
      const bool ig = ann.iscrowd || ann.area < kAreaLo[a] || ann.area > kAreaHi[a];
      s.gt_ignore[g] = ig;
      if (!ig) {
        s.gt_order.push_back(static_cast<uint32_t>(g));
        ++npig;
      }
    }
    for (size_t g = 0; g < G; ++g)
      if (s.gt_ignore[g]) s.gt_order.push_back(static_cast<uint32_t>(g));
    cat.npig[a] += npig;

    for (int t = 0; t < kT; ++t) {
      std::fill(s.gt_matched.begin(), s.gt_matched.end(), 0);
      for (size_t d = 0; d < D; ++d) {
        const CocoDetection& det = all_dets[dets[d]];
        // evaluateImg: best gt at IoU >= min(t, 1 - 1e-10); a matched non-crowd gt is taken; once
        // matched to a regular gt, stop at the first ignored one; ties go to the later gt.
        double best = std::min(th.iou[t], 1 - 1e-10);
        int m = -1;
        if (G > 0) {
          const double* row = &s.ious[d * G];
          for (size_t j = 0; j < G; ++j) {
            const uint32_t g = s.gt_order[j];
            const bool crowd = gt.annotations[gts[g]].iscrowd;
            if (s.gt_matched[j] && !crowd) continue;
            if (m > -1 && !s.gt_ignore[s.gt_order[m]] && s.gt_ignore[g]) break;
            if (row[g] < best) continue;
            best = row[g];
            m = static_cast<int>(j);
          }
        }
        // dtm holds the matched gt's id (0 = none), dtIg the matched gt's ignore flag; an unmatched
        // (dtm == 0) detection outside the area range is ignored.
        bool ignored = false;
        int64_t dtm = 0;
        if (m > -1) {
          const uint32_t g = s.gt_order[m];
          s.gt_matched[m] = 1;
          ignored = s.gt_ignore[g];
          dtm = gt.annotations[gts[g]].id;
        }
        if (dtm == 0) {
          const double area = det.bbox.w * det.bbox.h;
          if (area < kAreaLo[a] || area > kAreaHi[a]) ignored = true;
        }
        cat.outcome[((base + d) * kA + a) * kT + t] = ignored ? kIgnored : dtm != 0 ? kTp : kFp;
      }
    }
  }
}

}  // namespace

// --- public: readers ---------------------------------------------------------------------------

CocoGroundTruth parse_coco_ground_truth(std::string_view json_text) {
  json root;
  // Segmentations (polygons, RLE) are most of an instances file's bytes: drop them while parsing.
  const json::parser_callback_t drop_segmentation = [](int, json::parse_event_t event,
                                                       json& parsed) {
    return !(event == json::parse_event_t::key && parsed == "segmentation");
  };
  try {
    root = json::parse(json_text.begin(), json_text.end(), drop_segmentation);
  } catch (const json::parse_error& e) {
    throw Error(ErrorKind::kCorrupt, "malformed JSON: " + json_message(e), {}, e.byte);
  }
  if (!root.is_object()) corrupt("not a COCO instances file: the top level is not an object");
  const json& images = get_list(root, "images");
  const json& annotations = get_list(root, "annotations");
  const json& categories = get_list(root, "categories");

  CocoGroundTruth gt;
  gt.images.reserve(images.size());
  std::unordered_set<int64_t> image_ids;
  std::unordered_set<std::string> file_names;
  for (size_t i = 0; i < images.size(); ++i) {
    const json& e = images[i];
    const std::string where = entry_name("images", i);
    if (!e.is_object()) corrupt(where + ": not an object");
    CocoImage img;
    img.id = get_int(e, "id", where);
    if (!image_ids.insert(img.id).second)
      corrupt(where + ": duplicate image id " + std::to_string(img.id));
    if (const auto it = e.find("file_name"); it != e.end()) {
      if (!it->is_string()) corrupt(where + ": \"file_name\" is not a string");
      img.file_name = it->get<std::string>();
      if (!img.file_name.empty() && !file_names.insert(img.file_name).second)
        corrupt(where + ": duplicate file_name \"" + img.file_name + "\"");
    }
    if (e.contains("width")) img.width = static_cast<int>(get_int(e, "width", where));
    if (e.contains("height")) img.height = static_cast<int>(get_int(e, "height", where));
    gt.images.push_back(std::move(img));
  }

  std::unordered_set<int64_t> category_ids;
  for (size_t i = 0; i < categories.size(); ++i) {
    const json& e = categories[i];
    const std::string where = entry_name("categories", i);
    if (!e.is_object()) corrupt(where + ": not an object");
    CocoCategory c;
    c.id = get_int(e, "id", where);
    if (!category_ids.insert(c.id).second)
      corrupt(where + ": duplicate category id " + std::to_string(c.id));
    if (const auto it = e.find("name"); it != e.end() && it->is_string())
      c.name = it->get<std::string>();
    gt.categories.push_back(std::move(c));
  }
  std::stable_sort(gt.categories.begin(), gt.categories.end(),
                   [](const CocoCategory& a, const CocoCategory& b) { return a.id < b.id; });

  gt.annotations.reserve(annotations.size());
  std::unordered_set<int64_t> annotation_ids;
  annotation_ids.reserve(annotations.size());
  for (size_t i = 0; i < annotations.size(); ++i) {
    const json& e = annotations[i];
    const std::string where = entry_name("annotations", i);
    if (!e.is_object()) corrupt(where + ": not an object");
    CocoAnnotation a;
    a.id = get_int(e, "id", where);
    const std::string where_id = where + " (id " + std::to_string(a.id) + ")";
    // pycocotools indexes annotations by id: a repeated id would silently stand for another box.
    if (!annotation_ids.insert(a.id).second) corrupt(where_id + ": duplicate annotation id");
    a.image_id = get_int(e, "image_id", where_id);
    if (!image_ids.count(a.image_id))
      corrupt(where_id + ": image_id " + std::to_string(a.image_id) + " is not in \"images\"");
    a.category_id = get_int(e, "category_id", where_id);
    if (!category_ids.count(a.category_id))
      corrupt(where_id + ": category_id " + std::to_string(a.category_id) +
              " is not in \"categories\"");
    a.bbox = get_box(e, where_id);
    if (const auto it = e.find("area"); it != e.end()) {
      a.area = get_number(*it, where_id + ": area");
      if (a.area < 0) corrupt(where_id + ": negative area");
    } else {
      a.area = a.bbox.w * a.bbox.h;
    }
    if (const auto it = e.find("iscrowd"); it != e.end()) {
      if (it->is_boolean())
        a.iscrowd = it->get<bool>();
      else if (it->is_number_integer() || it->is_number_unsigned())
        a.iscrowd = it->get<int64_t>() != 0;
      else
        corrupt(where_id + ": \"iscrowd\" is not 0 or 1");
    }
    gt.annotations.push_back(a);
  }
  return gt;
}

CocoGroundTruth read_coco_ground_truth(const std::filesystem::path& path) {
  const std::vector<uint8_t> bytes = read_file_bytes(path);
  try {
    return parse_coco_ground_truth(
        std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  } catch (const Error& e) {
    throw e.with_file(path.string());
  }
}

std::vector<CocoDetection> parse_coco_results(std::string_view json_text) {
  std::vector<CocoDetection> out;
  // ~110 bytes of text per detection in typical files: reserve to avoid regrowth copies.
  out.reserve(json_text.size() / 96);
  ResultsSax sax(out);
  json::sax_parse(json_text.begin(), json_text.end(), &sax);
  if (!sax.done()) corrupt("not a COCO results file: expected a list of detections");
  out.shrink_to_fit();
  return out;
}

std::vector<CocoDetection> read_coco_results(const std::filesystem::path& path) {
  const std::vector<uint8_t> bytes = read_file_bytes(path);
  try {
    return parse_coco_results(
        std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  } catch (const Error& e) {
    throw e.with_file(path.string());
  }
}

std::string format_coco_results(std::span<const CocoDetection> detections) {
  std::string out;
  out.reserve(detections.size() * 120 + 4);
  char buf[32];
  const auto num = [&](double v) {
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
  };
  out += "[";
  for (size_t i = 0; i < detections.size(); ++i) {
    const CocoDetection& d = detections[i];
    out += i ? ",\n " : "\n ";
    out += "{\"image_id\": " + std::to_string(d.image_id) +
           ", \"category_id\": " + std::to_string(d.category_id) + ", \"bbox\": [";
    num(d.bbox.x);
    out += ", ";
    num(d.bbox.y);
    out += ", ";
    num(d.bbox.w);
    out += ", ";
    num(d.bbox.h);
    out += "], \"score\": ";
    num(d.score);
    out += "}";
  }
  out += detections.empty() ? "]\n" : "\n]\n";
  return out;
}

CocoClassMapping map_classes_to_categories(const std::vector<std::string>& class_names,
                                           const CocoGroundTruth& gt) {
  CocoClassMapping map;
  std::unordered_map<std::string, int64_t> by_name;
  for (const CocoCategory& c : gt.categories) by_name.emplace(c.name, c.id);
  const std::unordered_set<std::string> names(class_names.begin(), class_names.end());
  bool classes_named = !class_names.empty(), categories_named = !gt.categories.empty();
  for (const std::string& n : class_names) classes_named = classes_named && by_name.count(n);
  for (const CocoCategory& c : gt.categories)
    categories_named = categories_named && names.count(c.name);
  if (classes_named || categories_named) {
    map.by_name = true;
    for (const std::string& n : class_names) {
      const auto it = by_name.find(n);
      map.category_ids.push_back(it == by_name.end() ? CocoClassMapping::kNone : it->second);
    }
    return map;
  }
  if (class_names.size() > gt.categories.size())
    throw Error(ErrorKind::kMismatch,
                "the model has " + std::to_string(class_names.size()) +
                    " classes but the ground truth only " + std::to_string(gt.categories.size()) +
                    " categories, and the class names are not category names");
  for (size_t i = 0; i < class_names.size(); ++i) map.category_ids.push_back(gt.categories[i].id);
  return map;
}

// --- public: evaluation ------------------------------------------------------------------------

std::string_view coco_stat_name(int stat) {
  static constexpr std::string_view kNames[kCocoStatCount] = {
      "AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"};
  return stat >= 0 && stat < kCocoStatCount ? kNames[stat] : std::string_view("?");
}

CocoMetrics evaluate_coco_bbox(const CocoGroundTruth& gt,
                               std::span<const CocoDetection> detections) {
  const Thresholds& th = thresholds();
  CocoMetrics out;
  out.images = gt.images.size();

  // Image positions in ascending id order (Params.imgIds = sorted ids); category positions
  // likewise (gt.categories is sorted by id).
  std::vector<uint32_t> by_id(gt.images.size());
  std::iota(by_id.begin(), by_id.end(), 0u);
  std::sort(by_id.begin(), by_id.end(),
            [&](uint32_t a, uint32_t b) { return gt.images[a].id < gt.images[b].id; });
  std::unordered_map<int64_t, uint32_t> image_pos;
  image_pos.reserve(gt.images.size() * 2);
  for (uint32_t p = 0; p < by_id.size(); ++p) image_pos.emplace(gt.images[by_id[p]].id, p);
  std::unordered_map<int64_t, uint32_t> cat_pos;
  for (uint32_t k = 0; k < gt.categories.size(); ++k) cat_pos.emplace(gt.categories[k].id, k);
  const size_t K = gt.categories.size();

  // Ground truth sorted by (category, image, file order).
  struct Key {
    uint32_t k, img, idx;
  };
  std::vector<Key> gkeys;
  gkeys.reserve(gt.annotations.size());
  for (uint32_t i = 0; i < gt.annotations.size(); ++i) {
    const CocoAnnotation& a = gt.annotations[i];
    const auto ip = image_pos.find(a.image_id);
    const auto kp = cat_pos.find(a.category_id);
    // parse_coco_ground_truth refuses these; a hand-built CocoGroundTruth may not.
    if (ip == image_pos.end() || kp == cat_pos.end())
      corrupt("annotation " + std::to_string(i) + " (id " + std::to_string(a.id) +
              ") refers to an image or category that is not listed");
    gkeys.push_back({kp->second, ip->second, i});
  }
  std::sort(gkeys.begin(), gkeys.end(), [](const Key& a, const Key& b) {
    return a.k != b.k ? a.k < b.k : a.img != b.img ? a.img < b.img : a.idx < b.idx;
  });

  // Detections sorted by (category, image, score descending, file order): evaluateImg's stable
  // argsort of -score within each (image, category).
  std::vector<Key> dkeys;
  dkeys.reserve(detections.size());
  for (uint32_t i = 0; i < detections.size(); ++i) {
    const CocoDetection& d = detections[i];
    const auto ip = image_pos.find(d.image_id);
    const auto where = [&] {
      return "detection " + std::to_string(i) + " (image_id " + std::to_string(d.image_id) + ")";
    };
    if (ip == image_pos.end())
      corrupt(where() + ": image_id " + std::to_string(d.image_id) +
              " is not an image of the ground truth");
    if (std::string p = box_problem(d.bbox); !p.empty()) corrupt(where() + ": " + p);
    if (!std::isfinite(d.score)) corrupt(where() + ": the score is not finite");
    const auto kp = cat_pos.find(d.category_id);
    if (kp == cat_pos.end()) {
      ++out.unknown_category_detections;
      continue;
    }
    dkeys.push_back({kp->second, ip->second, i});
  }
  out.detections = dkeys.size();
  std::sort(dkeys.begin(), dkeys.end(), [&](const Key& a, const Key& b) {
    if (a.k != b.k) return a.k < b.k;
    if (a.img != b.img) return a.img < b.img;
    const double sa = detections[a.idx].score, sb = detections[b.idx].score;
    if (sa != sb) return sa > sb;
    return a.idx < b.idx;
  });

  // precision[t][r][k][a][m] and recall[t][k][a][m], -1 where there is no ground truth.
  std::vector<double> precision(size_t(kT) * kR * K * kA * kM, -1.0);
  std::vector<double> recall(size_t(kT) * K * kA * kM, -1.0);
  const auto pidx = [K](int t, int r, size_t k, int a, int m) {
    return (((size_t(t) * kR + r) * K + k) * kA + a) * kM + m;
  };
  const auto ridx = [K](int t, size_t k, int a, int m) {
    return ((size_t(t) * K + k) * kA + a) * kM + m;
  };

  out.per_class.resize(K);
  CategoryDets cat;
  Scratch scratch;
  std::vector<uint32_t> run_gts, run_dets, order;
  std::vector<double> rc, pr;
  size_t gi = 0, di = 0;
  for (uint32_t k = 0; k < K; ++k) {
    cat.clear();
    size_t cat_dets = 0;
    // Walk the images that have ground truth or detections of category k, in id order.
    while ((gi < gkeys.size() && gkeys[gi].k == k) || (di < dkeys.size() && dkeys[di].k == k)) {
      uint32_t img = UINT32_MAX;
      if (gi < gkeys.size() && gkeys[gi].k == k) img = gkeys[gi].img;
      if (di < dkeys.size() && dkeys[di].k == k) img = std::min(img, dkeys[di].img);
      run_gts.clear();
      run_dets.clear();
      while (gi < gkeys.size() && gkeys[gi].k == k && gkeys[gi].img == img)
        run_gts.push_back(gkeys[gi++].idx);
      while (di < dkeys.size() && dkeys[di].k == k && dkeys[di].img == img) {
        ++cat_dets;
        if (run_dets.size() < size_t(kMaxDets[kM - 1])) run_dets.push_back(dkeys[di].idx);
        ++di;
      }
      evaluate_run(gt, run_gts, detections, run_dets, cat, scratch);
    }

    CocoClassMetrics& pc = out.per_class[k];
    pc.category_id = gt.categories[k].id;
    pc.name = gt.categories[k].name;
    pc.gt_count = cat.npig[0];
    pc.detections = cat_dets;

    // accumulate(): one stable sort of the category's detections by score (concatenation order =
    // images by id, then score order), then per area range and maxDets the subsequence with
    // rank < maxDets (a stable sort of a subsequence is the subsequence of the stable sort).
    const size_t n = cat.score.size();
    order.resize(n);
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(),
                     [&](uint32_t a, uint32_t b) { return cat.score[a] > cat.score[b]; });
    for (int a = 0; a < kA; ++a) {
      const size_t npig = cat.npig[a];
      if (npig == 0) continue;  // stays -1
      for (int m = 0; m < kM; ++m) {
        const int max_det = kMaxDets[m];
        for (int t = 0; t < kT; ++t) {
          if (m != kM - 1) {
            // summarize() reads only recall at maxDets 1 and 10: rc[-1], or 0 when nd == 0.
            size_t tp = 0, nd = 0;
            for (size_t j = 0; j < n; ++j) {
              const uint32_t d = order[j];
              if (cat.rank[d] >= max_det) continue;
              ++nd;
              tp += cat.outcome[(size_t(d) * kA + a) * kT + t] == kTp;
            }
            recall[ridx(t, k, a, m)] =
                nd ? static_cast<double>(tp) / static_cast<double>(npig) : 0.0;
            continue;
          }
          rc.clear();
          pr.clear();
          size_t tp = 0, fp = 0;
          for (size_t j = 0; j < n; ++j) {
            const uint32_t d = order[j];
            if (cat.rank[d] >= max_det) continue;
            const uint8_t o = cat.outcome[(size_t(d) * kA + a) * kT + t];
            tp += o == kTp;
            fp += o == kFp;
            const double tpd = static_cast<double>(tp), fpd = static_cast<double>(fp);
            rc.push_back(tpd / static_cast<double>(npig));
            pr.push_back(tpd / (fpd + tpd + std::numeric_limits<double>::epsilon()));
          }
          const size_t nd = rc.size();
          recall[ridx(t, k, a, m)] = nd ? rc[nd - 1] : 0.0;
          // Precision envelope, then the first position with rc >= each recall threshold
          // (np.searchsorted side='left'); thresholds past the last recall stay 0.
          for (size_t i = nd; i-- > 1;)
            if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
          size_t pos = 0;
          for (int r = 0; r < kR; ++r) {
            while (pos < nd && rc[pos] < th.recall[r]) ++pos;
            precision[pidx(t, r, k, a, m)] = pos < nd ? pr[pos] : 0.0;
          }
        }
      }
    }
  }

  // summarize(): the mean of the entries > -1 of each slice, -1 if there are none.
  const auto mean_precision = [&](int t_only, int a, int m, std::optional<size_t> k_only) {
    double sum = 0;
    size_t count = 0;
    for (int t = 0; t < kT; ++t) {
      if (t_only >= 0 && t != t_only) continue;
      for (int r = 0; r < kR; ++r)
        for (size_t k = k_only ? *k_only : 0; k < (k_only ? *k_only + 1 : K); ++k) {
          const double v = precision[pidx(t, r, k, a, m)];
          if (v > -1) sum += v, ++count;
        }
    }
    return count ? sum / static_cast<double>(count) : -1.0;
  };
  const auto mean_recall = [&](int a, int m) {
    double sum = 0;
    size_t count = 0;
    for (int t = 0; t < kT; ++t)
      for (size_t k = 0; k < K; ++k) {
        const double v = recall[ridx(t, k, a, m)];
        if (v > -1) sum += v, ++count;
      }
    return count ? sum / static_cast<double>(count) : -1.0;
  };
  // IoU=.50 is iouThrs[0], IoU=.75 is iouThrs[5].
  out.stats[kAP] = mean_precision(-1, 0, 2, std::nullopt);
  out.stats[kAP50] = mean_precision(0, 0, 2, std::nullopt);
  out.stats[kAP75] = mean_precision(5, 0, 2, std::nullopt);
  out.stats[kAPs] = mean_precision(-1, 1, 2, std::nullopt);
  out.stats[kAPm] = mean_precision(-1, 2, 2, std::nullopt);
  out.stats[kAPl] = mean_precision(-1, 3, 2, std::nullopt);
  out.stats[kAR1] = mean_recall(0, 0);
  out.stats[kAR10] = mean_recall(0, 1);
  out.stats[kAR100] = mean_recall(0, 2);
  out.stats[kARs] = mean_recall(1, 2);
  out.stats[kARm] = mean_recall(2, 2);
  out.stats[kARl] = mean_recall(3, 2);
  for (size_t k = 0; k < K; ++k) {
    out.per_class[k].ap = mean_precision(-1, 0, 2, k);
    out.per_class[k].ap50 = mean_precision(0, 0, 2, k);
  }
  return out;
}

std::string format_coco_summary(const std::array<double, kCocoStatCount>& stats) {
  struct Line {
    bool ap;
    const char* iou;
    const char* area;
    int max_dets;
  };
  static constexpr Line kLines[kCocoStatCount] = {
      {true, "0.50:0.95", "all", 100},     {true, "0.50", "all", 100},
      {true, "0.75", "all", 100},          {true, "0.50:0.95", "small", 100},
      {true, "0.50:0.95", "medium", 100},  {true, "0.50:0.95", "large", 100},
      {false, "0.50:0.95", "all", 1},      {false, "0.50:0.95", "all", 10},
      {false, "0.50:0.95", "all", 100},    {false, "0.50:0.95", "small", 100},
      {false, "0.50:0.95", "medium", 100}, {false, "0.50:0.95", "large", 100}};
  std::string out;
  char buf[160];
  for (int i = 0; i < kCocoStatCount; ++i) {
    const Line& l = kLines[i];
    std::snprintf(buf, sizeof buf, " %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3d ] = %0.3f\n",
                  l.ap ? "Average Precision" : "Average Recall", l.ap ? "(AP)" : "(AR)", l.iou,
                  l.area, l.max_dets, stats[i]);
    out += buf;
  }
  return out;
}

std::string format_coco_per_class(const CocoMetrics& metrics) {
  size_t name_w = 5;
  for (const auto& c : metrics.per_class) name_w = std::max(name_w, c.name.size());
  name_w = std::min<size_t>(name_w, 40);
  std::string out;
  char buf[256];
  std::snprintf(buf, sizeof buf, "%6s  %-*s  %6s  %6s  %6s\n", "id", static_cast<int>(name_w),
                "class", "AP", "AP50", "GT");
  out += buf;
  const auto num = [](double v) {
    char b[16];
    if (v < 0)
      std::snprintf(b, sizeof b, "%6s", "-");
    else
      std::snprintf(b, sizeof b, "%6.3f", v);
    return std::string(b);
  };
  for (const auto& c : metrics.per_class) {
    std::snprintf(buf, sizeof buf, "%6lld  %-*.*s  %s  %s  %6zu\n",
                  static_cast<long long>(c.category_id), static_cast<int>(name_w),
                  static_cast<int>(name_w), c.name.c_str(), num(c.ap).c_str(), num(c.ap50).c_str(),
                  c.gt_count);
    out += buf;
  }
  return out;
}

}  // namespace yoloxrt
