// Model resolution: signature checks, metadata or inferred conventions, labels, target size
// (model_resolution.h).
#include "inference/model_resolution.h"

#include <array>

#include "inference/end_to_end.h"
#include "inference/model_inspect.h"
#include "yoloxrt/conventions.h"
#include "yoloxrt/error.h"

namespace yoloxrt::detail {
namespace {

// One float32 image input and a float32 [B,N,K] (or [N,K]) output.
void check_signature(const ModelInfo& io, const std::string& file) {
  if (io.inputs.size() != 1 || io.outputs.empty())
    throw Error(ErrorKind::kUnsupported,
                "expected one image input and an output, found " +
                    std::to_string(io.inputs.size()) + " inputs and " +
                    std::to_string(io.outputs.size()) + " outputs",
                file);
  const TensorInfo& in = io.inputs[0];
  const TensorInfo& out = io.outputs[0];
  if (in.element_type != "float32" || out.element_type != "float32")
    throw Error(
        ErrorKind::kUnsupported,
        "expected float32 input and output, found " + in.element_type + " and " + out.element_type,
        file);
  if (in.shape.size() != 4 && in.shape.size() != 3)
    throw Error(ErrorKind::kUnsupported,
                "input '" + in.name + "' has shape " + in.shape_string() +
                    ", expected [B,3,H,W], [B,H,W,3] or [3,H,W]",
                file);
  if (out.shape.size() != 3 && out.shape.size() != 2)
    throw Error(ErrorKind::kUnsupported,
                "output '" + out.name + "' has shape " + out.shape_string() + ", expected [B,N,K]",
                file);
}

// For models without yoloxrt metadata: layout from the input shape, the family's conventions
// (docs/ARCHITECTURE.md "Conventions"), the output format from K.
void infer_metadata(ModelMetadata& md, const TensorInfo& in, const TensorInfo& out, size_t b,
                    const DetectorOptions& options, const std::string& file) {
  md.input_layout =
      (in.shape[b] == 3 || in.shape.back() != 3) ? InputLayout::kNCHW : InputLayout::kNHWC;
  const bool megvii_name = in.name == conventions_for(Family::kMegvii, "").input_name;
  md.family = options.family ? *options.family : (megvii_name ? Family::kMegvii : Family::kCjm);
  // The model type is unknown here, so a Megvii model gets its base experiment's size (640); a
  // fixed input size, read later, overrides it.
  const Conventions conv = conventions_for(md.family, md.model_type);
  md.channel_order = conv.channel_order;
  md.input_range = conv.input_range;
  md.resize = conv.resize;
  md.default_height = md.default_width = conv.default_size;
  const int64_t k = out.shape.back();
  if (k == 6)
    md.output_format = OutputFormat::kDecoded;
  else if (k > 6)
    md.output_format = OutputFormat::kRaw;
  else
    throw Error(ErrorKind::kUnsupported,
                "cannot tell the output format of '" + out.name + "' " + out.shape_string() +
                    " (expected K = 6 decoded or K = 5 + classes raw)",
                file);
}

// The output's row length K (when known) must fit the output format.
void check_output_width(const ModelMetadata& md, const TensorInfo& out, const std::string& file) {
  const int64_t k = out.shape.back();
  if (k <= 0) return;
  if (md.output_format == OutputFormat::kDecoded && k != 6)
    throw Error(ErrorKind::kMismatch,
                "metadata says decoded output but '" + out.name + "' has K = " + std::to_string(k),
                file);
  if (md.output_format != OutputFormat::kDecoded && k < 6)
    throw Error(
        ErrorKind::kMismatch,
        "output '" + out.name + "' has K = " + std::to_string(k) + ", too short for 5 + classes",
        file);
}

// Class names and colours: labels file > metadata > COCO (80 classes). `k` is the row length.
void apply_labels(ModelMetadata& md, const DetectorOptions& options, int64_t k,
                  const std::string& file) {
  if (!options.labels_file.empty()) {
    LabelSet labels = read_labels_file(options.labels_file);
    md.class_names = std::move(labels.names);
    if (!labels.colors.empty()) md.colors = std::move(labels.colors);
  }
  const bool per_class_scores =
      md.output_format == OutputFormat::kRaw || md.output_format == OutputFormat::kMegviiDecoded;
  if (md.class_names.empty() && per_class_scores && k == 85) md.class_names = coco_class_names();
  if (per_class_scores && k > 0 && !md.class_names.empty() &&
      md.class_names.size() != static_cast<size_t>(k - 5))
    throw Error(ErrorKind::kMismatch,
                std::to_string(md.class_names.size()) + " class names for a model with " +
                    std::to_string(k - 5) + " classes",
                file);
}

// The resize policy and target size: the caller's, else the metadata's; a fixed input size wins.
// Returns whether plans must hit the target exactly.
bool resolve_size(DetectorOptions& options, const ModelMetadata& md, bool fixed_input,
                  int64_t fixed_h, int64_t fixed_w, const std::string& file) {
  if (!options.resize) options.resize = md.resize;
  if (options.height.has_value() != options.width.has_value())
    throw Error(ErrorKind::kInvalidArgument, "give both height and width, or neither");
  if (!options.height) {
    options.height = md.default_height;
    options.width = md.default_width;
  } else if (fixed_input && (*options.height != fixed_h || *options.width != fixed_w)) {
    throw Error(ErrorKind::kInvalidArgument,
                "the model's input size is fixed at " + std::to_string(fixed_h) + "x" +
                    std::to_string(fixed_w) + ", cannot run it at " +
                    std::to_string(*options.height) + "x" + std::to_string(*options.width),
                file);
  }
  if (*options.height <= 0 || *options.width <= 0)
    throw Error(ErrorKind::kInvalidArgument, "the input size must be positive");
  const bool exact = fixed_input || *options.height != *options.width ||
                     *options.resize == ResizePolicy::kLetterbox;
  if (!fixed_input && exact && (*options.height % 32 || *options.width % 32))
    throw Error(ErrorKind::kInvalidArgument, "the input size " + std::to_string(*options.height) +
                                                 "x" + std::to_string(*options.width) +
                                                 " must be a multiple of 32");
  return exact;
}

}  // namespace

ResolvedModel resolve_model(const ModelInfo& io, DetectorOptions& options,
                            const std::string& file) {
  ResolvedModel r;
  r.end_to_end = has_end_to_end_outputs(io);
  if (r.end_to_end)
    check_end_to_end_signature(io, file);
  else
    check_signature(io, file);
  const TensorInfo& in = io.inputs[0];
  const TensorInfo& out = io.outputs[0];
  r.input_name = in.name;
  r.output_name = out.name;
  r.has_batch_axis = in.shape.size() == 4;
  r.batch_dynamic = r.has_batch_axis && in.shape[0] < 0;

  ModelMetadata& md = r.metadata;
  try {
    md = ModelMetadata::from_props(io.metadata_props);
  } catch (const Error& e) {
    throw e.with_file(file);
  }
  const size_t b = r.has_batch_axis ? 1 : 0;
  if (r.end_to_end != (md.output_format == OutputFormat::kEndToEnd))
    throw Error(ErrorKind::kUnsupported,
                r.end_to_end ? "end-to-end outputs (num_dets, det_boxes, ...) but no yoloxrt "
                               "metadata saying so"
                             : "metadata says end-to-end but the model lacks its outputs",
                file);
  if (!md.has_yoloxrt_metadata) infer_metadata(md, in, out, b, options, file);

  // (H, W, C) positions for the layout.
  const auto d = md.input_layout == InputLayout::kNCHW ? std::array<size_t, 3>{b + 1, b + 2, b}
                                                       : std::array<size_t, 3>{b, b + 1, b + 2};
  if (in.shape[d[2]] != 3 && in.shape[d[2]] >= 0)
    throw Error(ErrorKind::kUnsupported,
                "input '" + in.name + "' " + in.shape_string() + " does not have 3 channels in " +
                    (md.input_layout == InputLayout::kNCHW ? "NCHW" : "NHWC") + " layout",
                file);
  const int64_t fixed_h = in.shape[d[0]], fixed_w = in.shape[d[1]];
  r.fixed_input = fixed_h > 0 && fixed_w > 0;
  if (r.fixed_input) {
    md.default_height = static_cast<int>(fixed_h);
    md.default_width = static_cast<int>(fixed_w);
  }

  if (!r.end_to_end) check_output_width(md, out, file);
  apply_labels(md, options, r.end_to_end ? 0 : out.shape.back(), file);
  r.format = {md.input_layout, md.channel_order, md.input_range == 1.f ? 1.f : 255.f};
  r.exact = resolve_size(options, md, r.fixed_input, fixed_h, fixed_w, file);
  return r;
}

}  // namespace yoloxrt::detail
