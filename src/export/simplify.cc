#include "yoloxrt/simplify.h"

#include <limits>

#include <onnx/onnx_pb.h>

#include "export/simplify_passes.h"
#include "yoloxrt/error.h"
#include "yoloxrt/file_io.h"

namespace yoloxrt {
onnx::ModelProto simplify::parse_model_bytes(std::string_view bytes) {
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()))
    throw Error(ErrorKind::kUnsupported,
                "model is " + std::to_string(bytes.size()) +
                    " bytes; protobuf models over 2 GB (external data) are not supported");
  onnx::ModelProto model;
  if (!model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    throw Error(ErrorKind::kCorrupt, "not a valid ONNX model: protobuf parsing failed after " +
                                         std::to_string(bytes.size()) +
                                         " bytes (truncated or not ONNX)");
  // Protobuf accepts many byte strings (even empty ones) as a message with missing fields.
  if (!model.has_graph() || model.ir_version() <= 0)
    throw Error(ErrorKind::kCorrupt, "not a valid ONNX model: no graph or no ir_version");
  return model;
}

void validate_model_bytes(std::string_view model_bytes) {
  onnx::ModelProto model = simplify::parse_model_bytes(model_bytes);
  simplify::validate_model(model);
}

SimplifyReport simplify_model_bytes(std::string_view in_bytes, const SimplifyOptions& options,
                                    std::string* out_bytes) {
  SimplifyReport report;
  report.bytes_before = in_bytes.size();
  onnx::ModelProto model = simplify::parse_model_bytes(in_bytes);
  report.ops_before = simplify::count_ops(model.graph());
  report.nodes_before = model.graph().node_size();

  simplify::validate_model(model);
  simplify::apply_input_shapes(model, options.input_shapes);
  // Folding can make an If condition constant; inlining the branch brings new Constant/Identity
  // nodes and new folding chances, hence the loop.
  for (int round = 0; round < 8; ++round) {
    report.constants_to_initializers += simplify::constants_to_initializers(model);
    report.identities_removed += simplify::remove_identities(model);
    if (!options.fold_constants) break;
    const auto stats = simplify::fold_constants(model, options.max_folded_elements);
    report.nodes_folded += stats.nodes_folded;
    report.shape_nodes_folded += stats.shape_nodes_folded;
    const int64_t inlined = simplify::inline_constant_ifs(model);
    report.ifs_inlined += inlined;
    if (inlined == 0) break;
  }
  if (options.fold_batch_norm)
    report.batch_norms_folded = simplify::fold_batch_norm_into_conv(model);
  report.dead_nodes_removed = simplify::remove_dead_nodes(model);
  report.initializers_merged = simplify::merge_duplicate_initializers(model);
  report.initializers_removed = simplify::remove_unused_initializers(model);
  simplify::sort_topologically(model);
  try {
    simplify::check_model_full(model);
  } catch (const Error& e) {
    throw Error(e.kind(),
                "the simplified model fails the ONNX check (a simplifier bug): " + e.message());
  }

  report.ops_after = simplify::count_ops(model.graph());
  report.nodes_after = model.graph().node_size();
  std::string out;
  if (!model.SerializeToString(&out))
    throw Error(ErrorKind::kRuntime, "could not serialize the simplified model");
  report.bytes_after = out.size();
  *out_bytes = std::move(out);
  return report;
}

SimplifyReport simplify_model_file(const std::filesystem::path& path,
                                   const SimplifyOptions& options, std::string* out_bytes) {
  const std::vector<uint8_t> bytes = read_file_bytes(path);
  try {
    return simplify_model_bytes(
        std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), options,
        out_bytes);
  } catch (const Error& e) {
    throw e.with_file(path.string());
  }
}

}  // namespace yoloxrt
