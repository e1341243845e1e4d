#include "export/graph_builder.h"

#include <cmath>
#include <cstring>
#include <set>

#include "export/batch_norm.h"
#include "export/graph_ops.h"
#include "yoloxrt/error.h"

namespace yoloxrt::exporter {
namespace {

using onnx::NodeProto;
using onnx::TensorProto;

// Collects parameters from the state dict, checking shapes and recording problems so that all of
// them can be reported together once the walk is over.
class WeightSource {
 public:
  // Takes the tensors out of `sd` as they are used (moving their data into the graph keeps the
  // peak memory of an export near one copy of the weights).
  explicit WeightSource(StateDict& sd) : sd_(sd) {}

  // Every (key, shape) requested so far, in walk order.
  const std::vector<std::pair<std::string, std::vector<int64_t>>>& requested() const {
    return requested_;
  }

  // Returns the tensor `key` if present with `shape`; otherwise records the problem and returns a
  // zero tensor of `shape` so the walk can go on.
  Tensor take(const std::string& key, const std::vector<int64_t>& shape) {
    used_.insert(key);
    requested_.emplace_back(key, shape);
    Tensor expected{shape, {}};
    if (!sd_.contains(key)) {
      missing_.push_back(key + " " + expected.shape_string());
    } else if (sd_.at(key).shape != shape) {
      misshaped_.push_back(key + ": expected " + expected.shape_string() + ", found " +
                           sd_.at(key).shape_string());
    } else {
      Tensor t;
      t.shape = sd_.at(key).shape;
      t.data = std::move(sd_.at(key).data);
      return t;
    }
    expected.data.assign(static_cast<size_t>(expected.numel()), 0.f);
    return expected;
  }

  // Throws Error(kMismatch) if anything was missing, mis-shaped or left unused.
  void check_complete() const {
    std::vector<std::string> unexpected;
    for (const auto& k : sd_.names())
      if (!used_.count(k)) unexpected.push_back(k);
    if (missing_.empty() && misshaped_.empty() && unexpected.empty()) return;
    std::string msg = "state dict does not match the architecture:";
    auto list = [&](const char* what, const std::vector<std::string>& v) {
      if (v.empty()) return;
      msg += "\n  " + std::to_string(v.size()) + " " + what + ":";
      for (size_t i = 0; i < v.size() && i < 12; ++i) msg += "\n    " + v[i];
      if (v.size() > 12) msg += "\n    ... and " + std::to_string(v.size() - 12) + " more";
    };
    list("missing keys", missing_);
    list("mis-shaped keys", misshaped_);
    list("unexpected keys", unexpected);
    throw Error(ErrorKind::kMismatch, msg);
  }

 private:
  StateDict& sd_;
  std::set<std::string> used_;
  std::vector<std::string> missing_, misshaped_;
  std::vector<std::pair<std::string, std::vector<int64_t>>> requested_;
};

class Builder : public GraphOps {
 public:
  Builder(onnx::GraphProto* g, WeightSource& w, bool depthwise)
      : GraphOps(g), w_(w), dw_(depthwise) {}

