#include "export/architecture.h"

#include <algorithm>
#include <cfenv>
#include <cmath>
#include <cstdio>
#include <map>

#include "yoloxrt/error.h"

namespace yoloxrt::exporter {
namespace {

struct VariantRow {
  const char* name;
  double deepen, widen;
  bool depthwise;
};
// Megvii's exps/default/*.py factors per variant (docs/ARCHITECTURE.md, "Export data path").
constexpr VariantRow kVariants[] = {
    {"yolox_nano", 0.33, 0.25, true}, {"yolox_tiny", 0.33, 0.375, false},
    {"yolox_s", 0.33, 0.5, false},    {"yolox_m", 0.67, 0.75, false},
    {"yolox_l", 1.0, 1.0, false},     {"yolox_x", 1.33, 1.25, false},
};

// Python's round(): half to even.
int round_half_even(double v) {
  const int saved = std::fegetround();
  std::fesetround(FE_TONEAREST);
  const double r = std::nearbyint(v);
  std::fesetround(saved);
  return static_cast<int>(r);
}

struct PrefixRule {
  const char* megvii;
  const char* cjm;
  bool csp;  // a CSP layer: its children are renamed too
};
// The one key table between the families (docs/ARCHITECTURE.md, "Adding a checkpoint layout").
constexpr PrefixRule kPrefixRules[] = {
    {"backbone.backbone.stem", "backbone.stem", false},
    {"backbone.backbone.dark2.0", "backbone.stage1.0", false},
    {"backbone.backbone.dark2.1", "backbone.stage1.1", true},
    {"backbone.backbone.dark3.0", "backbone.stage2.0", false},
    {"backbone.backbone.dark3.1", "backbone.stage2.1", true},
    {"backbone.backbone.dark4.0", "backbone.stage3.0", false},
    {"backbone.backbone.dark4.1", "backbone.stage3.1", true},
    {"backbone.backbone.dark5.0", "backbone.stage4.0", false},
    {"backbone.backbone.dark5.1", "backbone.stage4.1", false},
    {"backbone.backbone.dark5.2", "backbone.stage4.2", true},
    {"backbone.lateral_conv0", "neck.reduce_layers.0", false},
    {"backbone.reduce_conv1", "neck.reduce_layers.1", false},
    {"backbone.C3_p4", "neck.top_down_blocks.0", true},
    {"backbone.C3_p3", "neck.top_down_blocks.1", true},
    {"backbone.bu_conv2", "neck.downsamples.0", false},
    {"backbone.bu_conv1", "neck.downsamples.1", false},
    {"backbone.C3_n3", "neck.bottom_up_blocks.0", true},
    {"backbone.C3_n4", "neck.bottom_up_blocks.1", true},
    {"head.stems", "neck.out_convs", false},
    {"head.cls_convs", "bbox_head.multi_level_cls_convs", false},
    {"head.reg_convs", "bbox_head.multi_level_reg_convs", false},
    {"head.cls_preds", "bbox_head.multi_level_conv_cls", false},
    {"head.reg_preds", "bbox_head.multi_level_conv_reg", false},
    {"head.obj_preds", "bbox_head.multi_level_conv_obj", false},
};
constexpr std::pair<const char*, const char*> kCspChildren[] = {
    {"conv1", "main_conv"}, {"conv2", "short_conv"}, {"conv3", "final_conv"}, {"m", "blocks"}};

bool starts_with_component(const std::string& key, const std::string& prefix) {
  return key.size() > prefix.size() && key.compare(0, prefix.size(), prefix) == 0 &&
         key[prefix.size()] == '.';
}

const char* kStemKey[2] = {"backbone.stem.conv.conv.weight",
                           "backbone.backbone.stem.conv.conv.weight"};

}  // namespace

std::string Architecture::describe() const {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%s (deepen %.3g, widen %.4g%s, %d classes)", model_type.c_str(),
                deepen, widen, depthwise ? ", depthwise" : "", num_classes);
  return buf;
}

Architecture architecture_from_factors(double deepen, double widen, bool depthwise,
                                       int num_classes) {
  if (!(deepen > 0 && deepen <= 4) || !(widen > 0 && widen <= 4))
    throw Error(ErrorKind::kInvalidArgument,
                "depth and width factors must be in (0, 4], got depth " + std::to_string(deepen) +
                    " width " + std::to_string(widen));
  Architecture a;
  a.deepen = deepen;
  a.widen = widen;
  a.depthwise = depthwise;
  a.num_classes = num_classes;
  auto ch = [&](int base) { return static_cast<int>(base * widen); };
  auto blocks = [&](int n) { return std::max(round_half_even(n * deepen), 1); };
  a.stem = ch(64);
  a.stage_out = {ch(128), ch(256), ch(512), ch(1024)};
  a.stage_blocks = {blocks(3), blocks(9), blocks(9), blocks(3)};
  a.neck_blocks = blocks(3);
  a.head_width = ch(256);
  if (a.stem < 1 || a.stage_out[0] < 2)
    throw Error(ErrorKind::kInvalidArgument,
                "width factor " + std::to_string(widen) + " is too small");
  return a;
}

std::optional<Architecture> architecture_for_type(const std::string& model_type) {
  for (const auto& v : kVariants) {
    if (model_type == v.name) {
      Architecture a = architecture_from_factors(v.deepen, v.widen, v.depthwise, 80);
      a.model_type = v.name;
      return a;
    }
  }
  return std::nullopt;
}

