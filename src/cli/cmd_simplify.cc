// yoloxrt simplify: a native onnx-simplifier. The passes come from the export layer
// (yoloxrt/simplify.h), the verification from the inference layer (yoloxrt/model_compare.h).
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/strings.h"
#include "yoloxrt/error.h"
#include "yoloxrt/export.h"
#include "yoloxrt/file_io.h"
#include "yoloxrt/model_compare.h"
#include "yoloxrt/simplify.h"

namespace yoloxrt::cli {
namespace {

namespace fs = std::filesystem;

// A rewritten model must agree with the original to this relative error per output:
// max|a - b| / max|a|, over all check runs and elements.
constexpr double kMaxRelDiff = 1e-4;
// Dynamic dims nobody fixed: image dims get a size every YOLOX stride divides, the rest 1.
constexpr int64_t kDefaultImageDim = 256;

struct SimplifyArgs {
  std::string input, output;
  std::vector<std::string> input_shapes;
  int check = 3;
  bool no_fold = false;
  uint64_t seed = 0;
};

// Parses "NAME:d0,d1,..." (the name may itself contain ':'; the last one splits).
std::pair<std::string, std::vector<int64_t>> parse_input_shape(const std::string& spec) {
  const size_t colon = spec.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size())
    throw Error(ErrorKind::kInvalidArgument,
                "--input-shape '" + spec + "': expected NAME:d0,d1,... (e.g. input:1,3,640,640)");
  std::vector<int64_t> dims;
  std::string rest = spec.substr(colon + 1);
  size_t pos = 0;
  while (pos <= rest.size()) {
    const size_t comma = std::min(rest.find(',', pos), rest.size());
    const std::string item = rest.substr(pos, comma - pos);
    if (item.empty() || item.size() > 12 ||
        !std::all_of(item.begin(), item.end(), [](unsigned char c) { return std::isdigit(c); }))
      throw Error(ErrorKind::kInvalidArgument,
                  "--input-shape '" + spec + "': '" + item + "' is not a non-negative integer");
    dims.push_back(std::stoll(item));
    pos = comma + 1;
  }
  return {spec.substr(0, colon), dims};
}

// Concrete shapes for the check: --input-shape, else the model's static dims, else a default
// chosen from the dim's name/position (printed, so the user knows what was tested).
std::vector<InputShape> check_shapes(const std::vector<TensorInfo>& inputs,
                                     const std::map<std::string, std::vector<int64_t>>& fixed) {
  std::vector<InputShape> shapes;
  for (const auto& in : inputs) {
    InputShape s{in.name, {}};
    if (auto it = fixed.find(in.name); it != fixed.end()) {
      s.dims = it->second;
      std::printf("  check input %s %s (from --input-shape)\n", in.name.c_str(),
                  core::shape_to_string(s.dims).c_str());
      shapes.push_back(std::move(s));
      continue;
    }
    std::string notes;
    for (size_t k = 0; k < in.shape.size(); ++k) {
      if (in.shape[k] >= 0) {
        s.dims.push_back(in.shape[k]);
        continue;
      }
      const std::string name = core::to_lower(in.dim_names[k]);
      const bool image_dim = name.find("height") != std::string::npos ||
                             name.find("width") != std::string::npos || name == "h" ||
                             name == "w" || (in.shape.size() == 4 && k >= 2 && name.empty());
      const int64_t v = image_dim ? kDefaultImageDim : 1;
      s.dims.push_back(v);
      notes += " dim " + std::to_string(k) + " '" + in.dim_names[k] + "' -> " + std::to_string(v) +
               (image_dim ? " (image dim default)" : " (batch/other default)") + ";";
    }
    std::printf("  check input %s %s%s%s\n", in.name.c_str(), core::shape_to_string(s.dims).c_str(),
                notes.empty() ? "" : ":", notes.c_str());
    shapes.push_back(std::move(s));
  }
  return shapes;
}

void print_report(const SimplifyReport& r) {
  std::set<std::string> ops;
  for (const auto& [op, n] : r.ops_before) ops.insert(op);
  for (const auto& [op, n] : r.ops_after) ops.insert(op);
  std::printf("  %-24s %8s %8s\n", "op", "before", "after");
  for (const auto& op : ops) {
    auto get = [&](const std::map<std::string, int64_t>& m) {
      auto it = m.find(op);
      return it == m.end() ? int64_t{0} : it->second;
    };
    std::printf("  %-24s %8lld %8lld\n", op.c_str(), static_cast<long long>(get(r.ops_before)),
                static_cast<long long>(get(r.ops_after)));
  }
  std::printf("  %-24s %8lld %8lld\n", "total nodes", static_cast<long long>(r.nodes_before),
              static_cast<long long>(r.nodes_after));
  std::printf(
      "  constants->initializers %lld, identities removed %lld, folded %lld (shape %lld), "
      "If inlined %lld, BN folded %lld, dead nodes %lld, initializers merged %lld, unused "
      "initializers %lld\n",
      static_cast<long long>(r.constants_to_initializers),
      static_cast<long long>(r.identities_removed), static_cast<long long>(r.nodes_folded),
      static_cast<long long>(r.shape_nodes_folded), static_cast<long long>(r.ifs_inlined),
      static_cast<long long>(r.batch_norms_folded), static_cast<long long>(r.dead_nodes_removed),
      static_cast<long long>(r.initializers_merged),
      static_cast<long long>(r.initializers_removed));
  std::printf("  file size %llu -> %llu bytes\n", static_cast<unsigned long long>(r.bytes_before),
              static_cast<unsigned long long>(r.bytes_after));
}

void run_simplify(const SimplifyArgs& args) {
  if (args.check < 0)
    throw Error(ErrorKind::kInvalidArgument,
                "--check must be >= 0, got " + std::to_string(args.check));
  SimplifyOptions options;
  options.fold_constants = !args.no_fold;
  for (const auto& spec : args.input_shapes) {
    auto [name, dims] = parse_input_shape(spec);
    if (options.input_shapes.count(name))
      throw Error(ErrorKind::kInvalidArgument, "--input-shape given twice for '" + name + "'");
    options.input_shapes[name] = std::move(dims);
  }

  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<uint8_t> raw = read_file_bytes(args.input);
  const std::string_view in_bytes(reinterpret_cast<const char*>(raw.data()), raw.size());
  std::string out_bytes;
  SimplifyReport report;
  std::vector<TensorInfo> inputs;
  try {
    report = simplify_model_bytes(in_bytes, options, &out_bytes);
    inputs = inspect_onnx_bytes(in_bytes).inputs;
  } catch (const Error& e) {
    // The library's only invalid arguments are the fixed input shapes: name the flag.
    if (e.kind() == ErrorKind::kInvalidArgument)
      throw Error(e.kind(), "--input-shape: " + e.message(), args.input);
    throw e.with_file(args.input);
  }
  const double t_simplify =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("simplified %s in %.2f s\n", args.input.c_str(), t_simplify);
  print_report(report);

  if (args.check > 0) {
    const auto t1 = std::chrono::steady_clock::now();
    std::printf("checking with ONNX Runtime on %d random input(s), seed %llu:\n", args.check,
                static_cast<unsigned long long>(args.seed));
    const auto shapes = check_shapes(inputs, options.input_shapes);
    CompareResult cmp;
    try {
      cmp = compare_models(in_bytes, out_bytes, shapes, args.check, args.seed);
    } catch (const Error& e) {
      throw e.with_file(args.input);
    }
    for (const auto& d : cmp.outputs)
      std::printf("  output %s %s: max |diff| %.3g, max |ref| %.3g, relative %.3g\n",
                  d.name.c_str(), core::shape_to_string(d.shape).c_str(), d.max_abs_diff,
                  d.max_abs_ref, d.rel_diff);
    std::printf(
        "  check took %.2f s; relative diff = max|orig - simplified| / max|orig| per output\n",
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count());
    if (!(cmp.worst_rel_diff <= kMaxRelDiff))
      throw Error(ErrorKind::kMismatch,
                  "the simplified model disagrees with the original: relative difference " +
                      std::to_string(cmp.worst_rel_diff) + " > " + std::to_string(kMaxRelDiff) +
                      "; not writing " + args.output,
                  args.input);
  } else {
    std::printf("  not checked with ONNX Runtime (--check 0)\n");
  }
  write_file_atomic(args.output, out_bytes);
  std::printf("wrote %s (%llu bytes)\n", args.output.c_str(),
              static_cast<unsigned long long>(out_bytes.size()));
}

}  // namespace

void register_simplify(CLI::App& app, int& /*exit_code*/) {
  auto args = std::make_shared<SimplifyArgs>();
  CLI::App* sub = app.add_subcommand(
      "simplify",
      "Simplify an ONNX model: fold constants and static shapes, fold BatchNormalization into "
      "Conv, remove Identity/Dropout, dead nodes and duplicate initializers; verify with ONNX "
      "Runtime before writing");
  sub->add_option("model", args->input, "Input ONNX model")->required();
  sub->add_option("-o,--output", args->output, "Output ONNX model (written only if checks pass)")
      ->required();
  sub->add_option("--input-shape", args->input_shapes,
                  "Fix an input's shape, NAME:d0,d1,... (repeatable); dims not fixed stay dynamic");
  sub->add_option("--check", args->check,
                  "Random-input runs comparing original and result with ONNX Runtime (0 = skip)")
      ->capture_default_str();
  sub->add_flag("--no-fold", args->no_fold, "Skip constant and shape folding");
  sub->add_option("--seed", args->seed, "Seed of the check's random inputs")->capture_default_str();
  sub->callback([args] { run_simplify(*args); });
}

}  // namespace yoloxrt::cli
