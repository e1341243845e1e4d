// yoloxrt info: what a model or checkpoint holds.
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "yoloxrt/error.h"
#include "yoloxrt/export.h"

namespace yoloxrt::cli {
namespace {

using nlohmann::json;

// One line for a model `yoloxrt quantize` wrote (its `yoloxrt.quantization` metadata; the whole
// record is in `info --json`).
void print_quantization(const std::map<std::string, std::string>& props) {
  const auto it = props.find("yoloxrt.quantization");
  if (it == props.end()) return;
  const json q = json::parse(it->second, nullptr, /*allow_exceptions=*/false);
  if (!q.is_object()) {
    std::printf("  quantized: unreadable yoloxrt.quantization record\n");
    return;
  }
  auto str = [&](const char* key) {
    const auto v = q.find(key);
    return v != q.end() && v->is_string() ? v->get<std::string>() : std::string("?");
  };
  const auto images = q.find("calibration_images");
  const auto floats = q.find("float_convs");
  std::printf("  quantized: %s, weights %s, activations %s, %s calibration on %s images",
              str("format").c_str(), str("weights").c_str(), str("activations").c_str(),
              str("method").c_str(),
              images != q.end() && images->is_number() ? images->dump().c_str() : "?");
  if (floats != q.end() && floats->is_array()) {
    std::printf("; %zu convolutions float", floats->size());
    size_t shown = 0;
    for (const auto& f : *floats) {
      if (!f.is_object() || !f.contains("node") || !f["node"].is_string()) continue;
      std::printf("%s%s", shown++ ? ", " : " (", f["node"].get<std::string>().c_str());
      if (shown == 3 && floats->size() > 3) {
        std::printf(", ...");
        break;
      }
    }
    if (shown) std::printf(")");
  }
  std::printf("\n");
}

void info_onnx(const std::filesystem::path& p, bool as_json) {
  const ModelInfo i = inspect_onnx(p);
  ModelMetadata m;
  try {
    m = ModelMetadata::from_props(i.metadata_props);
  } catch (const Error& e) {
    throw e.with_file(p.string());
  }
  const std::string producer = i.producer_name + " " + i.producer_version;
  if (as_json) {
    json j;
    j["kind"] = "onnx";
    j["file"] = p.string();
    j["producer"] = producer;
    j["ir_version"] = i.ir_version;
    j["opset"] = i.opset;
    auto tensors = [](const std::vector<TensorInfo>& v) {
      json a = json::array();
      for (const auto& t : v) {
        json shape = json::array();
        for (size_t k = 0; k < t.shape.size(); ++k) shape.push_back(t.dim_string(k));
        a.push_back({{"name", t.name}, {"type", t.element_type}, {"shape", shape}});
      }
      return a;
    };
    j["inputs"] = tensors(i.inputs);
    j["outputs"] = tensors(i.outputs);
    j["nodes"] = i.node_count;
    j["ops"] = json::object();
    for (const auto& [op, n] : i.op_counts) j["ops"][op] = n;
    j["parameters"] = i.parameter_count;
    j["metadata"] = i.metadata_props;
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  std::printf("%s: ONNX model, producer %s, IR %lld, opset %lld\n", p.c_str(), producer.c_str(),
              static_cast<long long>(i.ir_version), static_cast<long long>(i.opset));
  for (const auto& t : i.inputs)
    std::printf("  input  %s %s %s\n", t.name.c_str(), t.element_type.c_str(),
                t.shape_string().c_str());
  for (const auto& t : i.outputs)
    std::printf("  output %s %s %s\n", t.name.c_str(), t.element_type.c_str(),
                t.shape_string().c_str());
  std::printf("  %d nodes, %zu initializers, %llu parameters\n  ops:", i.node_count,
              i.initializer_count, static_cast<unsigned long long>(i.parameter_count));
  for (const auto& [op, n] : i.op_counts) std::printf(" %s×%d", op.c_str(), n);
  std::printf("\n");
  if (!m.has_yoloxrt_metadata) {
    std::printf(
        "  no yoloxrt metadata: detect infers the layout from shapes (see --family, --labels)\n");
    print_quantization(i.metadata_props);
    return;
  }
  std::printf("  yoloxrt %s export: family %s, %s, %zu classes\n", m.yoloxrt_version.c_str(),
              to_string(m.family).c_str(), m.model_type.c_str(), m.class_names.size());
  std::printf("  input: %s, %s, pixels 0..%g; mean [%g, %g, %g], std [%g, %g, %g]\n",
              m.input_layout == InputLayout::kNHWC ? "NHWC" : "NCHW",
              m.channel_order == ChannelOrder::kBGR ? "BGR" : "RGB", m.input_range, m.mean[0],
              m.mean[1], m.mean[2], m.std[0], m.std[1], m.std[2]);
  std::printf("  output: %s; resize %s to %dx%d\n", to_string(m.output_format).c_str(),
              to_string(m.resize).c_str(), m.default_height, m.default_width);
  if (m.nms)
    std::printf("  NMS in the graph: conf > %g, IoU > %g suppresses, %s, max %d per image\n",
                m.nms->conf, m.nms->iou, m.nms->per_class ? "per class" : "class-agnostic",
                m.nms->max_det);
  std::string names;
  for (size_t k = 0; k < m.class_names.size() && k < 20; ++k)
    names += (k ? ", " : "") + m.class_names[k];
  if (m.class_names.size() > 20) names += ", ...";
  std::printf("  classes: %s\n  source sha256: %s\n", names.c_str(), m.source_sha256.c_str());
  print_quantization(i.metadata_props);
}

void info_checkpoint(const std::filesystem::path& p, bool as_json) {
  const CheckpointInfo i = inspect_checkpoint(p);
  if (as_json) {
    json j;
    j["kind"] = "checkpoint";
    j["file"] = i.source.weights.string();
    j["family"] = to_string(i.family);
    j["model_type"] = i.model_type;
    j["architecture"] = i.architecture;
    j["num_classes"] = i.num_classes;
    j["tensors"] = i.tensor_count;
    j["parameters"] = i.parameter_count;
    j["sha256"] = i.sha256;
    j["colormap"] = i.source.colormap ? json(i.source.colormap->string()) : json();
    j["norm_stats"] = i.source.norm_stats ? json(i.source.norm_stats->string()) : json();
    if (i.source.colors) j["classes"] = i.source.colors->names;
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  std::printf("%s: %s-family checkpoint, %s\n", i.source.weights.c_str(),
              to_string(i.family).c_str(), i.architecture.c_str());
  std::printf("  %zu float tensors, %llu parameters, sha256 %s\n", i.tensor_count,
              static_cast<unsigned long long>(i.parameter_count), i.sha256.c_str());
  std::printf("  colormap: %s\n  norm stats: %s\n",
              i.source.colormap ? i.source.colormap->c_str() : "(none)",
              i.source.norm_stats ? i.source.norm_stats->c_str() : "(none)");
}

}  // namespace

void register_info(CLI::App& app, int& /*exit_code*/) {
  auto path = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  CLI::App* c = app.add_subcommand("info", "Describe an ONNX model or a checkpoint");
  c->add_option("PATH", *path, "MODEL.onnx, a .pth/.safetensors file, or a checkpoint folder")
      ->required();
  c->add_flag("--json", *as_json, "print JSON");
  c->callback([path, as_json] {
    const std::filesystem::path p(*path);
    if (p.extension() == ".onnx")
      info_onnx(p, *as_json);
    else
      info_checkpoint(p, *as_json);
  });
}

}  // namespace yoloxrt::cli
