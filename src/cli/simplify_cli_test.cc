// End-to-end tests of `yoloxrt simplify`: exit codes, messages, and that nothing is written on
// error. Small models are encoded by hand (protobuf wire format), so this test needs no ONNX
// headers.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace yoloxrt {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

// --- a minimal protobuf writer for ModelProto ----------------------------------------------------

std::string varint(uint64_t v) {
  std::string s;
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    if (v) b |= 0x80;
    s.push_back(static_cast<char>(b));
  } while (v);
  return s;
}
std::string field_varint(int field, uint64_t v) { return varint(uint64_t(field) << 3) + varint(v); }
std::string field_bytes(int field, const std::string& b) {
  return varint((uint64_t(field) << 3) | 2) + varint(b.size()) + b;
}

struct NodeSpec {
  std::string op;
  std::vector<std::string> in, out;
};

// ValueInfoProto of a float tensor with static dims.
std::string value_info(const std::string& name, const std::vector<int64_t>& dims, int dtype = 1) {
  std::string shape;
  for (int64_t d : dims) shape += field_bytes(1, field_varint(1, static_cast<uint64_t>(d)));
  const std::string tensor = field_varint(1, static_cast<uint64_t>(dtype)) + field_bytes(2, shape);
  return field_bytes(1, name) + field_bytes(2, field_bytes(1, tensor));
}

// TensorProto with raw data.
std::string initializer(const std::string& name, int dtype, const std::vector<int64_t>& dims,
                        const std::string& raw) {
  std::string t;
  for (int64_t d : dims) t += field_varint(1, static_cast<uint64_t>(d));
  t += field_varint(2, static_cast<uint64_t>(dtype)) + field_bytes(8, name) + field_bytes(9, raw);
  return t;
}

std::string model(const std::vector<NodeSpec>& nodes, const std::vector<std::string>& inits) {
  std::string g;
  int k = 0;
  for (const auto& n : nodes) {
    std::string node;
    for (const auto& i : n.in) node += field_bytes(1, i);
    for (const auto& o : n.out) node += field_bytes(2, o);
    node += field_bytes(3, n.op + std::to_string(k++)) + field_bytes(4, n.op);
    g += field_bytes(1, node);
  }
  g += field_bytes(2, "g");
  for (const auto& t : inits) g += field_bytes(5, t);
  g += field_bytes(11, value_info("x", {2})) + field_bytes(12, value_info("y", {2}));
  const std::string opset = field_bytes(1, "") + field_varint(2, 14);
  return field_varint(1, 7) + field_bytes(7, g) + field_bytes(8, opset);
}

