// Tests of model resolution on synthetic signatures (no model file, no ONNX Runtime session).
#include "inference/model_resolution.h"

#include <gtest/gtest.h>

#include "yoloxrt/error.h"

namespace yoloxrt::detail {
namespace {

ModelInfo signature(const std::string& input_name, std::vector<int64_t> in_shape,
                    std::vector<int64_t> out_shape) {
  ModelInfo io;
  io.inputs.push_back({input_name, "float32", std::move(in_shape), {}});
  io.outputs.push_back({"output", "float32", std::move(out_shape), {}});
  return io;
}

TEST(ResolveModel, DynamicMegviiWithoutMetadataRunsAtTheBaseExperimentSize) {
  DetectorOptions o;
  const auto r = resolve_model(signature("images", {1, 3, -1, -1}, {1, -1, 85}), o, "m.onnx");
  EXPECT_EQ(r.metadata.family, Family::kMegvii);
  EXPECT_EQ(r.metadata.channel_order, ChannelOrder::kBGR);
  EXPECT_EQ(r.metadata.input_range, 255.f);
  EXPECT_EQ(r.metadata.output_format, OutputFormat::kRaw);
  EXPECT_EQ(r.metadata.default_height, 640);
  EXPECT_EQ(*o.height, 640);
  EXPECT_EQ(*o.resize, ResizePolicy::kLetterbox);
  EXPECT_EQ(r.metadata.class_names.size(), 80u);  // COCO
}

TEST(ResolveModel, FixedInputSizeWinsOverTheConventions) {
  DetectorOptions o;
  const auto r = resolve_model(signature("images", {1, 3, 416, 416}, {1, 3549, 85}), o, "m.onnx");
  EXPECT_TRUE(r.fixed_input);
  EXPECT_EQ(*o.height, 416);
  EXPECT_EQ(*o.width, 416);
}

TEST(ResolveModel, CjmWithoutMetadataIsTheTutorials) {
  DetectorOptions o;
  const auto r = resolve_model(signature("input", {-1, 3, -1, -1}, {-1, -1, 6}), o, "c.onnx");
  EXPECT_EQ(r.metadata.family, Family::kCjm);
  EXPECT_EQ(r.metadata.output_format, OutputFormat::kDecoded);
  EXPECT_EQ(*o.height, 384);
  EXPECT_EQ(*o.resize, ResizePolicy::kCrop);
  EXPECT_TRUE(r.batch_dynamic);
}

TEST(ResolveModel, FamilyOptionOverridesTheInputName) {
  DetectorOptions o;
  o.family = Family::kMegvii;
  const auto r = resolve_model(signature("input", {1, 3, -1, -1}, {1, -1, 85}), o, "c.onnx");
  EXPECT_EQ(r.metadata.family, Family::kMegvii);
  EXPECT_EQ(*o.height, 640);
}

TEST(ResolveModel, TwoInputsAreUnsupportedAndNamed) {
  ModelInfo io = signature("images", {1, 3, 416, 416}, {1, 3549, 85});
  io.inputs.push_back(io.inputs[0]);
  DetectorOptions o;
  try {
    resolve_model(io, o, "two.onnx");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUnsupported);
    EXPECT_EQ(e.file(), "two.onnx");
  }
}

}  // namespace
}  // namespace yoloxrt::detail
