// The export pipeline: read checkpoint -> recognise -> build graph -> check -> write.
#include <future>

#include "export/architecture.h"
#include "export/graph_builder.h"
#include "export/nms_tail.h"
#include "export/onnx_writer.h"
#include "export/simplify_passes.h"
#include "yoloxrt/checkpoint.h"
#include "yoloxrt/conventions.h"
#include "yoloxrt/error.h"
#include "yoloxrt/export.h"
#include "yoloxrt/file_io.h"

namespace yoloxrt {
namespace fs = std::filesystem;
using exporter::Architecture;

namespace {

struct LoadedCheckpoint {
  CheckpointSource source;
  Family family = Family::kCjm;
  StateDict canonical;
  size_t tensor_count = 0;
  std::string sha256;
};

LoadedCheckpoint load_checkpoint(const fs::path& path) {
  LoadedCheckpoint c;
  c.source = locate_checkpoint(path);
  const std::string file = c.source.weights.string();
  const auto bytes = read_file_bytes(c.source.weights);
  // Hash on the second core while the first parses.
  auto hash =
      std::async(std::launch::async, [&bytes] { return sha256_hex(bytes.data(), bytes.size()); });
  struct JoinHash {  // the hash thread reads `bytes`: never leave before it is done
    std::future<std::string>& f;
    ~JoinHash() {
      if (f.valid()) f.wait();
    }
  } join{hash};
  StateDict sd;
  try {
    sd = read_state_dict(bytes);
    c.tensor_count = sd.size();
    if (sd.empty()) throw Error(ErrorKind::kCorrupt, "checkpoint holds no float tensors");
    c.family = exporter::detect_family(sd);
  } catch (const Error& e) {
    throw e.with_file(file);
  }
  c.canonical = exporter::canonicalize_state_dict(std::move(sd), c.family);
  c.sha256 = hash.get();
  return c;
}

// Chooses the architecture: explicit factors, else an explicit or file-stem model type, else the
// shapes. The class count always comes from the classification predictor.
Architecture choose_architecture(const LoadedCheckpoint& c, const ExportOptions& o,
                                 std::vector<std::string>& warnings) {
  const std::string file = c.source.weights.string();
  try {
    Architecture inferred = exporter::infer_architecture(c.canonical);
    if (o.depth || o.width) {
      if (!(o.depth && o.width))
        throw Error(ErrorKind::kInvalidArgument,
                    "custom depth and width factors must be given together");
      Architecture a = exporter::architecture_from_factors(*o.depth, *o.width, inferred.depthwise,
                                                           inferred.num_classes);
      a.model_type = o.model_type.value_or("custom");
      return a;
    }
    std::string type = o.model_type.value_or("");
    if (type.empty() && c.family == Family::kCjm &&
        exporter::architecture_for_type(c.source.file_stem))
      type = c.source.file_stem;
    if (!type.empty()) {
      auto a = exporter::architecture_for_type(type);
      if (!a)
        throw Error(
            ErrorKind::kInvalidArgument,
            "unknown model type '" + type +
                "' (expected yolox_nano, yolox_tiny, yolox_s, yolox_m, yolox_l, yolox_x, or "
                "custom depth and width factors)");
      a->num_classes = inferred.num_classes;
      return *a;
    }
    if (c.family == Family::kCjm)
      warnings.push_back("file name '" + c.source.weights.filename().string() +
                         "' does not name a model type: inferred " + inferred.describe() +
                         " from the tensor shapes");
    return inferred;
  } catch (const Error& e) {
    throw e.with_file(file);
  }
}

void set_class_names(const LoadedCheckpoint& c, int num_classes, ModelMetadata& m,
                     std::vector<std::string>& warnings) {
  if (c.source.colors) {
    if (static_cast<int>(c.source.colors->names.size()) != num_classes)
      throw Error(ErrorKind::kMismatch,
                  "colormap has " + std::to_string(c.source.colors->names.size()) +
                      " classes but the checkpoint's classification predictor has " +
                      std::to_string(num_classes),
                  c.source.colormap->string());
    m.class_names = c.source.colors->names;
    m.colors = c.source.colors->colors;
    return;
  }
  if (num_classes == 80) {
    m.class_names = coco_class_names();
    // Megvii's checkpoints are COCO models: their names are the expected default, not a guess.
    if (c.family != Family::kMegvii)
      warnings.push_back("no *-colormap.json beside the checkpoint: using the 80 COCO class names");
  } else {
    for (int i = 0; i < num_classes; ++i) m.class_names.push_back("class" + std::to_string(i));
    warnings.push_back(
        "no *-colormap.json beside the checkpoint: using generic labels class0..class" +
        std::to_string(num_classes - 1));
  }
}

std::array<float, 3> reversed(std::array<float, 3> v) { return {v[2], v[1], v[0]}; }

// An end-to-end model is the decoded model plus the NMS tail (export/nms_tail.h).
void prepare_end_to_end(const ExportOptions& o, exporter::WrapperOptions& w, ModelMetadata& m) {
  exporter::check_nms_settings(*o.nms);
  if (o.output_format && *o.output_format != OutputFormat::kDecoded &&
      *o.output_format != OutputFormat::kEndToEnd)
    throw Error(ErrorKind::kInvalidArgument,
                "NMS in the graph needs the decoded output, not " + to_string(*o.output_format));
  for (const char* name : kEndToEndOutputs)
    if (w.input_name == name)
      throw Error(ErrorKind::kInvalidArgument,
                  "the input name '" + w.input_name + "' is an output name of end-to-end models");
  w.output_format = OutputFormat::kDecoded;
  w.output_name = "nms.decoded";  // internal: the tail replaces it with the four outputs
  m.output_format = OutputFormat::kEndToEnd;
  m.nms = *o.nms;
}

}  // namespace

namespace {

// The input/output wrapper around the network: the family's conventions, then the user's
// overrides (layout, range, channel order, mean/std, names, shapes). Also records them in
// out.metadata (pre-processing, output format, default size) and adds warnings to out.warnings.
exporter::WrapperOptions choose_wrapper(const LoadedCheckpoint& c, const Architecture& arch,
                                        const ExportOptions& o, ExportedModel& out) {
  ModelMetadata& m = out.metadata;
  // The family's conventions (docs/ARCHITECTURE.md "Conventions"), then the user's overrides.
  const Conventions conv = conventions_for(c.family, arch.model_type, o.legacy);
  exporter::WrapperOptions w;
  const ChannelOrder native = conv.channel_order;
  std::array<float, 3> mean_rgb = conv.mean, std_rgb = conv.std;
  w.network_range = conv.network_range;
  w.input_range = conv.input_range;
  m.resize = conv.resize;
  m.default_height = m.default_width = conv.default_size;
  if (c.family == Family::kCjm) {
    if (c.source.norm) {
      mean_rgb = c.source.norm->mean;
      std_rgb = c.source.norm->std;
    } else {
      out.warnings.push_back(
          "no norm_stats.json beside the checkpoint: using cjm's default mean "
          "0.5 and std 1");
    }
  }
  if (o.scale_input) w.input_range = 255.f;
  if (o.mean) mean_rgb = *o.mean;
  if (o.std) {
    for (float s : *o.std)
      if (!(s > 0.f)) throw Error(ErrorKind::kInvalidArgument, "std entries must be positive");
    std_rgb = *o.std;
  }
  const ChannelOrder order = o.channel_order.value_or(native);
  w.flip_channels = order != native;
  w.mean = order == ChannelOrder::kBGR ? reversed(mean_rgb) : mean_rgb;
  w.std = order == ChannelOrder::kBGR ? reversed(std_rgb) : std_rgb;
  w.layout = o.channels_last ? InputLayout::kNHWC : InputLayout::kNCHW;
  w.output_format = o.output_format.value_or(conv.output_format);
  w.input_name = o.input_name.value_or(conv.input_name);
  w.output_name = o.output_name;
  w.fixed_hw = o.fixed_hw;
  w.dynamic_batch = o.dynamic_batch;
  w.opset = o.opset;
  if (w.input_name == w.output_name)
    throw Error(ErrorKind::kInvalidArgument, "input and output names must differ");

  m.mean = w.mean;
  m.std = w.std;
  m.channel_order = order;
  m.input_layout = w.layout;
  m.input_range = w.input_range;
  m.output_format = w.output_format;
  if (o.fixed_hw) {
    m.default_height = o.fixed_hw->first;
    m.default_width = o.fixed_hw->second;
  }
  return w;
}

// export_model without serialisation: the checked ModelProto and what is known about it.
ExportedModel build_checked_model(const fs::path& path, const ExportOptions& options,
                                  onnx::ModelProto& model) {
  LoadedCheckpoint checkpoint = load_checkpoint(path);
  ExportedModel out;
  out.source_family = checkpoint.family;
  out.source = checkpoint.source;
  out.tensor_count = checkpoint.tensor_count;
  const Architecture arch = choose_architecture(checkpoint, options, out.warnings);
  out.architecture = arch.describe();

  ModelMetadata& metadata = out.metadata;
  metadata.has_yoloxrt_metadata = true;
  metadata.yoloxrt_version = version_string();
  metadata.family = checkpoint.family;
  metadata.model_type = arch.model_type;
  metadata.source_sha256 = checkpoint.sha256;
  set_class_names(checkpoint, arch.num_classes, metadata, out.warnings);
  exporter::WrapperOptions wrapper = choose_wrapper(checkpoint, arch, options, out);
  if (options.nms)
    prepare_end_to_end(options, wrapper, metadata);
  else if (options.output_format == OutputFormat::kEndToEnd)
    throw Error(ErrorKind::kInvalidArgument, "an end-to-end output needs NMS settings");
  try {
    model = exporter::build_model(arch, checkpoint.canonical, wrapper);
    if (options.nms)
      exporter::append_nms_tail(model, wrapper.output_name, *options.nms,
                                wrapper.dynamic_batch ? "batch" : "1");
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::kMismatch) throw e.with_file(checkpoint.source.weights.string());
    throw;
  }
  // The simplifier's clean-up passes (one implementation): the builder should leave nothing
  // behind, so these are a cheap guarantee rather than an optimisation.
  simplify::remove_dead_nodes(model);
  simplify::remove_unused_initializers(model);
  out.node_count = model.graph().node_size();
  exporter::finalize_model(model, metadata);
  return out;
}

}  // namespace

