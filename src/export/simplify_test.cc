// Tests of the ONNX simplifier: each pass on tiny graphs built in code, the two fixture models end
// to end (checked against their recorded outputs with ONNX Runtime), and malformed inputs.
#include "yoloxrt/simplify.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include "export/simplify_eval.h"
#include "export/simplify_passes.h"
#include "support/test_support.h"
#include "yoloxrt/error.h"

namespace yoloxrt {
namespace {

namespace fs = std::filesystem;
using onnx::ModelProto;
using onnx::NodeProto;
using onnx::TensorProto;
using testing::TempDir;

// --- tiny graph builder
// ---------------------------------------------------------------------------

struct Builder {
  ModelProto m;
  explicit Builder(int opset = 14) {
    m.set_ir_version(7);
    m.set_producer_name("yoloxrt-test");
    auto* o = m.add_opset_import();
    o->set_domain("");
    o->set_version(opset);
    m.mutable_graph()->set_name("g");
  }
  onnx::GraphProto& g() { return *m.mutable_graph(); }

  static void set_type(onnx::ValueInfoProto* vi, const std::string& name, int32_t dtype,
                       const std::vector<int64_t>& dims) {
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(dtype);
    auto* shape = tt->mutable_shape();
    for (int64_t d : dims) {
      if (d >= 0)
        shape->add_dim()->set_dim_value(d);
      else
        shape->add_dim()->set_dim_param("dyn" + std::to_string(shape->dim_size()));
    }
  }
  Builder& input(const std::string& name, std::vector<int64_t> dims, int32_t dtype = 1) {
    set_type(g().add_input(), name, dtype, dims);
    return *this;
  }
  Builder& output(const std::string& name, std::vector<int64_t> dims, int32_t dtype = 1) {
    set_type(g().add_output(), name, dtype, dims);
    return *this;
  }
  Builder& init_f(const std::string& name, std::vector<int64_t> dims, std::vector<double> v) {
    simplify::Value val;
    val.dtype = TensorProto::FLOAT;
    val.dims = std::move(dims);
    val.f = std::move(v);
    *g().add_initializer() = simplify::tensor_from_value(val, name);
    return *this;
  }
  Builder& init_i(const std::string& name, std::vector<int64_t> dims, std::vector<int64_t> v) {
    simplify::Value val;
    val.dtype = TensorProto::INT64;
    val.dims = std::move(dims);
    val.i = std::move(v);
    *g().add_initializer() = simplify::tensor_from_value(val, name);
    return *this;
  }
  NodeProto& node(const std::string& op, std::vector<std::string> in,
                  std::vector<std::string> out) {
    auto* n = g().add_node();
    n->set_op_type(op);
    n->set_name(op + "_" + std::to_string(g().node_size()));
    for (auto& i : in) n->add_input(i);
    for (auto& o : out) n->add_output(o);
    return *n;
  }
  std::string bytes() const { return m.SerializeAsString(); }
};

void attr_i(NodeProto& n, const std::string& name, int64_t v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}
void attr_f(NodeProto& n, const std::string& name, float v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}
void attr_ints(NodeProto& n, const std::string& name, std::vector<int64_t> v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

fs::path write_model(const TempDir& dir, const std::string& name, const std::string& bytes) {
  const fs::path p = dir / name;
  std::ofstream(p, std::ios::binary) << bytes;
  return p;
}

ModelProto parse(const std::string& bytes) {
  ModelProto m;
  EXPECT_TRUE(m.ParseFromString(bytes));
  return m;
}

int count_op(const ModelProto& m, const std::string& op) {
  return static_cast<int>(std::count_if(m.graph().node().begin(), m.graph().node().end(),
                                        [&](const NodeProto& n) { return n.op_type() == op; }));
}

// Nodes whose inputs are all initializers (or that take no input at all, like Constant).
std::vector<std::string> constant_only_nodes(const ModelProto& m) {
  std::set<std::string> inits;
  for (const auto& t : m.graph().initializer()) inits.insert(t.name());
  std::vector<std::string> out;
  for (const auto& n : m.graph().node()) {
    bool all = true;
    for (const auto& i : n.input()) all &= i.empty() || inits.count(i) > 0;
    if (all) out.push_back(n.name() + " (" + n.op_type() + ")");
  }
  return out;
}

std::vector<float> random_input(size_t n, unsigned seed) {
  std::vector<float> v(n);
  uint32_t s = seed;
  for (auto& x : v) {
    s = s * 1664525u + 1013904223u;
    x = static_cast<float>(s >> 8) / 16777216.0f * 2.0f - 1.0f;
  }
  return v;
}

ErrorKind kind_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.kind();
  }
  ADD_FAILURE() << "no Error thrown";
  return ErrorKind::kRuntime;
}

// --- evaluator
// ------------------------------------------------------------------------------------

TEST(SimplifyEval, ShapeChainFoldsToConstants) {
  // Reshape(x, Concat(Unsqueeze(Gather(Shape(c), 0)), [-1])) on a constant c of shape [2,3].
  Builder b;
  b.input("x", {6}).output("y", {2, 3});
  b.init_f("c", {2, 3}, {1, 2, 3, 4, 5, 6}).init_i("zero", {}, {0}).init_i("minus1", {1}, {-1});
  b.init_i("axes0", {1}, {0});
  b.node("Shape", {"c"}, {"s"});
  b.node("Gather", {"s", "zero"}, {"d0"});
  b.node("Unsqueeze", {"d0", "axes0"}, {"d0u"});
  attr_i(b.node("Concat", {"d0u", "minus1"}, {"shape"}), "axis", 0);
  b.node("Reshape", {"x", "shape"}, {"y"});
  ModelProto m = b.m;
  const auto stats = simplify::fold_constants(m, 1 << 20);
  EXPECT_EQ(stats.nodes_folded, 4);
  ASSERT_EQ(m.graph().node_size(), 1);
  EXPECT_EQ(m.graph().node(0).op_type(), "Reshape");
  EXPECT_NO_THROW(simplify::check_model_full(m));
}

TEST(SimplifyEval, MatchesOnnxRuntimeOnConstantSubgraph) {
  // A constant-only subgraph mixing many evaluator ops, added to the input; ORT runs it unfolded.
  Builder b;
  b.input("x", {2, 3}).output("y", {2, 3});
  b.init_f("a", {2, 3}, {0.5, -1.25, 2, 3.5, -0.75, 9});
  b.init_i("start", {}, {0}).init_i("limit", {}, {6}).init_i("delta", {}, {1});
  b.init_i("shape23", {2}, {2, 3}).init_i("s0", {1}, {1}).init_i("e0", {1}, {100});
  b.init_i("ax1", {1}, {1}).init_i("three", {}, {3});
  b.node("Range", {"start", "limit", "delta"}, {"r"});                // [0..5] int64
  b.node("Reshape", {"r", "shape23"}, {"r23"});                       // [2,3]
  attr_i(b.node("Cast", {"r23"}, {"rf"}), "to", TensorProto::FLOAT);  // float
  b.node("Mul", {"rf", "a"}, {"m"});
  b.node("Abs", {"m"}, {"ma"});
  b.node("Sqrt", {"ma"}, {"sq"});
  attr_ints(b.node("Transpose", {"sq"}, {"t"}), "perm", {1, 0});  // [3,2]
  attr_ints(b.node("Transpose", {"t"}, {"tt"}), "perm", {1, 0});  // [2,3]
  b.node("Less", {"r23", "three"}, {"lt"});
  b.node("Where", {"lt", "tt", "a"}, {"w"});
  b.node("Slice", {"w", "s0", "e0", "ax1"}, {"sl"});  // [2,2]
  b.node("Slice", {"w", "s0", "e0", "ax1"}, {"sl2"});
  attr_i(b.node("Concat", {"sl", "sl2"}, {"cc"}), "axis", 1);  // [2,4]
  b.init_i("st2", {1}, {0}).init_i("en2", {1}, {3});
  b.node("Slice", {"cc", "st2", "en2", "ax1"}, {"c3"});  // [2,3]
  b.init_f("p", {}, {2.0});
  b.node("Pow", {"c3", "p"}, {"pw"});
  b.node("Div", {"pw", "a"}, {"dv"});
  b.node("Sub", {"dv", "a"}, {"sb"});
  b.node("Add", {"x", "sb"}, {"y"});
  TempDir dir;
  const auto before = write_model(dir, "before.onnx", b.bytes());
  ModelProto m = b.m;
  simplify::fold_constants(m, 1 << 20);
  simplify::remove_unused_initializers(m);
  ASSERT_EQ(m.graph().node_size(), 1);
  const auto after = write_model(dir, "after.onnx", m.SerializeAsString());
  const auto in = random_input(6, 7);
  std::vector<int64_t> s1, s2;
  const auto y1 = testing::run_onnx(before, {2, 3}, in, &s1);
  const auto y2 = testing::run_onnx(after, {2, 3}, in, &s2);
  ASSERT_EQ(y1.size(), y2.size());
  for (size_t k = 0; k < y1.size(); ++k) EXPECT_FLOAT_EQ(y1[k], y2[k]) << k;
}

TEST(SimplifyEval, PartiallyDynamicShapeFoldsStaticEntries) {
  // Shape of an input [1, 3, H, W]: Gather(1) is static and folds, Gather(2) stays.
  Builder b;
  b.input("x", {1, 3, -1, -1})
      .output("c", {}, TensorProto::INT64)
      .output("h", {}, TensorProto::INT64);
  b.init_i("one", {}, {1}).init_i("two", {}, {2}).init_i("k", {}, {5});
  b.node("Shape", {"x"}, {"s"});
  b.node("Gather", {"s", "one"}, {"c0"});
  b.node("Mul", {"c0", "k"}, {"c"});
  b.node("Gather", {"s", "two"}, {"h"});
  ModelProto m = b.m;
  const auto stats = simplify::fold_constants(m, 1 << 20);
  EXPECT_EQ(stats.shape_nodes_folded, 1);  // Gather(s, 1)
  // Mul feeds a graph output, so it stays as a node reading the folded constant.
  EXPECT_EQ(count_op(m, "Shape"), 1);
  EXPECT_EQ(count_op(m, "Gather"), 1);
  EXPECT_EQ(count_op(m, "Mul"), 1);
}

// --- passes
// ---------------------------------------------------------------------------------------

TEST(SimplifyPasses, BatchNormFoldMatchesUnfusedInOnnxRuntime) {
  Builder b;
  b.input("x", {1, 2, 5, 5}).output("y", {1, 3, 5, 5});
  std::vector<double> w(3 * 2 * 3 * 3);
  for (size_t k = 0; k < w.size(); ++k) w[k] = std::sin(0.7 * static_cast<double>(k));
  b.init_f("w", {3, 2, 3, 3}, w).init_f("cb", {3}, {0.1, -0.2, 0.3});
  b.init_f("gamma", {3}, {0.5, 1.5, -2}).init_f("beta", {3}, {0.25, 0, -1});
  b.init_f("mean", {3}, {0.1, -0.3, 2}).init_f("var", {3}, {0.5, 2, 0.01});
  attr_ints(b.node("Conv", {"x", "w", "cb"}, {"c"}), "pads", {1, 1, 1, 1});
  attr_f(b.node("BatchNormalization", {"c", "gamma", "beta", "mean", "var"}, {"y"}), "epsilon",
         1e-3f);
  ModelProto m = b.m;
  EXPECT_EQ(simplify::fold_batch_norm_into_conv(m), 1);
  simplify::remove_unused_initializers(m);
  ASSERT_EQ(m.graph().node_size(), 1);
  EXPECT_EQ(m.graph().node(0).op_type(), "Conv");
  EXPECT_EQ(m.graph().node(0).output(0), "y");
  EXPECT_NO_THROW(simplify::check_model_full(m));
  TempDir dir;
  const auto in = random_input(50, 3);
  std::vector<int64_t> shape;
  const auto y1 =
      testing::run_onnx(write_model(dir, "a.onnx", b.bytes()), {1, 2, 5, 5}, in, &shape);
  const auto y2 = testing::run_onnx(write_model(dir, "b.onnx", m.SerializeAsString()), {1, 2, 5, 5},
                                    in, &shape);
  ASSERT_EQ(y1.size(), y2.size());
  for (size_t k = 0; k < y1.size(); ++k) EXPECT_NEAR(y1[k], y2[k], 1e-5 * (1 + std::fabs(y1[k])));
}

TEST(SimplifyPasses, BatchNormNotFoldedWhenConvOutputHasAnotherConsumer) {
  Builder b;
  b.input("x", {1, 1, 2, 2}).output("y", {1, 1, 2, 2}).output("z", {1, 1, 2, 2});
  b.init_f("w", {1, 1, 1, 1}, {2}).init_f("g", {1}, {1}).init_f("bt", {1}, {0});
  b.init_f("mu", {1}, {0}).init_f("v", {1}, {1});
  b.node("Conv", {"x", "w"}, {"c"});
  b.node("BatchNormalization", {"c", "g", "bt", "mu", "v"}, {"y"});
  b.node("Relu", {"c"}, {"z"});
  ModelProto m = b.m;
  EXPECT_EQ(simplify::fold_batch_norm_into_conv(m), 0);
  EXPECT_EQ(m.graph().node_size(), 3);
}

TEST(SimplifyPasses, IdentityRemovalKeepsGraphOutputNames) {
  Builder b;
  b.input("x", {2}).output("out", {2}).output("out2", {2});
  b.node("Relu", {"x"}, {"r"});
  b.node("Identity", {"r"}, {"i1"});
  b.node("Dropout", {"i1"}, {"d"});
  b.node("Identity", {"d"}, {"out"});
  b.node("Identity", {"x"}, {"out2"});  // input -> output: must stay to keep both names
  ModelProto m = b.m;
  EXPECT_EQ(simplify::remove_identities(m), 3);
  EXPECT_EQ(m.graph().output(0).name(), "out");
  EXPECT_EQ(m.graph().output(1).name(), "out2");
  ASSERT_EQ(m.graph().node_size(), 2);
  EXPECT_EQ(m.graph().node(0).op_type(), "Relu");
  EXPECT_EQ(m.graph().node(0).output(0), "out");
  EXPECT_EQ(m.graph().node(1).op_type(), "Identity");
  EXPECT_NO_THROW(simplify::check_model_full(m));
}

TEST(SimplifyPasses, DropoutWithUsedMaskStays) {
  Builder b(12);
  b.input("x", {2}).output("y", {2}).output("mask", {2}, TensorProto::BOOL);
  b.node("Dropout", {"x"}, {"y", "mask"});
  ModelProto m = b.m;
  EXPECT_EQ(simplify::remove_identities(m), 0);
}

TEST(SimplifyPasses, DuplicateInitializersAreMerged) {
  Builder b;
  b.input("x", {3}).output("y", {3});
  b.init_f("a", {3}, {1, 2, 3}).init_f("b", {3}, {1, 2, 3}).init_f("c", {3}, {1, 2, 4});
  b.init_f("d", {1, 3}, {1, 2, 3});  // same bytes, other shape: not a duplicate
  // "e" holds the same values as "a" in float_data instead of raw_data.
  auto* e = b.g().add_initializer();
  e->set_name("e");
  e->set_data_type(TensorProto::FLOAT);
  e->add_dims(3);
  for (float f : {1.f, 2.f, 3.f}) e->add_float_data(f);
  b.node("Add", {"x", "a"}, {"t1"});
  b.node("Add", {"t1", "b"}, {"t2"});
  b.node("Add", {"t2", "c"}, {"t3"});
  b.node("Add", {"t3", "d"}, {"t4"});
  b.node("Reshape", {"t4", "shape"}, {"t5"});
  b.init_i("shape", {1}, {3});
  b.node("Add", {"t5", "e"}, {"y"});
  ModelProto m = b.m;
  EXPECT_EQ(simplify::merge_duplicate_initializers(m), 2);  // b and e -> a
  EXPECT_EQ(m.graph().initializer_size(), 4);
  EXPECT_EQ(m.graph().node(1).input(1), "a");
  EXPECT_EQ(m.graph().node(5).input(1), "a");
  EXPECT_EQ(m.graph().node(2).input(1), "c");
  EXPECT_NO_THROW(simplify::check_model_full(m));
}

TEST(SimplifyPasses, DeadNodesAndUnusedInitializersRemoved) {
  Builder b;
  b.input("x", {2}).output("y", {2});
  b.init_f("k", {2}, {1, 2}).init_f("unused", {2}, {3, 4});
  b.node("Add", {"x", "k"}, {"y"});
  b.node("Mul", {"x", "k"}, {"dead1"});
  b.node("Relu", {"dead1"}, {"dead2"});
  ModelProto m = b.m;
  EXPECT_EQ(simplify::remove_dead_nodes(m), 2);
  EXPECT_EQ(simplify::remove_unused_initializers(m), 1);
  EXPECT_EQ(m.graph().node_size(), 1);
  EXPECT_EQ(m.graph().initializer_size(), 1);
}

TEST(SimplifyPasses, ConstantNodesBecomeInitializers) {
  Builder b;
  b.input("x", {2}).output("y", {2});
  auto& c = b.node("Constant", {}, {"k"});
  auto* a = c.add_attribute();
  a->set_name("value_floats");
  a->set_type(onnx::AttributeProto::FLOATS);
  a->add_floats(1);
  a->add_floats(2);
  b.node("Add", {"x", "k"}, {"y"});
  ModelProto m = b.m;
  EXPECT_EQ(simplify::constants_to_initializers(m), 1);
  EXPECT_EQ(m.graph().node_size(), 1);
  ASSERT_EQ(m.graph().initializer_size(), 1);
  EXPECT_EQ(m.graph().initializer(0).name(), "k");
  EXPECT_NO_THROW(simplify::check_model_full(m));
}

TEST(SimplifyPasses, InputShapeFixesDynamicDims) {
  Builder b;
  b.input("x", {1, 3, -1, -1}).output("y", {1, 3, -1, -1});
  b.node("Relu", {"x"}, {"y"});
  ModelProto m = b.m;
  simplify::apply_input_shapes(m, {{"x", {1, 3, 32, 48}}});
  EXPECT_EQ(m.graph().input(0).type().tensor_type().shape().dim(3).dim_value(), 48);
  ModelProto m2 = b.m;
  EXPECT_EQ(kind_of([&] {
              simplify::apply_input_shapes(m2, {{"x", {2, 3, 32, 48}}});
            }),
            ErrorKind::kInvalidArgument);
  EXPECT_EQ(kind_of([&] {
              simplify::apply_input_shapes(m2, {{"nope", {1}}});
            }),
            ErrorKind::kInvalidArgument);
  EXPECT_EQ(kind_of([&] {
              simplify::apply_input_shapes(m2, {{"x", {1, 3}}});
            }),
            ErrorKind::kInvalidArgument);
}

// --- malformed models
// -----------------------------------------------------------------------------

std::string small_valid_model() {
  Builder b;
  b.input("x", {2}).output("y", {2});
  b.init_f("k", {2}, {1, 2});
  b.node("Add", {"x", "k"}, {"t"});
  b.node("Relu", {"t"}, {"y"});
  return b.bytes();
}

TEST(SimplifyMalformed, TruncatedBytes) {
  const std::string bytes = small_valid_model();
  std::string out;
  for (size_t cut : {size_t{0}, size_t{1}, bytes.size() / 2, bytes.size() - 1}) {
    try {
      simplify_model_bytes(std::string_view(bytes).substr(0, cut), {}, &out);
      ADD_FAILURE() << "cut at " << cut << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kCorrupt) << e.what();
    }
  }
  EXPECT_TRUE(out.empty());
}

