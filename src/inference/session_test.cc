// Session: any model on named tensors. Checked on Megvii's YOLOX-Nano against a direct ONNX
// Runtime run, and on every way a request can be wrong.
#include "yoloxrt/session.h"

#include <cstring>

#include <gtest/gtest.h>

#include "support/test_support.h"
#include "yoloxrt/error.h"

namespace yoloxrt {
namespace {
namespace fs = std::filesystem;

NamedTensor float_tensor(const std::string& name, std::vector<int64_t> shape,
                         const std::vector<float>& values) {
  NamedTensor t{name, "float32", std::move(shape), {}};
  t.bytes.resize(values.size() * sizeof(float));
  std::memcpy(t.bytes.data(), values.data(), t.bytes.size());
  return t;
}

ErrorKind run_error(const Session& s, const std::vector<NamedTensor>& in,
                    const std::vector<std::string>& out = {}) {
  try {
    s.run(in, out);
  } catch (const Error& e) {
    return e.kind();
  }
  ADD_FAILURE() << "ran";
  return ErrorKind::kRuntime;
}

TEST(Session, MegviiNanoEqualsDirectRunAndRefusesBadTensors) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  const fs::path dir = fx / "megvii-nano";
  const auto input = testing::read_f32(dir / "input_dog_416.f32");
  std::vector<int64_t> shape;
  const auto expected = testing::run_onnx(dir / "yolox_nano.onnx", {1, 3, 416, 416}, input, &shape);

  auto s = Session::open(dir / "yolox_nano.onnx", {1, {}});
  ASSERT_EQ(s->io().inputs.size(), 1u);
  EXPECT_EQ(s->io().inputs[0].name, "images");
  const NamedTensor good = float_tensor("images", {1, 3, 416, 416}, input);
  const auto out = s->run({good});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].name, "output");
  EXPECT_EQ(out[0].element_type, "float32");
  EXPECT_EQ(out[0].shape, shape);
  ASSERT_EQ(out[0].bytes.size(), expected.size() * sizeof(float));
  std::vector<float> got(expected.size());
  std::memcpy(got.data(), out[0].bytes.data(), out[0].bytes.size());
  for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], expected[i], 1e-6) << i;

  NamedTensor renamed = good;
  renamed.name = "input";
  EXPECT_EQ(run_error(*s, {renamed}), ErrorKind::kInvalidArgument);
  EXPECT_EQ(run_error(*s, {good, good}), ErrorKind::kInvalidArgument);
  EXPECT_EQ(run_error(*s, {}), ErrorKind::kInvalidArgument);
  NamedTensor as_int = good;
  as_int.element_type = "int32";
  EXPECT_EQ(run_error(*s, {as_int}), ErrorKind::kInvalidArgument);
  NamedTensor reshaped = good;
  reshaped.shape = {1, 3, 208, 832};  // same count, wrong fixed dims
  EXPECT_EQ(run_error(*s, {reshaped}), ErrorKind::kInvalidArgument);
  NamedTensor short_data = good;
  short_data.bytes.resize(16);
  EXPECT_EQ(run_error(*s, {short_data}), ErrorKind::kInvalidArgument);
  NamedTensor huge = good;
  huge.shape = {1, 3, int64_t{1} << 40, int64_t{1} << 40};
  EXPECT_EQ(run_error(*s, {huge}), ErrorKind::kInvalidArgument);
  EXPECT_EQ(run_error(*s, {good}, {"nope"}), ErrorKind::kInvalidArgument);
  EXPECT_THROW(Session::open(dir / "missing.onnx"), Error);
}

TEST(Session, ElementSizes) {
  EXPECT_EQ(element_size("float32"), 4u);
  EXPECT_EQ(element_size("int64"), 8u);
  EXPECT_EQ(element_size("bool"), 1u);
  EXPECT_EQ(element_size("string"), 0u);
}

}  // namespace
}  // namespace yoloxrt