ExportedModel export_model(const fs::path& path, const ExportOptions& o) {
  onnx::ModelProto proto;
  ExportedModel out = build_checked_model(path, o, proto);
  if (!proto.SerializeToString(&out.onnx_bytes))
    throw Error(ErrorKind::kRuntime, "could not serialise the ONNX model");
  return out;
}

ExportedModel export_checkpoint(const fs::path& path, const fs::path& out_path,
                                const ExportOptions& o, fs::path* written) {
  onnx::ModelProto proto;
  ExportedModel model = build_checked_model(path, o, proto);
  const CheckpointSource& src = model.source;
  fs::path out = out_path;
  if (out.empty()) {
    const fs::path dir = src.weights.parent_path();
    out = src.dataset.empty() ? dir / (src.file_stem + ".onnx")
                              : dir / (src.dataset + "-" + model.metadata.model_type + ".onnx");
  }
  std::error_code ec;
  if (fs::exists(out, ec) && fs::equivalent(out, src.weights, ec))
    throw Error(ErrorKind::kInvalidArgument, "refusing to overwrite the checkpoint itself",
                out.string());
  if (out.has_parent_path() && !fs::is_directory(out.parent_path(), ec))
    throw Error(ErrorKind::kNotFound, "output folder does not exist", out.parent_path().string());
  exporter::write_model_file(proto, out);
  model.file_size = fs::file_size(out, ec);
  if (written) *written = out;
  return model;
}