std::string floats(std::vector<float> v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

fs::path write(const TempDir& dir, const std::string& name, const std::string& bytes) {
  const fs::path p = dir / name;
  std::ofstream(p, std::ios::binary) << bytes;
  return p;
}

testing::CommandResult simplify(const fs::path& in, const fs::path& out,
                                const std::string& extra = "") {
  return testing::run_command(testing::cli_path() + " simplify '" + in.string() + "' -o '" +
                              out.string() + "' " + extra);
}

// --- tests
// ----------------------------------------------------------------------------------------

TEST(SimplifyCli, SmallModelIsSimplifiedCheckedAndWritten) {
  TempDir dir;
  // y = Relu(x + (k1 + k2)) with an Identity: the constant Add folds, the Identity goes.
  const auto in = write(dir, "in.onnx",
                        model({{"Add", {"k1", "k2"}, {"k"}},
                               {"Add", {"x", "k"}, {"t"}},
                               {"Identity", {"t"}, {"t2"}},
                               {"Relu", {"t2"}, {"y"}}},
                              {initializer("k1", 1, {2}, floats({1, 2})),
                               initializer("k2", 1, {2}, floats({3, 4}))}));
  const auto out = dir / "out.onnx";
  const auto r = simplify(in, out);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(out));
  EXPECT_NE(r.out.find("total nodes"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("relative"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("file size"), std::string::npos) << r.out;
}

struct BadCase {
  const char* name;
  std::string bytes;
  int exit_code;
  const char* message;  // a piece of the expected message
};

TEST(SimplifyCli, MalformedModelsFailWithKindAndWriteNothing) {
  const std::string good = model({{"Relu", {"x"}, {"y"}}}, {});
  const std::vector<BadCase> cases = {
      {"truncated", good.substr(0, good.size() / 2), 4, "corrupt"},
      {"cycle",
       model({{"Add", {"x", "b"}, {"a"}}, {"Relu", {"a"}, {"b"}}, {"Relu", {"b"}, {"y"}}}, {}), 4,
       "cycle"},
      {"missing-initializer", model({{"Add", {"x", "weights"}, {"y"}}}, {}), 4, "'weights'"},
      {"unknown-op", model({{"FrobnicateTensor", {"x"}, {"y"}}}, {}), 5, "FrobnicateTensor"},
      {"mismatched-types",
       model({{"Add", {"x", "k"}, {"y"}}}, {initializer("k", 7, {2}, std::string(16, '\0'))}), 7,
       "mismatch"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    TempDir dir;
    const auto in = write(dir, std::string(c.name) + ".onnx", c.bytes);
    const auto out = dir / "OUT.onnx";
    const auto r = simplify(in, out);
    EXPECT_EQ(r.exit_code, c.exit_code) << r.err;
    EXPECT_NE(r.err.find(in.string()), std::string::npos) << r.err;  // names the file
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(out));
    // No temporary left behind either.
    size_t files = 0;
    for (const auto& e : fs::directory_iterator(dir.path())) files += e.is_regular_file();
    EXPECT_EQ(files, 1u);
  }
}

TEST(SimplifyCli, BadInputShapeIsInvalidArgument) {
  TempDir dir;
  const auto in = write(dir, "in.onnx", model({{"Relu", {"x"}, {"y"}}}, {}));
  const auto out = dir / "out.onnx";
  auto r = simplify(in, out, "--input-shape x:1,2,3");  // rank mismatch
  EXPECT_EQ(r.exit_code, 2) << r.err;
  // The library states the problem, the CLI names its flag.
  EXPECT_NE(r.err.find("--input-shape: input 'x' has rank"), std::string::npos) << r.err;
  r = simplify(in, out, "--input-shape nope:2");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = simplify(in, out, "--input-shape x:abc");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_FALSE(fs::exists(out));
}

TEST(SimplifyCli, ReferenceModelWithFixedInputShapeFoldsMore) {
  YOLOXRT_REQUIRE_FIXTURES(fixtures);
  const fs::path model_path = fixtures / "cjm-tiny-hagrid" / "expected" / "reference-default.onnx";
  TempDir dir;
  const auto dyn = simplify(model_path, dir / "dyn.onnx", "--check 1");
  ASSERT_EQ(dyn.exit_code, 0) << dyn.err;
  EXPECT_NE(dyn.out.find("'height' -> 256"), std::string::npos) << dyn.out;
  const auto fixed =
      simplify(model_path, dir / "fixed.onnx", "--input-shape input:1,3,224,320 --check 1");
  ASSERT_EQ(fixed.exit_code, 0) << fixed.err;
  EXPECT_LT(fs::file_size(dir / "fixed.onnx"), fs::file_size(model_path) + 1);
  // With static H/W every shape computation folds: far fewer nodes.
  auto total = [](const std::string& out) {
    const size_t p = out.find("total nodes");
    return p == std::string::npos ? std::string() : out.substr(p, out.find('\n', p) - p);
  };
  std::printf("dynamic: %s\nfixed:   %s\n", total(dyn.out).c_str(), total(fixed.out).c_str());
  EXPECT_NE(total(dyn.out), total(fixed.out));
  const auto no_fold = simplify(model_path, dir / "nofold.onnx", "--no-fold --check 1");
  ASSERT_EQ(no_fold.exit_code, 0) << no_fold.err;
}

TEST(SimplifyCli, MegviiNanoRoundTrip) {
  YOLOXRT_REQUIRE_FIXTURES(fixtures);
  TempDir dir;
  const auto r = simplify(fixtures / "megvii-nano" / "yolox_nano.onnx", dir / "nano.onnx");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir / "nano.onnx"));
}

}  // namespace
}  // namespace yoloxrt
