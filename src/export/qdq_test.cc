// Tests of the QDQ rewrite's placement rules on small graphs built in code (the end-to-end
// quantizer tests, with calibration, are in src/quantize/quantize_test.cc).
#include "yoloxrt/qdq.h"

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

namespace yoloxrt {
namespace {

using onnx::ModelProto;
using onnx::TensorProto;

void shape(onnx::ValueInfoProto* vi, const std::string& name, std::vector<int64_t> dims) {
  vi->set_name(name);
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(TensorProto::FLOAT);
  for (int64_t d : dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
}

// x -> ConvA -> a -> ConvB -> b;  c = Concat(a, b);  y = ConvC(c);  d = Concat(b, y);
// out = ConvD(d). All 1x1 convs, 4 channels per tensor (8 after a Concat).
std::string two_concats_model() {
  ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  auto* g = m.mutable_graph();
  g->set_name("g");
  shape(g->add_input(), "x", {1, 4, 8, 8});
  shape(g->add_output(), "out", {1, 4, 8, 8});
  auto conv = [&](const std::string& name, const std::string& in, const std::string& out,
                  int in_ch) {
    TensorProto* w = g->add_initializer();
    w->set_name(name + ".w");
    w->set_data_type(TensorProto::FLOAT);
    for (int64_t d : {4, in_ch, 1, 1}) w->add_dims(d);
    for (int i = 0; i < 4 * in_ch; ++i) w->add_float_data(0.1f * static_cast<float>(i % 7 - 3));
    auto* n = g->add_node();
    n->set_op_type("Conv");
    n->set_name(name);
    n->add_input(in);
    n->add_input(name + ".w");
    n->add_output(out);
  };
  auto concat = [&](const std::string& name, const std::string& a, const std::string& b,
                    const std::string& out) {
    auto* n = g->add_node();
    n->set_op_type("Concat");
    n->set_name(name);
    n->add_input(a);
    n->add_input(b);
    n->add_output(out);
    auto* at = n->add_attribute();
    at->set_name("axis");
    at->set_type(onnx::AttributeProto::INT);
    at->set_i(1);
  };
  conv("ConvA", "x", "a", 4);
  conv("ConvB", "a", "b", 4);
  concat("Cat1", "a", "b", "c");
  conv("ConvC", "c", "y", 8);
  concat("Cat2", "b", "y", "d");
  conv("ConvD", "d", "out", 8);
  return m.SerializeAsString();
}

// The scale and zero point each QuantizeLinear applies, by the tensor it quantizes.
std::map<std::string, QuantParams> quantizers(const std::string& bytes) {
  ModelProto m;
  EXPECT_TRUE(m.ParseFromString(bytes));
  std::map<std::string, const TensorProto*> inits;
  for (const auto& t : m.graph().initializer()) inits[t.name()] = &t;
  std::map<std::string, QuantParams> out;
  for (const auto& n : m.graph().node()) {
    if (n.op_type() != "QuantizeLinear") continue;
    QuantParams p;
    p.scale = *reinterpret_cast<const float*>(inits.at(n.input(1))->raw_data().data());
    p.zero_point = static_cast<uint8_t>(inits.at(n.input(2))->raw_data().at(0));
    out[n.input(0)] = p;
  }
  return out;
}

const std::map<std::string, TensorRange> kRanges = {
    {"x", {0.f, 1.f}},  {"a", {-1.f, 2.f}}, {"b", {0.f, 8.f}},   {"c", {-0.5f, 6.f}},
    {"y", {-3.f, 1.f}}, {"d", {-2.f, 3.f}}, {"out", {-1.f, 1.f}}};

TEST(Qdq, ConcatInputsShareTheConcatOutputsRange) {
  QdqOptions o;
  o.quantize_stem = true;
  const std::string model = two_concats_model();
  ASSERT_EQ(plan_qdq(model, o).calibration_tensors.size(), kRanges.size());
  const auto q = quantizers(insert_qdq(model, o, kRanges, {}));
  // b is read by both Concats, so {a, b, c} and {b, y, d} form one group whose range is the
  // union of the two Concat outputs' own ranges, [-2, 6]; inputs' own ranges do not widen it.
  const QuantParams shared = activation_quant_params({-2.f, 6.f}, ActivationType::kUint8);
  for (const std::string t : {"a", "b", "c", "y", "d"}) {
    ASSERT_TRUE(q.count(t)) << t;
    EXPECT_FLOAT_EQ(q.at(t).scale, shared.scale) << t;
    EXPECT_EQ(q.at(t).zero_point, shared.zero_point) << t;
  }
  // Tensors outside any Concat keep their own range.
  const QuantParams x = activation_quant_params(kRanges.at("x"), ActivationType::kUint8);
  EXPECT_FLOAT_EQ(q.at("x").scale, x.scale);
  EXPECT_EQ(q.at("x").zero_point, x.zero_point);
}

TEST(Qdq, ConcatSharingOffKeepsEveryTensorsOwnRange) {
  QdqOptions o;
  o.quantize_stem = true;
  o.share_concat_ranges = false;
  const auto q = quantizers(insert_qdq(two_concats_model(), o, kRanges, {}));
  for (const std::string t : {"x", "a", "b", "c", "y", "d"}) {
    const QuantParams want = activation_quant_params(kRanges.at(t), ActivationType::kUint8);
    ASSERT_TRUE(q.count(t)) << t;
    EXPECT_FLOAT_EQ(q.at(t).scale, want.scale) << t;
    EXPECT_EQ(q.at(t).zero_point, want.zero_point) << t;
  }
}

}  // namespace
}  // namespace yoloxrt