Family detect_family(const StateDict& state) {
  size_t megvii = 0, cjm = 0;
  std::vector<std::string> unknown;
  // A key belongs to the family whose side of kPrefixRules (the one key table) it starts with.
  auto under_a_prefix = [](const std::string& key, const char* PrefixRule::*side) {
    return std::any_of(std::begin(kPrefixRules), std::end(kPrefixRules),
                       [&](const PrefixRule& r) { return starts_with_component(key, r.*side); });
  };
  for (const auto& k : state.names()) {
    if (under_a_prefix(k, &PrefixRule::megvii))
      ++megvii;
    else if (under_a_prefix(k, &PrefixRule::cjm))
      ++cjm;
    else if (unknown.size() < 5)
      unknown.push_back(k);
  }
  if (megvii > 0 && cjm == 0) return Family::kMegvii;
  if (cjm > 0 && megvii == 0) return Family::kCjm;
  std::string msg = "cannot tell the YOLOX layout of this state dict (" +
                    std::to_string(state.size()) + " tensors): " + std::to_string(megvii) +
                    " keys look Megvii (backbone.backbone.*, head.*), " + std::to_string(cjm) +
                    " look cjm (backbone.stage*, neck.*, bbox_head.*)";
  if (!unknown.empty()) {
    msg += "; unrecognised keys include:";
    for (const auto& k : unknown) msg += " '" + k + "'";
  }
  throw Error(ErrorKind::kUnsupported, msg);
}

std::string map_key(const std::string& key, Family from, Family to) {
  if (from == to) return key;
  const bool to_cjm = to == Family::kCjm;
  for (const auto& r : kPrefixRules) {
    const std::string src = to_cjm ? r.megvii : r.cjm;
    const std::string dst = to_cjm ? r.cjm : r.megvii;
    if (!starts_with_component(key, src)) continue;
    std::string rest = key.substr(src.size() + 1);
    if (r.csp) {
      for (const auto& [mv, cj] : kCspChildren) {
        const std::string a = to_cjm ? mv : cj, b = to_cjm ? cj : mv;
        if (starts_with_component(rest, a)) {
          rest = b + rest.substr(a.size());
          break;
        }
      }
    }
    return dst + "." + rest;
  }
  return key;
}

void swap_focus_blocks(Tensor& w) {
  if (w.shape.size() != 4 || w.shape[1] != 12)
    throw Error(ErrorKind::kMismatch,
                "Focus stem weight must be [out, 12, k, k], got " + w.shape_string());
  const int64_t out = w.shape[0], plane = w.shape[2] * w.shape[3];
  for (int64_t o = 0; o < out; ++o) {
    float* base = w.data.data() + o * 12 * plane;
    std::swap_ranges(base + 3 * plane, base + 6 * plane, base + 6 * plane);
  }
}

StateDict canonicalize_state_dict(StateDict state, Family family) {
  if (family == Family::kCjm) return state;
  StateDict out;
  for (const auto& k : state.names())
    out.set(map_key(k, Family::kMegvii, Family::kCjm), std::move(state.at(k)));
  if (out.contains(kStemKey[0])) swap_focus_blocks(out.at(kStemKey[0]));
  return out;
}

StateDict state_dict_for_family(StateDict canonical, Family family) {
  if (family == Family::kCjm) return canonical;
  if (canonical.contains(kStemKey[0])) swap_focus_blocks(canonical.at(kStemKey[0]));
  StateDict out;
  for (const auto& k : canonical.names())
    out.set(map_key(k, Family::kCjm, Family::kMegvii), std::move(canonical.at(k)));
  return out;
}

Architecture infer_architecture(const StateDict& sd) {
  auto need = [&](const std::string& key, size_t rank) -> const Tensor& {
    if (!sd.contains(key))
      throw Error(ErrorKind::kMismatch,
                  "cannot infer the architecture: tensor '" + key + "' is missing");
    const Tensor& t = sd.at(key);
    if (t.shape.size() != rank)
      throw Error(ErrorKind::kMismatch, "cannot infer the architecture: tensor '" + key +
                                            "' has shape " + t.shape_string());
    return t;
  };
  auto count_blocks = [&](const std::string& csp) {
    int n = 0;
    while (sd.contains(csp + ".blocks." + std::to_string(n) + ".conv1.conv.weight")) ++n;
    return n;
  };
  Architecture a;
  a.num_classes = static_cast<int>(need("bbox_head.multi_level_conv_cls.0.weight", 4).shape[0]);
  a.stem = static_cast<int>(need("backbone.stem.conv.conv.weight", 4).shape[0]);
  a.depthwise = sd.contains("backbone.stage1.0.dconv.conv.weight");
  const char* down = a.depthwise ? ".0.pconv.conv.weight" : ".0.conv.weight";
  for (int i = 0; i < 4; ++i) {
    const std::string stage = "backbone.stage" + std::to_string(i + 1);
    a.stage_out[i] = static_cast<int>(need(stage + down, 4).shape[0]);
    a.stage_blocks[i] = count_blocks(stage + (i == 3 ? ".2" : ".1"));
  }
  a.neck_blocks = count_blocks("neck.top_down_blocks.0");
  a.head_width = static_cast<int>(need("neck.out_convs.0.conv.weight", 4).shape[0]);
  a.widen = a.stem / 64.0;
  a.deepen = a.stage_blocks[1] / 9.0;
  for (const auto& v : kVariants) {
    Architecture ref = architecture_from_factors(v.deepen, v.widen, v.depthwise, a.num_classes);
    if (ref.stem == a.stem && ref.stage_out == a.stage_out && ref.stage_blocks == a.stage_blocks &&
        ref.neck_blocks == a.neck_blocks && ref.head_width == a.head_width &&
        ref.depthwise == a.depthwise) {
      ref.model_type = v.name;
      return ref;
    }
  }
  return a;
}

}  // namespace yoloxrt::exporter