  // --- YOLOX blocks ---------------------------------------------------------------------------
  // Conv2d(no bias) + BatchNorm(eps 1e-3) + SiLU, with BN folded into the conv. `prefix` is the
  // canonical module name; its parameters are prefix.conv.weight and prefix.bn.*.
  std::string conv_bn_silu(const std::string& x, const std::string& prefix, int in, int out, int k,
                           int stride, int groups = 1, const Tensor* weight_override = nullptr) {
    // An override was already taken (and checked) by the caller.
    Tensor w = weight_override ? *weight_override
                               : w_.take(prefix + ".conv.weight", {out, in / groups, k, k});
    const Tensor gamma = w_.take(prefix + ".bn.weight", {out});
    const Tensor beta = w_.take(prefix + ".bn.bias", {out});
    const Tensor mean = w_.take(prefix + ".bn.running_mean", {out});
    const Tensor var = w_.take(prefix + ".bn.running_var", {out});
    std::vector<float> bias(out);
    fold_batch_norm(w.data.data(), out, w.numel() / out, static_cast<const float*>(nullptr),
                    gamma.data.data(), beta.data.data(), mean.data.data(), var.data.data(),
                    kBatchNormEps, bias.data());
    initializer(prefix + ".conv.weight", w.shape, w.data);
    initializer(prefix + ".conv.bias", {out}, bias);
    const std::string y = prefix + ".conv";
    NodeProto* n = node("Conv", {x, prefix + ".conv.weight", prefix + ".conv.bias"}, y);
    attr(n, "kernel_shape", std::vector<int64_t>{k, k});
    attr(n, "strides", std::vector<int64_t>{stride, stride});
    const int64_t p = (k - 1) / 2;
    attr(n, "pads", std::vector<int64_t>{p, p, p, p});
    if (groups != 1) attr(n, "group", static_cast<int64_t>(groups));
    const std::string s = op("Sigmoid", {y}, prefix + ".sigmoid");
    return op("Mul", {y, s}, prefix);
  }

  // A k×k conv block that is depthwise-separable in depthwise (nano) models: a grouped k×k
  // `dconv` then a 1×1 `pconv` (Megvii DWConv).
  std::string conv_kxk(const std::string& x, const std::string& prefix, int in, int out, int k,
                       int stride) {
    if (!dw_) return conv_bn_silu(x, prefix, in, out, k, stride);
    const std::string d = conv_bn_silu(x, prefix + ".dconv", in, in, k, stride, in);
    return conv_bn_silu(d, prefix + ".pconv", in, out, 1, 1);
  }

  // Bottleneck: 1×1 then 3×3, plus the input when `shortcut`.
  std::string bottleneck(const std::string& x, const std::string& prefix, int ch, bool shortcut) {
    std::string y = conv_bn_silu(x, prefix + ".conv1", ch, ch, 1, 1);
    y = conv_kxk(y, prefix + ".conv2", ch, ch, 3, 1);
    return shortcut ? op("Add", {x, y}, prefix + ".add") : y;
  }

  // CSP layer (hidden = out / 2): main 1×1 -> bottlenecks, short 1×1, final 1×1 on concat.
  std::string csp(const std::string& x, const std::string& prefix, int in, int out, int blocks,
                  bool shortcut) {
    const int hidden = static_cast<int>(out * 0.5);
    std::string main = conv_bn_silu(x, prefix + ".main_conv", in, hidden, 1, 1);
    const std::string shortp = conv_bn_silu(x, prefix + ".short_conv", in, hidden, 1, 1);
    for (int j = 0; j < blocks; ++j)
      main = bottleneck(main, prefix + ".blocks." + std::to_string(j), hidden, shortcut);
    NodeProto* cat = node("Concat", {main, shortp}, prefix + ".concat");
    attr(cat, "axis", int64_t{1});
    return conv_bn_silu(prefix + ".concat", prefix + ".final_conv", 2 * hidden, out, 1, 1);
  }

  // SPP: 1×1 C -> C/2, max-pools 5/9/13 (stride 1, same padding), concat, 1×1 2C -> out.
  std::string spp(const std::string& x, const std::string& prefix, int in, int out) {
    const int hidden = in / 2;
    const std::string y = conv_bn_silu(x, prefix + ".conv1", in, hidden, 1, 1);
    std::vector<std::string> parts{y};
    for (int k : {5, 9, 13}) {
      const std::string name = prefix + ".pool" + std::to_string(k);
      NodeProto* n = node("MaxPool", {y}, name);
      attr(n, "kernel_shape", std::vector<int64_t>{k, k});
      attr(n, "strides", std::vector<int64_t>{1, 1});
      attr(n, "pads", std::vector<int64_t>{k / 2, k / 2, k / 2, k / 2});
      parts.push_back(name);
    }
    NodeProto* cat = node("Concat", {parts[0], parts[1], parts[2], parts[3]}, prefix + ".concat");
    attr(cat, "axis", int64_t{1});
    return conv_bn_silu(prefix + ".concat", prefix + ".conv2", 4 * hidden, out, 1, 1);
  }

