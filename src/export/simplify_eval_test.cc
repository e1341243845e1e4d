// The evaluator's op table (export/simplify_eval.h): each family of entries computes what ONNX
// defines, and ops, domains or inputs it does not handle are declined (nullopt), never guessed.
#include "export/simplify_eval.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

namespace yoloxrt::simplify {
namespace {

using onnx::TensorProto;

Value ints(std::vector<int64_t> v, int32_t dtype = TensorProto::INT64) {
  Value x;
  x.dtype = dtype;
  x.dims = {static_cast<int64_t>(v.size())};
  x.i = std::move(v);
  return x;
}

Value floats(std::vector<double> v) {
  Value x;
  x.dtype = TensorProto::FLOAT;
  x.dims = {static_cast<int64_t>(v.size())};
  x.f = std::move(v);
  return x;
}

onnx::NodeProto node(const std::string& op, int outputs = 1) {
  onnx::NodeProto n;
  n.set_op_type(op);
  for (int k = 0; k < outputs; ++k) n.add_output("y" + std::to_string(k));
  return n;
}

std::optional<std::vector<Value>> eval(onnx::NodeProto n, std::vector<const Value*> in,
                                       int opset = 17) {
  for (size_t k = 0; k < in.size(); ++k) n.add_input("x" + std::to_string(k));
  return evaluate_node(n, in, opset, 1 << 20);
}

TEST(SimplifyEvalTable, ArithmeticWrapsAndDivisionDeclinesOnZero) {
  const Value big = ints({std::numeric_limits<int64_t>::max(), 7});
  const Value one = ints({1, -2});
  auto r = eval(node("Add"), {&big, &one});
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].i, (std::vector<int64_t>{std::numeric_limits<int64_t>::min(), 5}));
  r = eval(node("Mul"), {&one, &one});
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].i, (std::vector<int64_t>{1, 4}));
  const Value num = ints({-7, 7}), den = ints({2, 0});
  EXPECT_FALSE(eval(node("Div"), {&num, &den}));
  const Value den2 = ints({2, -2});
  r = eval(node("Div"), {&num, &den2});
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].i, (std::vector<int64_t>{-3, -3}));  // truncates toward zero
}

TEST(SimplifyEvalTable, UnaryCompareLogicAndSelect) {
  const Value x = floats({4.0, 0.25});
  auto r = eval(node("Sqrt"), {&x});
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].f, (std::vector<double>{2.0, 0.5}));
  r = eval(node("Reciprocal"), {&x});
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].f, (std::vector<double>{0.25, 4.0}));
  const Value i = ints({-3, 5});
  EXPECT_FALSE(eval(node("Sqrt"), {&i}));  // float-only ops decline integers
  r = eval(node("Abs"), {&i});
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].i, (std::vector<int64_t>{3, 5}));
  r = eval(node("Neg"), {&i});
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].i, (std::vector<int64_t>{3, -5}));
  const Value j = ints({-3, 6});
  r = eval(node("Max"), {&i, &j});
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].i, (std::vector<int64_t>{-3, 6}));
  r = eval(node("Less"), {&i, &j});
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].dtype, TensorProto::BOOL);
  EXPECT_EQ((*r)[0].i, (std::vector<int64_t>{0, 1}));
  const Value t = ints({1, 0}, TensorProto::BOOL), u = ints({1, 1}, TensorProto::BOOL);
  r = eval(node("And"), {&t, &u});
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].i, (std::vector<int64_t>{1, 0}));
  r = eval(node("Or"), {&t, &u});
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].i, (std::vector<int64_t>{1, 1}));
  r = eval(node("Where"), {&t, &i, &j});
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].i, (std::vector<int64_t>{-3, 6}));
}

TEST(SimplifyEvalTable, ShapeOpsFollowTheOpset) {
  Value x = floats({1, 2, 3, 4, 5, 6});
  x.dims = {1, 2, 3};
  auto r = eval(node("Shape"), {&x});
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].i, (std::vector<int64_t>{1, 2, 3}));
  const Value axes = ints({0});
  r = eval(node("Squeeze"), {&x, &axes}, 13);  // axes as an input since opset 13
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].dims, (std::vector<int64_t>{2, 3}));
  auto split = node("Split", 3);
  auto* a = split.add_attribute();
  a->set_name("axis");
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(2);
  r = eval(split, {&x});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[2].f, (std::vector<double>{3, 6}));
}

TEST(SimplifyEvalTable, DeclinesUnknownOpsForeignDomainsAndMissingInputs) {
  const Value x = floats({1});
  EXPECT_FALSE(eval(node("Conv"), {&x}));
  auto custom = node("Add");
  custom.set_domain("com.example");
  EXPECT_FALSE(eval(custom, {&x, &x}));
  EXPECT_FALSE(eval(node("Add"), {nullptr, &x}));
  EXPECT_TRUE(eval(node("Identity"), {&x}));
}

}  // namespace
}  // namespace yoloxrt::simplify
