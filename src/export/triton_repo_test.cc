// triton-repo: written config.pbtxt files parse against Triton's ModelConfig fields
// (tests/triton/triton_model_config.proto) and say what the model is; refusals write nothing.
#include "yoloxrt/triton.h"

#include <functional>

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "triton_model_config.pb.h"
#include "yoloxrt/error.h"
#include "yoloxrt/export.h"
#include "yoloxrt/file_io.h"

namespace yoloxrt {
namespace {
namespace fs = std::filesystem;

inference::ModelConfig parse_config(const fs::path& file) {
  const auto bytes = read_file_bytes(file);
  inference::ModelConfig c;
  EXPECT_TRUE(
      google::protobuf::TextFormat::ParseFromString(std::string(bytes.begin(), bytes.end()), &c))
      << file;
  return c;
}

std::vector<int64_t> dims(const google::protobuf::RepeatedField<int64_t>& d) {
  return {d.begin(), d.end()};
}

ErrorKind kind_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind();
  }
  ADD_FAILURE() << "no yoloxrt::Error thrown";
  return ErrorKind::kRuntime;
}

// A one-node model (Identity) with input `x` [batch, 3, H, W] and output `y`.
fs::path tiny_model(const fs::path& dir, const std::string& batch, const std::string& out_name) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  auto* g = m.mutable_graph();
  g->set_name("tiny");
  auto* n = g->add_node();
  n->set_op_type("Identity");
  n->add_input("x");
  n->add_output(out_name);
  for (auto [vi, name] :
       {std::pair{g->add_input(), std::string("x")}, std::pair{g->add_output(), out_name}}) {
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    for (const std::string& d : {batch, std::string("3"), std::string("h"), std::string("w")}) {
      auto* dim = tt->mutable_shape()->add_dim();
      if (d[0] >= '0' && d[0] <= '9')
        dim->set_dim_value(std::stoll(d));
      else
        dim->set_dim_param(d);
    }
  }
  const fs::path p = dir / ("tiny_" + batch + ".onnx");
  std::string bytes;
  m.SerializeToString(&bytes);
  write_file_atomic(p, bytes);
  return p;
}

TEST(TritonRepoFixture, NanoPlainAndEndToEndConfigsParse) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  testing::TempDir tmp;
  const fs::path pth = fx / "megvii-nano" / "yolox_nano.pth";
  export_checkpoint(pth, tmp / "nano.onnx", {}, nullptr);
  ExportOptions e2e;
  e2e.nms = NmsSettings{0.3f, 0.5f, 50, true};
  export_checkpoint(pth, tmp / "nano_e2e.onnx", e2e, nullptr);

  TritonOptions o;
  o.preferred_batch = {4, 8};
  const fs::path repo = tmp / "repo";
  const fs::path plain_dir = write_triton_repository(tmp / "nano.onnx", repo, o);
  EXPECT_EQ(plain_dir, repo / "nano");
  o.name = "nano-e2e";
  o.gpu = true;
  o.instances = 2;
  o.max_queue_delay_us = 100;
  write_triton_repository(tmp / "nano_e2e.onnx", repo, o);
  EXPECT_EQ(read_file_bytes(repo / "nano" / "1" / "model.onnx"),
            read_file_bytes(tmp / "nano.onnx"));

  const auto plain = parse_config(repo / "nano" / "config.pbtxt");
  EXPECT_EQ(plain.name(), "nano");
  EXPECT_EQ(plain.platform(), "onnxruntime_onnx");
  EXPECT_EQ(plain.max_batch_size(), 8);
  ASSERT_EQ(plain.input_size(), 1);
  EXPECT_EQ(plain.input(0).name(), "images");
  EXPECT_EQ(plain.input(0).data_type(), inference::TYPE_FP32);
  EXPECT_EQ(plain.input(0).format(), inference::ModelInput::FORMAT_NCHW);
  EXPECT_EQ(dims(plain.input(0).dims()), (std::vector<int64_t>{3, -1, -1}));
  ASSERT_EQ(plain.output_size(), 1);
  EXPECT_EQ(plain.output(0).name(), "output");
  EXPECT_EQ(dims(plain.output(0).dims()), (std::vector<int64_t>{-1, 6}));
  ASSERT_TRUE(plain.has_dynamic_batching());
  EXPECT_EQ(std::vector<int>(plain.dynamic_batching().preferred_batch_size().begin(),
                             plain.dynamic_batching().preferred_batch_size().end()),
            (std::vector<int>{4, 8}));
  EXPECT_EQ(plain.dynamic_batching().max_queue_delay_microseconds(), 500u);
  ASSERT_EQ(plain.instance_group_size(), 1);
  EXPECT_EQ(plain.instance_group(0).kind(), inference::ModelInstanceGroup::KIND_CPU);
  EXPECT_EQ(plain.instance_group(0).count(), 1);
  // The pre-processing contract a client needs, from the metadata.
  EXPECT_EQ(plain.parameters().at("yoloxrt.resize").string_value(), "letterbox");
  EXPECT_EQ(plain.parameters().at("yoloxrt.channel_order").string_value(), "BGR");
  EXPECT_EQ(plain.parameters().at("yoloxrt.input_size").string_value(), "[416,416]");
  EXPECT_EQ(plain.parameters().at("yoloxrt.output_format").string_value(), "decoded");
  EXPECT_EQ(nlohmann::json::parse(plain.parameters().at("yoloxrt.class_names").string_value())[16],
            "dog");

  const auto e = parse_config(repo / "nano-e2e" / "config.pbtxt");
  EXPECT_EQ(e.name(), "nano-e2e");
  ASSERT_EQ(e.output_size(), 4);
  const std::vector<std::pair<inference::DataType, std::vector<int64_t>>> want = {
      {inference::TYPE_INT32, {1}},
      {inference::TYPE_FP32, {50, 4}},
      {inference::TYPE_FP32, {50}},
      {inference::TYPE_INT32, {50}}};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(e.output(i).name(), kEndToEndOutputs[i]);
    EXPECT_EQ(e.output(i).data_type(), want[i].first) << i;
    EXPECT_EQ(dims(e.output(i).dims()), want[i].second) << i;
  }
  EXPECT_EQ(e.instance_group(0).kind(), inference::ModelInstanceGroup::KIND_GPU);
  EXPECT_EQ(e.instance_group(0).count(), 2);
  EXPECT_EQ(e.dynamic_batching().max_queue_delay_microseconds(), 100u);
  EXPECT_EQ(e.parameters().at("yoloxrt.output_format").string_value(), "end-to-end");
  const auto nms = nlohmann::json::parse(e.parameters().at("yoloxrt.nms").string_value());
  EXPECT_EQ(nms["max_det"], 50);
  EXPECT_EQ(nms["per_class"], true);
  EXPECT_DOUBLE_EQ(nms["iou"].get<double>(), 0.5);
}