  // Nearest-neighbour ×2 upsampling, as PyTorch exports nn.Upsample(scale_factor=2).
  std::string upsample(const std::string& x, const std::string& name) {
    const std::string roi = constant_f("const/roi_empty", {0}, {});
    const std::string scales = constant_f("const/scales_x2", {4}, {1.f, 1.f, 2.f, 2.f});
    NodeProto* n = node("Resize", {x, roi, scales}, name);
    attr(n, "mode", std::string("nearest"));
    attr(n, "coordinate_transformation_mode", std::string("asymmetric"));
    attr(n, "nearest_mode", std::string("floor"));
    return name;
  }

  // 1×1 conv with bias and no BN: the head's predictors.
  std::string predictor(const std::string& x, const std::string& prefix, int in, int out) {
    const Tensor w = w_.take(prefix + ".weight", {out, in, 1, 1});
    const Tensor b = w_.take(prefix + ".bias", {out});
    initializer(prefix + ".weight", w.shape, w.data);
    initializer(prefix + ".bias", b.shape, b.data);
    NodeProto* n = node("Conv", {x, prefix + ".weight", prefix + ".bias"}, prefix);
    attr(n, "kernel_shape", std::vector<int64_t>{1, 1});
    return prefix;
  }

  std::string slice_channels(const std::string& x, int64_t begin, int64_t end,
                             const std::string& name) {
    return slice(x, begin, end, 1, name);
  }

  WeightSource& weights() { return w_; }

 private:
  WeightSource& w_;
  bool dw_;
};

void set_value_info(onnx::ValueInfoProto* v, const std::string& name,
                    const std::vector<std::string>& dims) {
  set_tensor_value_info(v, name, TensorProto::FLOAT, dims);
}

// The grid [1, 2, h, w] of (x, y) cell indices for one level: constant for static shapes, computed
// from the feature map's shape otherwise.
std::string level_grid(Builder& b, const std::string& feat, const std::string& tag,
                       std::optional<std::pair<int64_t, int64_t>> hw) {
  if (hw) {
    const auto [h, w] = *hw;
    std::vector<float> g(static_cast<size_t>(2 * h * w));
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        g[y * w + x] = static_cast<float>(x);
        g[h * w + y * w + x] = static_cast<float>(y);
      }
    return b.constant_f(tag + ".grid", {1, 2, h, w}, g);
  }
  const std::string shape = b.op("Shape", {feat}, tag + ".shape");
  const std::string h = b.op("Gather", {shape, b.scalar_i64(2)}, tag + ".h");
  const std::string w = b.op("Gather", {shape, b.scalar_i64(3)}, tag + ".w");
  auto axis_range = [&](const std::string& n, const std::string& name, const char* shape_tag,
                        const std::vector<int64_t>& shape4) {
    const std::string r = b.op("Range", {b.scalar_i64(0), n, b.scalar_i64(1)}, name + ".range");
    onnx::NodeProto* cast = b.node("Cast", {r}, name + ".float");
    Builder::attr(cast, "to", int64_t{TensorProto::FLOAT});
    return b.op("Reshape", {name + ".float", b.ints(shape_tag, shape4)}, name);
  };
  const std::string rx = axis_range(w, tag + ".gx", "shape_row", {1, 1, 1, -1});
  const std::string ry = axis_range(h, tag + ".gy", "shape_col", {1, 1, -1, 1});
  const std::string zero = b.scalar_f(0.f);
  const std::string zx = b.op("Mul", {rx, zero}, tag + ".zx");
  const std::string zy = b.op("Mul", {ry, zero}, tag + ".zy");
  const std::string gx = b.op("Add", {rx, zy}, tag + ".gridx");
  const std::string gy = b.op("Add", {ry, zx}, tag + ".gridy");
  return b.concat({gx, gy}, tag + ".grid", 1);
}

}  // namespace