TEST(SimplifyMalformed, Cycle) {
  Builder b;
  b.input("x", {2}).output("y", {2});
  b.node("Add", {"x", "b"}, {"a"});
  b.node("Relu", {"a"}, {"b"});
  b.node("Relu", {"b"}, {"y"});
  std::string out;
  try {
    simplify_model_bytes(b.bytes(), {}, &out);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kCorrupt);
    EXPECT_NE(e.message().find("cycle"), std::string::npos) << e.what();
  }
}

TEST(SimplifyMalformed, MissingInitializer) {
  Builder b;
  b.input("x", {2}).output("y", {2});
  b.node("Add", {"x", "weights"}, {"y"});
  std::string out;
  try {
    simplify_model_bytes(b.bytes(), {}, &out);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kCorrupt);
    EXPECT_NE(e.message().find("'weights'"), std::string::npos) << e.what();
  }
}

TEST(SimplifyMalformed, UnknownOp) {
  Builder b;
  b.input("x", {2}).output("y", {2});
  b.node("FrobnicateTensor", {"x"}, {"y"});
  std::string out;
  try {
    simplify_model_bytes(b.bytes(), {}, &out);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUnsupported);
    EXPECT_NE(e.message().find("FrobnicateTensor"), std::string::npos) << e.what();
  }
}