CheckpointInfo inspect_checkpoint(const fs::path& path) {
  LoadedCheckpoint c = load_checkpoint(path);
  CheckpointInfo info;
  std::vector<std::string> warnings;
  const Architecture a = choose_architecture(c, ExportOptions{}, warnings);
  info.source = c.source;
  info.family = c.family;
  info.architecture = a.describe();
  info.model_type = a.model_type;
  info.num_classes = a.num_classes;
  info.tensor_count = c.tensor_count;
  for (const auto& k : c.canonical.names()) info.parameter_count += c.canonical.at(k).numel();
  info.sha256 = c.sha256;
  return info;
}

void convert_checkpoint(const fs::path& in, const fs::path& out, Family to) {
  LoadedCheckpoint c = load_checkpoint(in);
  std::error_code ec;
  if (fs::exists(out, ec) && fs::equivalent(out, c.source.weights, ec))
    throw Error(ErrorKind::kInvalidArgument, "refusing to overwrite the input checkpoint",
                out.string());
  StateDict target = exporter::state_dict_for_family(std::move(c.canonical), to);
  const std::string stem = out.stem().string().empty() ? "archive" : out.stem().string();
  write_file_atomic(out,
                    write_torch_checkpoint(target, stem, to == Family::kMegvii ? "model" : ""));
}

}  // namespace yoloxrt
