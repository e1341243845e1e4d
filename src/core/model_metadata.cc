#include "yoloxrt/model_metadata.h"

#include <cstdio>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "yoloxrt/error.h"

namespace yoloxrt {
namespace {

using nlohmann::json;
constexpr const char* kPrefix = "yoloxrt.";

template <typename T>
T get_json(const std::map<std::string, std::string>& props, const std::string& key,
           const T& fallback) {
  auto it = props.find(kPrefix + key);
  if (it == props.end()) return fallback;
  try {
    return json::parse(it->second).get<T>();
  } catch (const std::exception& e) {
    throw Error(ErrorKind::kCorrupt,
                "metadata key '" + it->first + "' is malformed: " + std::string(e.what()));
  }
}

std::string get_string(const std::map<std::string, std::string>& props, const std::string& key,
                       const std::string& fallback) {
  auto it = props.find(kPrefix + key);
  return it == props.end() ? fallback : it->second;
}

template <typename E, size_t N>
E parse_enum(const std::string& s, const std::pair<const char*, E> (&table)[N], const char* what) {
  std::string accepted;
  for (const auto& [name, value] : table) {
    if (s == name) return value;
    accepted += accepted.empty() ? "" : ", ";
    accepted += name;
  }
  throw Error(ErrorKind::kInvalidArgument,
              std::string("unknown ") + what + " '" + s + "' (expected one of: " + accepted + ")");
}

template <typename E, size_t N>
std::string enum_name(E value, const std::pair<const char*, E> (&table)[N]) {
  for (const auto& [name, v] : table)
    if (v == value) return name;
  return "?";
}

const std::pair<const char*, Family> kFamilies[] = {{"cjm", Family::kCjm},
                                                    {"megvii", Family::kMegvii}};
const std::pair<const char*, OutputFormat> kFormats[] = {
    {"decoded", OutputFormat::kDecoded},
    {"raw", OutputFormat::kRaw},
    {"megvii-decoded", OutputFormat::kMegviiDecoded},
    {"end-to-end", OutputFormat::kEndToEnd}};
const std::pair<const char*, ResizePolicy> kPolicies[] = {{"crop", ResizePolicy::kCrop},
                                                          {"letterbox", ResizePolicy::kLetterbox},
                                                          {"pad", ResizePolicy::kPad}};

}  // namespace

std::string to_string(Family f) { return enum_name(f, kFamilies); }
std::string to_string(OutputFormat f) { return enum_name(f, kFormats); }
std::string to_string(ResizePolicy p) { return enum_name(p, kPolicies); }
Family parse_family(const std::string& s) { return parse_enum(s, kFamilies, "family"); }
OutputFormat parse_output_format(const std::string& s) {
  return parse_enum(s, kFormats, "output format");
}
ResizePolicy parse_resize_policy(const std::string& s) {
  return parse_enum(s, kPolicies, "resize policy");
}

std::map<std::string, std::string> ModelMetadata::to_props() const {
  std::map<std::string, std::string> p;
  auto put = [&](const std::string& k, const std::string& v) { p[kPrefix + k] = v; };
  put("version", yoloxrt_version.empty() ? version_string() : yoloxrt_version);
  put("family", to_string(family));
  put("model_type", model_type);
  put("class_names", json(class_names).dump());
  json cols = json::array();
  for (const auto& c : colors) cols.push_back({c[0], c[1], c[2]});
  put("colors", cols.dump());
  put("mean", json(mean).dump());
  put("std", json(std).dump());
  put("strides", json(strides).dump());
  put("input_layout", input_layout == InputLayout::kNHWC ? "NHWC" : "NCHW");
  put("channel_order", channel_order == ChannelOrder::kBGR ? "BGR" : "RGB");
  put("input_range", json(input_range).dump());
  put("output_format", to_string(output_format));
  put("resize", to_string(resize));
  put("input_size", json({default_height, default_width}).dump());
  put("source_sha256", source_sha256);
  if (nms) {
    // %.7g round-trips a float and keeps 0.45 readable (not 0.449999988).
    auto num = [](float v) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.7g", static_cast<double>(v));
      return std::stod(buf);
    };
    put("nms", json{{"conf", num(nms->conf)},
                    {"iou", num(nms->iou)},
                    {"max_det", nms->max_det},
                    {"per_class", nms->per_class}}
                   .dump());
  }
  return p;
}