TEST(SimplifyMalformed, MismatchedTypes) {
  Builder b;
  b.input("x", {2}).output("y", {2});
  b.init_i("k", {2}, {1, 2});  // int64 added to float
  b.node("Add", {"x", "k"}, {"y"});
  std::string out;
  try {
    simplify_model_bytes(b.bytes(), {}, &out);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kMismatch) << e.what();
  }
}

TEST(SimplifyMalformed, ExternalDataIsUnsupported) {
  Builder b;
  b.input("x", {2}).output("y", {2});
  auto* t = b.g().add_initializer();
  t->set_name("k");
  t->set_data_type(TensorProto::FLOAT);
  t->add_dims(2);
  t->set_data_location(TensorProto::EXTERNAL);
  auto* kv = t->add_external_data();
  kv->set_key("location");
  kv->set_value("weights.bin");
  b.node("Add", {"x", "k"}, {"y"});
  std::string out;
  EXPECT_EQ(kind_of([&] { simplify_model_bytes(b.bytes(), {}, &out); }), ErrorKind::kUnsupported);
}

TEST(SimplifyMalformed, FileErrorsNameThePath) {
  TempDir dir;
  const auto p = write_model(dir, "broken.onnx", small_valid_model().substr(0, 20));
  std::string out;
  try {
    simplify_model_file(p, {}, &out);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.file(), p.string());
  }
}

