// One model description (yoloxrt/onnx_info.h), two readers: ONNX Runtime's (inspect_model) and the
// protobuf one of the export layer (inspect_onnx) agree on every field both fill.
#include <gtest/gtest.h>

#include "support/test_support.h"
#include "yoloxrt/detector.h"
#include "yoloxrt/export.h"

namespace yoloxrt {
namespace {

void expect_same_tensors(const std::vector<TensorInfo>& a, const std::vector<TensorInfo>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t k = 0; k < a.size(); ++k) {
    SCOPED_TRACE(a[k].name);
    EXPECT_EQ(a[k].name, b[k].name);
    EXPECT_EQ(a[k].element_type, b[k].element_type);
    EXPECT_EQ(a[k].shape, b[k].shape);
    EXPECT_EQ(a[k].dim_names, b[k].dim_names);
    EXPECT_EQ(a[k].shape_string(), b[k].shape_string());
  }
}

TEST(ModelInspect, OrtAndProtobufReadersAgree) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  testing::TempDir tmp;
  // A yoloxrt export has symbolic dims and metadata; Megvii's released model has neither.
  const auto exported = tmp / "nano.onnx";
  export_checkpoint(fx / "megvii-nano" / "yolox_nano.pth", exported, {}, nullptr);
  for (const auto& path : {exported, fx / "megvii-nano" / "yolox_nano.onnx"}) {
    SCOPED_TRACE(path.string());
    const ModelInfo ort = inspect_model(path);
    const ModelInfo pb = inspect_onnx(path);
    expect_same_tensors(ort.inputs, pb.inputs);
    expect_same_tensors(ort.outputs, pb.outputs);
    EXPECT_EQ(ort.metadata_props, pb.metadata_props);
    EXPECT_EQ(ort.producer_name, pb.producer_name);
    EXPECT_EQ(ort.node_count, 0);  // graph statistics: protobuf reader only
    EXPECT_GT(pb.node_count, 0);
  }
  EXPECT_EQ(inspect_model(exported).inputs[0].shape_string(), "[batch, 3, height, width]");
}

}  // namespace
}  // namespace yoloxrt
