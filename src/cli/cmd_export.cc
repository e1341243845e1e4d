// yoloxrt export: checkpoint folder or .pth -> ONNX.
#include <chrono>
#include <cstdio>
#include <memory>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "yoloxrt/error.h"
#include "yoloxrt/export.h"
#include "yoloxrt/file_io.h"

namespace yoloxrt::cli {
namespace {

struct ExportArgs {
  std::string checkpoint, out, model_type, output_format, mean, std, fixed, input_name;
  std::string output_name = "output";
  double depth = 0, width = 0;
  bool scale_input = false, channels_last = false, raw = false, rgb = false, bgr = false;
  bool legacy = false, static_batch = false, quiet = false;
  int opset = 17;
  bool nms = false, per_class = false;
  float nms_conf = 0.25f, nms_iou = 0.45f;
  int max_det = 100;
  bool int8 = false;
  std::string calib;
  QuantizeCliOptions q;
};

void run_export(const ExportArgs& a) {
  ExportOptions o;
  if (!a.model_type.empty()) o.model_type = a.model_type;
  // The library states option problems in its own terms; flag pairings are named here.
  if ((a.depth > 0) != (a.width > 0))
    throw Error(ErrorKind::kInvalidArgument, "--depth and --width must be given together");
  if (a.depth > 0) o.depth = a.depth;
  if (a.width > 0) o.width = a.width;
  o.scale_input = a.scale_input;
  o.channels_last = a.channels_last;
  if (a.raw && !a.output_format.empty() && a.output_format != "raw")
    throw Error(ErrorKind::kInvalidArgument,
                "--raw conflicts with --output-format " + a.output_format);
  if (a.raw) o.output_format = OutputFormat::kRaw;
  if (!a.output_format.empty()) o.output_format = parse_output_format(a.output_format);
  if (!a.mean.empty()) o.mean = parse_triple(a.mean, "--mean");
  if (!a.std.empty()) {
    o.std = parse_triple(a.std, "--std");
    for (float v : *o.std)
      if (!(v > 0.f))
        throw Error(ErrorKind::kInvalidArgument, "--std entries must be positive, got " + a.std);
  }
  if (a.rgb && a.bgr)
    throw Error(ErrorKind::kInvalidArgument, "--rgb and --bgr exclude each other");
  if (a.rgb) o.channel_order = ChannelOrder::kRGB;
  if (a.bgr) o.channel_order = ChannelOrder::kBGR;
  o.legacy = a.legacy;
  o.opset = a.opset;
  if (!a.fixed.empty()) o.fixed_hw = parse_size(a.fixed, "--fixed");
  o.dynamic_batch = !a.static_batch;
  if (!a.input_name.empty()) o.input_name = a.input_name;
  o.output_name = a.output_name;
  if (a.nms) {
    if (a.raw) throw Error(ErrorKind::kInvalidArgument, "--nms conflicts with --raw");
    if (o.output_format && *o.output_format != OutputFormat::kDecoded &&
        *o.output_format != OutputFormat::kEndToEnd)
      throw Error(ErrorKind::kInvalidArgument,
                  "--nms conflicts with --output-format " + a.output_format);
    o.output_format.reset();
    o.nms = NmsSettings{a.nms_conf, a.nms_iou, a.max_det, a.per_class};
  } else if (a.per_class || a.max_det != 100 || a.nms_conf != 0.25f || a.nms_iou != 0.45f) {
    throw Error(ErrorKind::kInvalidArgument,
                "--nms-conf, --nms-iou, --max-det and --per-class need --nms");
  } else if (o.output_format == OutputFormat::kEndToEnd) {
    throw Error(ErrorKind::kInvalidArgument, "--output-format end-to-end: use --nms");
  }

  if (a.int8 != !a.calib.empty())
    throw Error(ErrorKind::kInvalidArgument, "--int8 and --calib DIR go together");
  // --int8 with -o: the float model only lives in a temporary beside the output.
  std::unique_ptr<AtomicFile> float_tmp;
  if (a.int8 && !a.out.empty()) float_tmp = std::make_unique<AtomicFile>(a.out);

  const auto t0 = std::chrono::steady_clock::now();
  std::filesystem::path written;
  ExportedModel m = export_checkpoint(
      a.checkpoint, float_tmp ? float_tmp->temp_path() : std::filesystem::path(a.out), o, &written);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (const auto& w : m.warnings) std::fprintf(stderr, "yoloxrt: warning: %s\n", w.c_str());
  if (!a.quiet) {
    std::printf("%s: %s family, %s\n", a.checkpoint.c_str(), to_string(m.source_family).c_str(),
                m.architecture.c_str());
    std::printf("all %zu tensors matched the architecture\n", m.tensor_count);
    if (m.metadata.nms)
      std::printf("NMS in the graph: conf > %g, IoU > %g suppresses, %s, K = %d\n",
                  m.metadata.nms->conf, m.metadata.nms->iou,
                  m.metadata.nms->per_class ? "per class" : "class-agnostic",
                  m.metadata.nms->max_det);
    std::printf("wrote %s (%s, %d nodes, opset %d, output %s) in %.3f s\n", written.c_str(),
                human_bytes(static_cast<double>(m.file_size)).c_str(), m.node_count, o.opset,
                to_string(m.metadata.output_format).c_str(), secs);
  }
  if (a.int8) {
    std::filesystem::path int8_out = a.out;
    if (int8_out.empty()) {
      int8_out = written;
      int8_out.replace_extension(".int8.onnx");
    }
    run_quantize(written, a.calib, int8_out, a.q, a.quiet);
  }
}

}  // namespace

void register_export(CLI::App& app, int& /*exit_code*/) {
  auto a = std::make_shared<ExportArgs>();
  CLI::App* c =
      app.add_subcommand("export", "Export a checkpoint folder or .pth/.safetensors to ONNX");
  c->add_option("CHECKPOINT", a->checkpoint,
                "checkpoint folder (colormap, norm_stats, .pth) or weights file")
      ->required();
  c->add_option("-o,--output", a->out,
                "output .onnx (default: <dataset>-<model_type>.onnx beside the checkpoint)");
  c->add_option("--model-type", a->model_type,
                "yolox_nano|tiny|s|m|l|x (default: file stem or shapes)");
  c->add_option("--depth", a->depth, "custom depth factor (with --width)");
  c->add_option("--width", a->width, "custom width factor (with --depth)");
  c->add_flag("--scale-input", a->scale_input, "graph takes 0..255 pixels and divides by 255");
  c->add_flag("--channels-last", a->channels_last, "NHWC input instead of NCHW");
  c->add_flag("--raw", a->raw, "no box/probability calculation: output [B,N,5+C]");
  c->add_option("--output-format", a->output_format, "decoded (default) | raw | megvii-decoded");
  c->add_option("--mean", a->mean,
                "normalisation mean r,g,b (0..1 scale; default from norm_stats.json)");
  c->add_option("--std", a->std, "normalisation std r,g,b");
  c->add_flag("--rgb", a->rgb, "model input in RGB order (cjm default)");
  c->add_flag("--bgr", a->bgr, "model input in BGR order (Megvii default)");
  c->add_flag("--legacy", a->legacy, "Megvii weights before 0.1.1: RGB, /255, ImageNet mean/std");
  c->add_option("--opset", a->opset, "ONNX opset 11..17")->check(CLI::Range(11, 17));
  c->add_option("--fixed", a->fixed, "static input size HxW (multiples of 32) instead of dynamic");
  c->add_flag("--static-batch", a->static_batch, "batch dimension fixed to 1");
  c->add_option("--input-name", a->input_name,
                "input tensor name (default: cjm 'input', Megvii 'images')");
  c->add_option("--output-name", a->output_name, "output tensor name");
  c->add_flag("--nms", a->nms,
              "end-to-end model: NMS in the graph, outputs num_dets [B,1], det_boxes [B,K,4] "
              "(x1,y1,x2,y2 input px), det_scores [B,K], det_classes [B,K]");
  c->add_option("--nms-conf", a->nms_conf, "with --nms: keep scores above this")
      ->capture_default_str();
  c->add_option("--nms-iou", a->nms_iou, "with --nms: IoU above this suppresses")
      ->capture_default_str();
  c->add_option("--max-det", a->max_det, "with --nms: K, detections per image")
      ->capture_default_str();
  c->add_flag("--per-class", a->per_class, "with --nms: NMS per class (default class-agnostic)");
  c->add_flag("--int8", a->int8,
              "also quantize to INT8 (needs --calib; with -o the output is the INT8 model, "
              "without it <name>.int8.onnx is written beside the float model)");
  c->add_option("--calib", a->calib, "calibration image folder for --int8");
  add_quantize_options(c, a->q);
  c->add_flag("-q,--quiet", a->quiet, "print nothing but warnings and errors");
  c->callback([a] { run_export(*a); });
}

}  // namespace yoloxrt::cli