// --- fixtures
// -------------------------------------------------------------------------------------

void print_report(const char* what, const SimplifyReport& r, double seconds) {
  std::printf("%s: %lld -> %lld nodes, %llu -> %llu bytes, %.2f s\n", what,
              static_cast<long long>(r.nodes_before), static_cast<long long>(r.nodes_after),
              static_cast<unsigned long long>(r.bytes_before),
              static_cast<unsigned long long>(r.bytes_after), seconds);
  std::printf(
      "  folded %lld (shape %lld), bn %lld, identity %lld, dead %lld, merged %lld, unused %lld\n",
      static_cast<long long>(r.nodes_folded), static_cast<long long>(r.shape_nodes_folded),
      static_cast<long long>(r.batch_norms_folded), static_cast<long long>(r.identities_removed),
      static_cast<long long>(r.dead_nodes_removed), static_cast<long long>(r.initializers_merged),
      static_cast<long long>(r.initializers_removed));
  std::string after;
  for (const auto& [op, n] : r.ops_after) after += op + ":" + std::to_string(n) + " ";
  std::printf("  after: %s\n", after.c_str());
}

struct CjmCase {
  const char* name;
  std::vector<int64_t> shape;
};

// Runs one cjm `default_*` case through `model` against the fixture (shared test helper).
void check_cjm_case(const fs::path& model, const fs::path& dir, const CjmCase& c) {
  testing::expect_cjm_default_parity(model, dir, c.name, c.shape);
}

