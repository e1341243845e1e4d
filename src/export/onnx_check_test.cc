// The one whole-model check (export/onnx_check.h): the same broken model gets the same error kind
// whether the exporter (finalize_model) or the simplifier (validation, result check) meets it.
#include "export/onnx_check.h"

#include <functional>
#include <string>

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include "export/onnx_writer.h"
#include "export/simplify_passes.h"
#include "yoloxrt/error.h"
#include "yoloxrt/simplify.h"

namespace yoloxrt {
namespace {

using onnx::ModelProto;
using onnx::TensorProto;

void declare(onnx::ValueInfoProto* vi, const std::string& name, int32_t dtype) {
  vi->set_name(name);
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(dtype);
  tt->mutable_shape()->add_dim()->set_dim_value(2);
}

// y = Add(a, b) with a and b of the given element types.
ModelProto add_model(int32_t a_type, int32_t b_type) {
  ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  auto* g = m.mutable_graph();
  g->set_name("g");
  declare(g->add_input(), "a", a_type);
  declare(g->add_input(), "b", b_type);
  declare(g->add_output(), "y", TensorProto::FLOAT);
  auto* n = g->add_node();
  n->set_op_type("Add");
  n->set_name("add");
  for (const std::string name : {"a", "b"}) n->add_input(name);
  n->add_output(std::string("y"));
  return m;
}

Error error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no Error thrown";
  return Error(ErrorKind::kRuntime, "none");
}

TEST(OnnxCheck, ValidModelPassesAndKeepsInferredShapes) {
  ModelProto m = add_model(TensorProto::FLOAT, TensorProto::FLOAT);
  EXPECT_NO_THROW(exporter::check_model_full(m));
}

// The exporter used to report every check failure as kRuntime, the simplifier as kCorrupt or
// kMismatch: now both report what the check found.
TEST(OnnxCheck, TypeMismatchIsKMismatchForExporterAndSimplifier) {
  const ModelProto bad = add_model(TensorProto::FLOAT, TensorProto::INT64);
  ModelProto a = bad;
  EXPECT_EQ(error_of([&] { exporter::check_model_full(a); }).kind(), ErrorKind::kMismatch);
  ModelProto b = bad;
  const Error exported = error_of([&] { exporter::finalize_model(b, ModelMetadata{}); });
  EXPECT_EQ(exported.kind(), ErrorKind::kMismatch);
  EXPECT_NE(exported.message().find("yoloxrt bug"), std::string::npos) << exported.what();
  EXPECT_EQ(error_of([&] { simplify::check_model_full(bad); }).kind(), ErrorKind::kMismatch);
  EXPECT_EQ(error_of([&] { validate_model_bytes(bad.SerializeAsString()); }).kind(),
            ErrorKind::kMismatch);
}

TEST(OnnxCheck, CheckerRejectionIsKCorruptForExporterAndSimplifier) {
  ModelProto bad = add_model(TensorProto::FLOAT, TensorProto::FLOAT);
  bad.mutable_graph()->mutable_node(0)->set_op_type("NoSuchOp");
  ModelProto a = bad;
  const Error checked = error_of([&] { exporter::check_model_full(a); });
  EXPECT_EQ(checked.kind(), ErrorKind::kCorrupt);
  EXPECT_NE(checked.message().find("ONNX checker"), std::string::npos) << checked.what();
  ModelProto b = bad;
  EXPECT_EQ(error_of([&] { exporter::finalize_model(b, ModelMetadata{}); }).kind(),
            ErrorKind::kCorrupt);
  EXPECT_EQ(error_of([&] { simplify::check_model_full(bad); }).kind(), ErrorKind::kCorrupt);
}

TEST(OnnxCheck, SimplifierCheckLeavesItsArgumentAlone) {
  const ModelProto m = add_model(TensorProto::FLOAT, TensorProto::FLOAT);
  simplify::check_model_full(m);
  EXPECT_EQ(m.graph().value_info_size(), 0);
}

}  // namespace
}  // namespace yoloxrt