TEST(TritonRepo, StaticBatchIsRefusedWithBatchingAndNothingIsWritten) {
  testing::TempDir tmp;
  const fs::path model = tiny_model(tmp.path(), "1", "y");
  const fs::path repo = tmp / "repo";
  EXPECT_EQ(kind_of([&] { write_triton_repository(model, repo, {}); }),
            ErrorKind::kInvalidArgument);
  EXPECT_FALSE(fs::exists(repo));
  // Without batching the full shape is the config's.
  TritonOptions o;
  o.max_batch = 0;
  write_triton_repository(model, repo, o);
  const auto c = parse_config(repo / "tiny_1" / "config.pbtxt");
  EXPECT_EQ(c.max_batch_size(), 0);
  EXPECT_FALSE(c.has_dynamic_batching());
  EXPECT_EQ(dims(c.input(0).dims()), (std::vector<int64_t>{1, 3, -1, -1}));
  EXPECT_EQ(c.input(0).format(), inference::ModelInput::FORMAT_NONE);  // no yoloxrt metadata
  EXPECT_EQ(std::distance(fs::directory_iterator(repo), fs::directory_iterator()), 1);
}

TEST(TritonRepo, RefusalsLeaveNothingBehind) {
  testing::TempDir tmp;
  const fs::path model = tiny_model(tmp.path(), "batch", "y");
  const fs::path repo = tmp / "repo";
  for (const char* name : {"../escape", ".hidden", "a/b", "sp ace", "quo\"te"}) {
    TritonOptions o;
    o.name = name;
    EXPECT_EQ(kind_of([&] { write_triton_repository(model, repo, o); }),
              ErrorKind::kInvalidArgument)
        << name;
  }
  TritonOptions o;
  o.preferred_batch = {4, 16};  // 16 > max_batch 8
  EXPECT_EQ(kind_of([&] { write_triton_repository(model, repo, o); }), ErrorKind::kInvalidArgument);
  o = {};
  o.instances = 0;
  EXPECT_EQ(kind_of([&] { write_triton_repository(model, repo, o); }), ErrorKind::kInvalidArgument);
  o = {};
  o.max_batch = 0;
  o.preferred_batch = {1};
  EXPECT_EQ(kind_of([&] { write_triton_repository(model, repo, o); }), ErrorKind::kInvalidArgument);
  EXPECT_FALSE(fs::exists(repo));

  // An existing entry is kept unless replacing is asked for.
  write_triton_repository(model, repo, {});
  write_file_atomic(repo / "tiny_batch" / "marker", "x");
  EXPECT_EQ(kind_of([&] { write_triton_repository(model, repo, {}); }),
            ErrorKind::kInvalidArgument);
  EXPECT_TRUE(fs::exists(repo / "tiny_batch" / "marker"));
  o = {};
  o.replace = true;
  write_triton_repository(model, repo, o);
  EXPECT_FALSE(fs::exists(repo / "tiny_batch" / "marker"));
  EXPECT_TRUE(fs::exists(repo / "tiny_batch" / "1" / "model.onnx"));
  EXPECT_EQ(std::distance(fs::directory_iterator(repo), fs::directory_iterator()), 1);
}

TEST(TritonRepo, ParameterStringsSurviveTheTextFormat) {
  ModelInfo info;
  info.inputs.push_back({"in put", "uint8", {-1, 640, 640, 3}, {"batch", "", "", ""}});
  info.outputs.push_back({"out", "int64", {-1, -1}, {"batch", "n"}});
  const std::string tricky = "quote \" backslash \\ newline \n tab \t utf-8 \xC3\xA9 end";
  info.metadata_props = {{"yoloxrt.class_names", tricky}, {"other", "not copied"}};
  const std::string text = triton_config(info, "m", {});
  inference::ModelConfig c;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &c)) << text;
  EXPECT_EQ(c.parameters().at("yoloxrt.class_names").string_value(), tricky);
  EXPECT_EQ(c.parameters().count("other"), 0u);
  EXPECT_EQ(c.input(0).name(), "in put");
  EXPECT_EQ(c.input(0).data_type(), inference::TYPE_UINT8);
  EXPECT_EQ(dims(c.input(0).dims()), (std::vector<int64_t>{640, 640, 3}));
  EXPECT_EQ(c.output(0).data_type(), inference::TYPE_INT64);
  info.inputs[0].element_type = "complex64";
  EXPECT_EQ(kind_of([&] { triton_config(info, "m", {}); }), ErrorKind::kUnsupported);
}

}  // namespace
}  // namespace yoloxrt
