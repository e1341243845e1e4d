// ModelMetadata: the end-to-end output format and its NMS settings round-trip through
// metadata_props; malformed NMS settings are corrupt metadata.
#include "yoloxrt/model_metadata.h"

#include <gtest/gtest.h>

#include "yoloxrt/error.h"

namespace yoloxrt {
namespace {

TEST(ModelMetadataNms, RoundTripsThroughProps) {
  ModelMetadata m;
  m.output_format = OutputFormat::kEndToEnd;
  m.nms = NmsSettings{0.3f, 0.6f, 42, true};
  const auto props = m.to_props();
  EXPECT_EQ(props.at("yoloxrt.output_format"), "end-to-end");
  EXPECT_EQ(props.at("yoloxrt.nms"), R"({"conf":0.3,"iou":0.6,"max_det":42,"per_class":true})");
  const ModelMetadata back = ModelMetadata::from_props(props);
  EXPECT_EQ(back.output_format, OutputFormat::kEndToEnd);
  ASSERT_TRUE(back.nms);
  EXPECT_EQ(back.nms->conf, 0.3f);
  EXPECT_EQ(back.nms->iou, 0.6f);
  EXPECT_EQ(back.nms->max_det, 42);
  EXPECT_TRUE(back.nms->per_class);
  // Other formats carry no NMS key.
  m.output_format = OutputFormat::kDecoded;
  m.nms.reset();
  EXPECT_EQ(m.to_props().count("yoloxrt.nms"), 0u);
  EXPECT_FALSE(ModelMetadata::from_props(m.to_props()).nms);
}

TEST(ModelMetadataNms, MalformedSettingsAreCorrupt) {
  ModelMetadata m;
  m.output_format = OutputFormat::kEndToEnd;
  m.nms = NmsSettings{};
  for (const char* bad :
       {R"({"conf":0.3})", R"({"conf":0.3,"iou":0.5,"max_det":0,"per_class":false})", "not json"}) {
    auto props = m.to_props();
    props["yoloxrt.nms"] = bad;
    try {
      ModelMetadata::from_props(props);
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kCorrupt) << bad;
    }
  }
  auto props = m.to_props();
  props.erase("yoloxrt.nms");  // end-to-end without its settings
  EXPECT_THROW(ModelMetadata::from_props(props), Error);
}

}  // namespace
}  // namespace yoloxrt