int ir_version_for_opset(int opset) { return opset <= 11 ? 6 : opset <= 14 ? 7 : 8; }

static onnx::ModelProto build_model_walk(const Architecture& a, WeightSource& ws,
                                         const WrapperOptions& o) {
  if (o.opset < 11 || o.opset > 17)
    throw Error(ErrorKind::kInvalidArgument,
                "opset " + std::to_string(o.opset) + " is not supported (11..17)");
  if (o.fixed_hw && (o.fixed_hw->first <= 0 || o.fixed_hw->second <= 0 || o.fixed_hw->first % 32 ||
                     o.fixed_hw->second % 32))
    throw Error(ErrorKind::kInvalidArgument,
                "fixed size " + std::to_string(o.fixed_hw->first) + "x" +
                    std::to_string(o.fixed_hw->second) +
                    " is not a positive multiple of 32 in both dimensions (the Focus split and "
                    "the stride-32 grid need it)");

  onnx::ModelProto model;
  model.set_ir_version(ir_version_for_opset(o.opset));
  auto* imp = model.add_opset_import();
  imp->set_domain("");
  imp->set_version(o.opset);
  onnx::GraphProto* g = model.mutable_graph();
  g->set_name("yolox");

  Builder b(g, ws, a.depthwise);

  // --- input and pre-processing (tutorial wrapper; docs/ARCHITECTURE.md, "Conventions") ---------
  const std::string batch = o.dynamic_batch ? "batch" : "1";
  const std::string H = o.fixed_hw ? std::to_string(o.fixed_hw->first) : "height";
  const std::string W = o.fixed_hw ? std::to_string(o.fixed_hw->second) : "width";
  set_value_info(g->add_input(), o.input_name,
                 o.layout == InputLayout::kNHWC ? std::vector<std::string>{batch, H, W, "3"}
                                                : std::vector<std::string>{batch, "3", H, W});
  std::string x = o.input_name;
  if (o.layout == InputLayout::kNHWC) {
    onnx::NodeProto* t = b.node("Transpose", {x}, "pre.nchw");
    Builder::attr(t, "perm", std::vector<int64_t>{0, 3, 1, 2});
    x = "pre.nchw";
  }
  if (o.input_range != o.network_range)
    x = b.op("Div", {x, b.scalar_f(o.input_range / o.network_range)}, "pre.scaled");
  const bool has_mean = o.mean != std::array<float, 3>{0.f, 0.f, 0.f};
  const bool has_std = o.std != std::array<float, 3>{1.f, 1.f, 1.f};
  if (has_mean)
    x = b.op("Sub", {x, b.constant_f("pre.mean", {1, 3, 1, 1}, {o.mean.begin(), o.mean.end()})},
             "pre.centered");
  if (has_std)
    x = b.op("Div", {x, b.constant_f("pre.std", {1, 3, 1, 1}, {o.std.begin(), o.std.end()})},
             "pre.normalized");

  // --- backbone ----------------------------------------------------------------------------
  // Focus: SpaceToDepth(2) emits the sub-images in the cjm order TL, TR, BL, BR; Megvii weights
  // were permuted into this order when the state dict was canonicalised (docs/ARCHITECTURE.md,
  // "Export data path").
  onnx::NodeProto* s2d = b.node("SpaceToDepth", {x}, "backbone.stem.focus");
  Builder::attr(s2d, "blocksize", int64_t{2});
  std::optional<Tensor> stem_w;
  if (o.flip_channels) {
    // Input channels reversed: permute the stem weight within each of the 4 sub-image blocks.
    stem_w = ws.take("backbone.stem.conv.conv.weight", {a.stem, 12, 3, 3});
    Tensor flipped = *stem_w;
    const int64_t plane = 9;
    for (int64_t oc = 0; oc < a.stem; ++oc)
      for (int blk = 0; blk < 4; ++blk)
        for (int c = 0; c < 3; ++c)
          std::memcpy(&flipped.data[(oc * 12 + blk * 3 + c) * plane],
                      &stem_w->data[(oc * 12 + blk * 3 + (2 - c)) * plane], plane * sizeof(float));
    stem_w = std::move(flipped);
  }
  x = b.conv_bn_silu("backbone.stem.focus", "backbone.stem.conv", 12, a.stem, 3, 1, 1,
                     stem_w ? &*stem_w : nullptr);
  std::array<std::string, 4> c{};
  int in = a.stem;
  for (int i = 0; i < 4; ++i) {
    const std::string stage = "backbone.stage" + std::to_string(i + 1);
    const int out = a.stage_out[i];
    x = b.conv_kxk(x, stage + ".0", in, out, 3, 2);
    if (i == 3) x = b.spp(x, stage + ".1", out, out);
    x = b.csp(x, stage + (i == 3 ? ".2" : ".1"), out, out, a.stage_blocks[i], i < 3);
    c[i] = x;
    in = out;
  }

  // --- neck (PAFPN; docs/ARCHITECTURE.md, "Export data path") ----------------------------------
  const int c3 = a.stage_out[1], c4 = a.stage_out[2], c5 = a.stage_out[3];
  const std::string r0 = b.conv_bn_silu(c[3], "neck.reduce_layers.0", c5, c4, 1, 1);
  std::string t = b.concat({b.upsample(r0, "neck.up0"), c[2]}, "neck.cat0", 1);
  const std::string t0 = b.csp(t, "neck.top_down_blocks.0", 2 * c4, c4, a.neck_blocks, false);
  const std::string r1 = b.conv_bn_silu(t0, "neck.reduce_layers.1", c4, c3, 1, 1);
  t = b.concat({b.upsample(r1, "neck.up1"), c[1]}, "neck.cat1", 1);
  const std::string p3 = b.csp(t, "neck.top_down_blocks.1", 2 * c3, c3, a.neck_blocks, false);
  t = b.concat({b.conv_kxk(p3, "neck.downsamples.0", c3, c3, 3, 2), r1}, "neck.cat2", 1);
  const std::string p4 = b.csp(t, "neck.bottom_up_blocks.0", 2 * c3, c4, a.neck_blocks, false);
  t = b.concat({b.conv_kxk(p4, "neck.downsamples.1", c4, c4, 3, 2), r0}, "neck.cat3", 1);
  const std::string p5 = b.csp(t, "neck.bottom_up_blocks.1", 2 * c4, c5, a.neck_blocks, false);

  // --- head and output (docs/ARCHITECTURE.md, "Export data path") -------------------------------
  const std::array<std::string, 3> feats{p3, p4, p5};
  const std::array<int, 3> feat_ch{c3, c4, c5};
  const std::array<int, 3> strides{8, 16, 32};
  const int nc = a.num_classes, hw = a.head_width;
  const int64_t k = o.output_format == OutputFormat::kDecoded ? 6 : 5 + nc;
  std::vector<std::string> levels;
  int64_t anchors = 0;
  for (int l = 0; l < 3; ++l) {
    const std::string L = std::to_string(l);
    const std::string stem = b.conv_bn_silu(feats[l], "neck.out_convs." + L, feat_ch[l], hw, 1, 1);
    std::string cls = stem, reg = stem;
    for (int j = 0; j < 2; ++j) {
      const std::string J = "." + std::to_string(j);
      cls = b.conv_kxk(cls, "bbox_head.multi_level_cls_convs." + L + J, hw, hw, 3, 1);
      reg = b.conv_kxk(reg, "bbox_head.multi_level_reg_convs." + L + J, hw, hw, 3, 1);
    }
    const std::string cls_logit = b.predictor(cls, "bbox_head.multi_level_conv_cls." + L, hw, nc);
    const std::string box = b.predictor(reg, "bbox_head.multi_level_conv_reg." + L, hw, 4);
    const std::string obj_logit = b.predictor(reg, "bbox_head.multi_level_conv_obj." + L, hw, 1);
    const std::string tag = "out.l" + L;
    const std::string obj = b.op("Sigmoid", {obj_logit}, tag + ".obj");
    const std::string cls_p = b.op("Sigmoid", {cls_logit}, tag + ".cls");

    std::optional<std::pair<int64_t, int64_t>> lhw;
    if (o.fixed_hw) {
      lhw = {{o.fixed_hw->first / strides[l], o.fixed_hw->second / strides[l]}};
      anchors += lhw->first * lhw->second;
    }
    std::string level;
    if (o.output_format == OutputFormat::kRaw) {
      level = b.concat({box, obj, cls_p}, tag + ".raw", 1);
    } else {
      const std::string grid = level_grid(b, box, tag, lhw);
      const std::string s = b.scalar_f(static_cast<float>(strides[l]));
      const std::string xy = b.slice_channels(box, 0, 2, tag + ".txy");
      const std::string wh = b.slice_channels(box, 2, 4, tag + ".twh");
      // centre = (t_xy + grid) * stride; size = exp(t_wh) * stride.
      const std::string centre =
          b.op("Mul", {b.op("Add", {xy, grid}, tag + ".cell"), s}, tag + ".centre");
      const std::string size = b.op("Mul", {b.op("Exp", {wh}, tag + ".exp"), s}, tag + ".size");
      if (o.output_format == OutputFormat::kMegviiDecoded) {
        level = b.concat({centre, size, obj, cls_p}, tag + ".decoded", 1);
      } else {
        // cjm: (x0, y0) = centre - size / 2; prob = max_c obj * cls_c; label = argmax.
        const std::string half = b.op("Div", {size, b.scalar_f(2.f)}, tag + ".half");
        const std::string corner = b.op("Sub", {centre, half}, tag + ".corner");
        const std::string scores = b.op("Mul", {obj, cls_p}, tag + ".scores");
        onnx::NodeProto* mx = b.node("ReduceMax", {scores}, tag + ".prob");
        Builder::attr(mx, "axes", std::vector<int64_t>{1});
        Builder::attr(mx, "keepdims", int64_t{1});
        onnx::NodeProto* am = b.node("ArgMax", {scores}, tag + ".argmax");
        Builder::attr(am, "axis", int64_t{1});
        Builder::attr(am, "keepdims", int64_t{1});
        onnx::NodeProto* cast = b.node("Cast", {tag + ".argmax"}, tag + ".label");
        Builder::attr(cast, "to", int64_t{TensorProto::FLOAT});
        level = b.concat({corner, size, tag + ".label", tag + ".prob"}, tag + ".decoded", 1);
      }
    }
    levels.push_back(
        b.op("Reshape", {level, b.ints("flat" + std::to_string(k), {0, k, -1})}, tag + ".flat"));
  }
  b.concat(levels, "out.levels", 2);
  onnx::NodeProto* tr = b.node("Transpose", {"out.levels"}, o.output_name);
  Builder::attr(tr, "perm", std::vector<int64_t>{0, 2, 1});
  set_value_info(g->add_output(), o.output_name,
                 {batch, o.fixed_hw ? std::to_string(anchors) : "anchors", std::to_string(k)});

  return model;
}

onnx::ModelProto build_model(const Architecture& arch, StateDict& canonical,
                             const WrapperOptions& options) {
  WeightSource ws(canonical);
  onnx::ModelProto model = build_model_walk(arch, ws, options);
  ws.check_complete();
  return model;
}

std::vector<std::pair<std::string, std::vector<int64_t>>> parameter_shapes(
    const Architecture& arch) {
  StateDict empty;
  WeightSource ws(empty);
  build_model_walk(arch, ws, WrapperOptions{});
  return ws.requested();
}

}  // namespace yoloxrt::exporter