TEST(SimplifyFixture, CjmReferenceDefaultKeepsOutputsAndDynamicHW) {
  YOLOXRT_REQUIRE_FIXTURES(fixtures);
  const fs::path dir = fixtures / "cjm-tiny-hagrid" / "expected";
  const std::string in_bytes = read_bytes(dir / "reference-default.onnx");
  std::string out_bytes;
  const auto t0 = std::chrono::steady_clock::now();
  const SimplifyReport r = simplify_model_bytes(in_bytes, {}, &out_bytes);
  print_report("reference-default.onnx", r,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  EXPECT_EQ(r.nodes_before, 640);
  EXPECT_LT(r.nodes_after, r.nodes_before);
  // torch.onnx.export already fused BN in eval mode; the Ifs guard squeezes of static size-1 dims.
  EXPECT_EQ(r.ops_before.count("BatchNormalization"), 0u);
  EXPECT_EQ(r.ifs_inlined, 4);

  const ModelProto m = parse(out_bytes);
  EXPECT_EQ(count_op(m, "BatchNormalization"), 0);
  EXPECT_EQ(count_op(m, "Identity"), 0);
  EXPECT_EQ(count_op(m, "Dropout"), 0);
  EXPECT_EQ(count_op(m, "Constant"), 0);
  EXPECT_EQ(count_op(m, "If"), 0);
  const auto const_nodes = constant_only_nodes(m);
  EXPECT_TRUE(const_nodes.empty())
      << const_nodes.size() << " constant-only nodes, first " << const_nodes.front();
  EXPECT_NO_THROW(simplify::check_model_full(m));
  // H and W stay dynamic.
  const auto& dims = m.graph().input(0).type().tensor_type().shape().dim();
  EXPECT_FALSE(dims[2].has_dim_value());
  EXPECT_FALSE(dims[3].has_dim_value());

  TempDir tmp;
  const fs::path model = write_model(tmp, "simplified.onnx", out_bytes);
  for (const CjmCase& c : {CjmCase{"photo", {1, 3, 576, 384}}, CjmCase{"rand256", {1, 3, 256, 256}},
                           CjmCase{"rand224x320", {1, 3, 224, 320}}})
    check_cjm_case(model, dir, c);
}

TEST(SimplifyFixture, CjmReferenceWithFixedInputShapeFoldsAllShapeMath) {
  YOLOXRT_REQUIRE_FIXTURES(fixtures);
  const fs::path dir = fixtures / "cjm-tiny-hagrid" / "expected";
  SimplifyOptions options;
  options.input_shapes["input"] = {1, 3, 224, 320};
  std::string out_bytes;
  const SimplifyReport r =
      simplify_model_bytes(read_bytes(dir / "reference-default.onnx"), options, &out_bytes);
  print_report("reference-default.onnx @224x320", r, 0);
  const ModelProto m = parse(out_bytes);
  EXPECT_EQ(count_op(m, "Shape"), 0);
  EXPECT_EQ(count_op(m, "Range"), 0);
  EXPECT_TRUE(constant_only_nodes(m).empty());
  TempDir tmp;
  check_cjm_case(write_model(tmp, "fixed.onnx", out_bytes), dir,
                 CjmCase{"rand224x320", {1, 3, 224, 320}});
}

TEST(SimplifyFixture, MegviiNanoNoMoreNodesSameOutputs) {
  YOLOXRT_REQUIRE_FIXTURES(fixtures);
  const fs::path dir = fixtures / "megvii-nano";
  const std::string in_bytes = read_bytes(dir / "yolox_nano.onnx");
  std::string out_bytes;
  const auto t0 = std::chrono::steady_clock::now();
  const SimplifyReport r = simplify_model_bytes(in_bytes, {}, &out_bytes);
  print_report("yolox_nano.onnx", r,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  EXPECT_LE(r.nodes_after, r.nodes_before);
  const ModelProto m = parse(out_bytes);
  EXPECT_TRUE(constant_only_nodes(m).empty());
  TempDir tmp;
  const auto input = testing::read_f32(dir / "input_dog_416.f32");
  const auto ref = testing::read_f32(dir / "raw_output_dog_416.f32");
  std::vector<int64_t> shape;
  const auto out =
      testing::run_onnx(write_model(tmp, "nano.onnx", out_bytes), {1, 3, 416, 416}, input, &shape);
  ASSERT_EQ(out.size(), ref.size());
  double worst = 0;
  for (size_t k = 0; k < out.size(); ++k)
    worst = std::max(worst, static_cast<double>(std::fabs(out[k] - ref[k])));
  std::printf("  nano: max abs diff %.2e\n", worst);
  EXPECT_LE(worst, 5e-4);
}

}  // namespace
}  // namespace yoloxrt