ModelMetadata ModelMetadata::from_props(const std::map<std::string, std::string>& props) {
  ModelMetadata m;
  if (!props.count(std::string(kPrefix) + "version")) return m;
  m.has_yoloxrt_metadata = true;
  m.yoloxrt_version = get_string(props, "version", "");
  try {
    m.family = parse_family(get_string(props, "family", "cjm"));
    m.output_format = parse_output_format(get_string(props, "output_format", "decoded"));
    m.resize = parse_resize_policy(get_string(props, "resize", "crop"));
  } catch (const Error& e) {
    throw Error(ErrorKind::kCorrupt, "metadata: " + e.message());
  }
  m.model_type = get_string(props, "model_type", "");
  m.class_names = get_json(props, "class_names", std::vector<std::string>{});
  for (const auto& c : get_json(props, "colors", std::vector<std::array<int, 3>>{}))
    m.colors.push_back(
        {static_cast<uint8_t>(c[0]), static_cast<uint8_t>(c[1]), static_cast<uint8_t>(c[2])});
  m.mean = get_json(props, "mean", m.mean);
  m.std = get_json(props, "std", m.std);
  m.strides = get_json(props, "strides", m.strides);
  m.input_layout =
      get_string(props, "input_layout", "NCHW") == "NHWC" ? InputLayout::kNHWC : InputLayout::kNCHW;
  m.channel_order =
      get_string(props, "channel_order", "RGB") == "BGR" ? ChannelOrder::kBGR : ChannelOrder::kRGB;
  m.input_range = get_json(props, "input_range", m.input_range);
  auto size = get_json(props, "input_size", std::array<int, 2>{m.default_height, m.default_width});
  m.default_height = size[0];
  m.default_width = size[1];
  m.source_sha256 = get_string(props, "source_sha256", "");
  if (props.count(std::string(kPrefix) + "nms")) {
    const json j = get_json(props, "nms", json::object());
    try {
      NmsSettings n;
      n.conf = j.at("conf").get<float>();
      n.iou = j.at("iou").get<float>();
      n.max_det = j.at("max_det").get<int>();
      n.per_class = j.at("per_class").get<bool>();
      if (n.max_det < 1) throw std::invalid_argument("max_det must be >= 1");
      m.nms = n;
    } catch (const std::exception& e) {
      throw Error(ErrorKind::kCorrupt,
                  "metadata key 'yoloxrt.nms' is malformed: " + std::string(e.what()));
    }
  }
  if (m.output_format == OutputFormat::kEndToEnd && !m.nms)
    throw Error(ErrorKind::kCorrupt, "metadata: an end-to-end model needs 'yoloxrt.nms'");
  return m;
}

const std::vector<std::string>& coco_class_names() {
  static const std::vector<std::string> names = {"person",        "bicycle",      "car",
                                                 "motorcycle",    "airplane",     "bus",
                                                 "train",         "truck",        "boat",
                                                 "traffic light", "fire hydrant", "stop sign",
                                                 "parking meter", "bench",        "bird",
                                                 "cat",           "dog",          "horse",
                                                 "sheep",         "cow",          "elephant",
                                                 "bear",          "zebra",        "giraffe",
                                                 "backpack",      "umbrella",     "handbag",
                                                 "tie",           "suitcase",     "frisbee",
                                                 "skis",          "snowboard",    "sports ball",
                                                 "kite",          "baseball bat", "baseball glove",
                                                 "skateboard",    "surfboard",    "tennis racket",
                                                 "bottle",        "wine glass",   "cup",
                                                 "fork",          "knife",        "spoon",
                                                 "bowl",          "banana",       "apple",
                                                 "sandwich",      "orange",       "broccoli",
                                                 "carrot",        "hot dog",      "pizza",
                                                 "donut",         "cake",         "chair",
                                                 "couch",         "potted plant", "bed",
                                                 "dining table",  "toilet",       "tv",
                                                 "laptop",        "mouse",        "remote",
                                                 "keyboard",      "cell phone",   "microwave",
                                                 "oven",          "toaster",      "sink",
                                                 "refrigerator",  "book",         "clock",
                                                 "vase",          "scissors",     "teddy bear",
                                                 "hair drier",    "toothbrush"};
  return names;
}

const char* version_string() { return YOLOXRT_VERSION; }

}  // namespace yoloxrt
