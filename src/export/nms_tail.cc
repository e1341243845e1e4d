#include "export/nms_tail.h"

#include <algorithm>

#include "export/graph_ops.h"
#include "yoloxrt/error.h"

namespace yoloxrt::exporter {
namespace {

using onnx::TensorProto;

int model_opset(const onnx::ModelProto& model) {
  for (const auto& o : model.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") return static_cast<int>(o.version());
  return 0;
}

class Tail : public GraphOps {
 public:
  Tail(onnx::GraphProto* g, int opset) : GraphOps(g), opset_(opset) {}

  std::string cast(const std::string& x, int to, const std::string& out) {
    attr(node("Cast", {x}, out), "to", static_cast<int64_t>(to));
    return out;
  }
  // ReduceSum took its axes as an attribute before opset 13 and as an input since.
  std::string reduce_sum(const std::string& x, int64_t axis, bool keepdims,
                         const std::string& out) {
    onnx::NodeProto* n =
        opset_ >= 13 ? node("ReduceSum", {x, ints("nms.axes" + std::to_string(axis), {axis})}, out)
                     : node("ReduceSum", {x}, out);
    if (opset_ < 13) attr(n, "axes", std::vector<int64_t>{axis});
    attr(n, "keepdims", static_cast<int64_t>(keepdims ? 1 : 0));
    return out;
  }
  // Zeros of a dynamic shape, of element type `type`.
  std::string zeros(const std::string& shape, int type, const std::string& out) {
    onnx::NodeProto* n = node("ConstantOfShape", {shape}, out);
    auto* a = n->add_attribute();
    a->set_name("value");
    a->set_type(onnx::AttributeProto::TENSOR);
    TensorProto* t = a->mutable_t();
    t->set_data_type(type);
    t->add_dims(1);
    if (type == TensorProto::INT32)
      t->add_int32_data(0);
    else
      t->add_float_data(0.f);
    return out;
  }

 private:
  int opset_;
};

}  // namespace

void check_nms_settings(const NmsSettings& nms) {
  if (!(nms.conf >= 0.f && nms.conf <= 1.f))
    throw Error(ErrorKind::kInvalidArgument,
                "NMS score threshold must be in [0, 1], got " + std::to_string(nms.conf));
  if (!(nms.iou >= 0.f && nms.iou <= 1.f))
    throw Error(ErrorKind::kInvalidArgument,
                "NMS IoU threshold must be in [0, 1], got " + std::to_string(nms.iou));
  if (nms.max_det < 1 || nms.max_det > 100000)
    throw Error(
        ErrorKind::kInvalidArgument,
        "the maximum detection count must be in 1..100000, got " + std::to_string(nms.max_det));
}

void append_nms_tail(onnx::ModelProto& model, const std::string& decoded, const NmsSettings& nms,
                     const std::string& batch_dim) {
  check_nms_settings(nms);
  onnx::GraphProto* g = model.mutable_graph();
  auto& outs = *g->mutable_output();
  const auto it = std::find_if(outs.begin(), outs.end(),
                               [&](const onnx::ValueInfoProto& v) { return v.name() == decoded; });
  if (it == outs.end())
    throw Error(ErrorKind::kRuntime, "NMS tail: the graph has no output '" + decoded + "'");
  outs.erase(it);

  Tail t(g, model_opset(model));
  const int64_t k = nms.max_det;
  // Rows [x0, y0, w, h, label, prob] -> boxes x1y1x2y2 [B, N, 4], labels and scores [B, N, 1].
  const std::string xy = t.slice(decoded, 0, 2, 2, "nms.xy");
  const std::string wh = t.slice(decoded, 2, 4, 2, "nms.wh");
  const std::string boxes = t.concat({xy, t.op("Add", {xy, wh}, "nms.x2y2")}, "nms.boxes", 2);
  const std::string label3 = t.slice(decoded, 4, 5, 2, "nms.label3");
  const std::string prob3 = t.slice(decoded, 5, 6, 2, "nms.prob3");

  // NonMaxSuppression: scores [B, 1, N] (one class: the best one of each anchor).
  onnx::NodeProto* tr = t.node("Transpose", {prob3}, "nms.scores_b1n");
  GraphOps::attr(tr, "perm", std::vector<int64_t>{0, 2, 1});
  std::string nms_boxes = boxes;
  if (nms.per_class) {
    // Per-class NMS in one call: shift each box by class * (span of all coordinates + 1), so that
    // boxes of different classes never overlap and IoU within a class is unchanged.
    onnx::NodeProto* mx = t.node("ReduceMax", {boxes}, "nms.coord_max");
    GraphOps::attr(mx, "keepdims", int64_t{0});
    onnx::NodeProto* mn = t.node("ReduceMin", {boxes}, "nms.coord_min");
    GraphOps::attr(mn, "keepdims", int64_t{0});
    const std::string span =
        t.op("Add", {t.op("Sub", {"nms.coord_max", "nms.coord_min"}, "nms.span"), t.scalar_f(1.f)},
             "nms.offset_unit");
    const std::string offset = t.op("Mul", {label3, span}, "nms.offset");
    nms_boxes = t.op("Add", {boxes, offset}, "nms.boxes_offset");
  }
  const std::string max_out = t.constant_i64("nms.max_output_boxes_per_class", {1}, {k});
  const std::string iou = t.constant_f("nms.iou_threshold", {1}, {nms.iou});
  const std::string conf = t.constant_f("nms.score_threshold", {1}, {nms.conf});
  const std::string sel =
      t.op("NonMaxSuppression", {nms_boxes, "nms.scores_b1n", max_out, iou, conf}, "nms.selected");

  // selected_indices [S, 3] = (batch, class, box): gather the kept rows of the flattened
  // [B * N, ...] tensors at batch * N + box (Gather: cheaper in ONNX Runtime than GatherND).
  const std::string sel_b = t.slice(sel, 0, 1, 1, "nms.sel_batch");  // [S, 1]
  const std::string sel_i = t.slice(sel, 2, 3, 1, "nms.sel_box");    // [S, 1]
  const std::string shape = t.op("Shape", {decoded}, "nms.in_shape");
  const std::string b1 = t.slice(shape, 0, 1, 0, "nms.batch1");  // [1]
  const std::string b = t.op("Gather", {shape, t.scalar_i64(0)}, "nms.batch");
  const std::string n = t.op("Gather", {shape, t.scalar_i64(1)}, "nms.anchors");
  const std::string flat_idx =
      t.op("Reshape",
           {t.op("Add", {t.op("Mul", {sel_b, n}, "nms.sel_row0"), sel_i}, "nms.sel_row"),
            t.ints("nms.shape_flat", {-1})},
           "nms.flat_idx");  // [S]
  const std::string kept_boxes = t.op(
      "Gather",
      {t.op("Reshape", {boxes, t.ints("nms.shape_rows4", {-1, 4})}, "nms.boxes_flat"), flat_idx},
      "nms.kept_boxes");  // [S, 4]
  const std::string kept_scores =
      t.op("Gather",
           {t.op("Reshape", {prob3, t.ints("nms.shape_flat", {-1})}, "nms.scores_flat"), flat_idx},
           "nms.kept_scores");  // [S]
  const std::string kept_labels = t.cast(
      t.op("Gather",
           {t.op("Reshape", {label3, t.ints("nms.shape_flat", {-1})}, "nms.labels_flat"), flat_idx},
           "nms.kept_labels_f"),
      TensorProto::INT32, "nms.kept_labels");

  // Row of each kept box within its image: the number of earlier kept boxes of the same image
  // (NMS lists an image's boxes in descending score order).
  const std::string range =
      t.op("Reshape",
           {t.op("Range", {t.scalar_i64(0), b, t.scalar_i64(1)}, "nms.batch_range"),
            t.ints("nms.shape_1_n", {1, -1})},
           "nms.batch_row");  // [1, B]
  const std::string onehot = t.cast(t.op("Equal", {sel_b, range}, "nms.is_batch"),
                                    TensorProto::INT64, "nms.onehot");  // [S, B]
  onnx::NodeProto* cs = t.node("CumSum", {onehot, t.scalar_i64(0)}, "nms.before");
  GraphOps::attr(cs, "exclusive", int64_t{1});
  const std::string row = t.reduce_sum(t.op("Mul", {"nms.before", onehot}, "nms.before_own"), 1,
                                       true, "nms.row");  // [S, 1]
  const std::string sidx = t.concat({sel_b, row}, "nms.scatter_idx", 1);
  const std::string count = t.reduce_sum(onehot, 0, false, "nms.count");  // [B]

  // Zero-filled outputs, then the kept rows scattered into place.
  const std::string bk = t.concat({b1, t.ints("nms.k", {k})}, "nms.shape_bk", 0);
  const std::string bk4 = t.concat({bk, t.ints("nms.four", {4})}, "nms.shape_bk4", 0);
  t.op("ScatterND", {t.zeros(bk4, TensorProto::FLOAT, "nms.zeros_boxes"), sidx, kept_boxes},
       kEndToEndOutputs[1]);
  t.op("ScatterND", {t.zeros(bk, TensorProto::FLOAT, "nms.zeros_scores"), sidx, kept_scores},
       kEndToEndOutputs[2]);
  t.op("ScatterND", {t.zeros(bk, TensorProto::INT32, "nms.zeros_classes"), sidx, kept_labels},
       kEndToEndOutputs[3]);
  t.cast(t.op("Reshape", {count, t.ints("nms.shape_b1", {-1, 1})}, "nms.count_b1"),
         TensorProto::INT32, kEndToEndOutputs[0]);

  const std::string K = std::to_string(k);
  set_tensor_value_info(g->add_output(), kEndToEndOutputs[0], TensorProto::INT32, {batch_dim, "1"});
  set_tensor_value_info(g->add_output(), kEndToEndOutputs[1], TensorProto::FLOAT,
                        {batch_dim, K, "4"});
  set_tensor_value_info(g->add_output(), kEndToEndOutputs[2], TensorProto::FLOAT, {batch_dim, K});
  set_tensor_value_info(g->add_output(), kEndToEndOutputs[3], TensorProto::INT32, {batch_dim, K});
}

}  // namespace yoloxrt::exporter
