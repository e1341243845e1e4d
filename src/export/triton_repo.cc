// Triton model repository entries (yoloxrt/triton.h). Field names and types follow Triton's
// model_config.proto (ModelConfig, ModelInput, ModelOutput, ModelDynamicBatching,
// ModelInstanceGroup, ModelParameter).
#include "yoloxrt/triton.h"

#include <unistd.h>

#include <cstdio>
#include <map>
#include <random>
#include <system_error>

#include "yoloxrt/error.h"
#include "yoloxrt/export.h"
#include "yoloxrt/file_io.h"

namespace yoloxrt {
namespace fs = std::filesystem;
namespace {

// Triton DataType names for the element types inspect_onnx reports.
std::string triton_type(const TensorInfo& t) {
  static const std::map<std::string, std::string> kTypes = {
      {"float32", "TYPE_FP32"}, {"float16", "TYPE_FP16"}, {"float64", "TYPE_FP64"},
      {"uint8", "TYPE_UINT8"},  {"int8", "TYPE_INT8"},    {"int32", "TYPE_INT32"},
      {"int64", "TYPE_INT64"},  {"bool", "TYPE_BOOL"}};
  const auto it = kTypes.find(t.element_type);
  if (it == kTypes.end())
    throw Error(ErrorKind::kUnsupported,
                "tensor '" + t.name + "' has element type " + t.element_type +
                    ", which the config writer has no Triton data type for");
  return it->second;
}

// A text-format string literal: quotes, backslashes, control and non-ASCII bytes escaped (octal),
// as protobuf's TextFormat reads them back.
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\%03o", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

void check_model_name(const std::string& name) {
  const bool ok = !name.empty() && name.size() <= 200 && name[0] != '.' &&
                  name.find_first_not_of(
                      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                      "0123456789_.-") == std::string::npos;
  if (!ok)
    throw Error(ErrorKind::kInvalidArgument,
                "model name '" + name +
                    "' cannot be a Triton model name: use letters, digits, '_', '.' and '-' "
                    "(a folder name and a URL path segment), not starting with '.'");
}

void check_tensor_name(const std::string& name) {
  bool ok = !name.empty();
  for (unsigned char c : name) ok = ok && c >= 0x20 && c != 0x7f;
  if (!ok)
    throw Error(ErrorKind::kInvalidArgument,
                "tensor name '" + name +
                    "' cannot be used in a Triton config (empty or control "
                    "characters)");
}

// "dims: [ 3, -1, -1 ]" for one tensor: without the batch dim when batching.
std::string dims_text(const TensorInfo& t, bool batching) {
  if (batching) {
    if (t.shape.empty())
      throw Error(ErrorKind::kInvalidArgument,
                  "tensor '" + t.name +
                      "' is a scalar: it has no batch dimension for batching "
                      "(use a maximum batch of 0)");
    if (t.shape[0] >= 0)
      throw Error(ErrorKind::kInvalidArgument,
                  "tensor '" + t.name + "' has a static batch dimension (" + t.dim_string(0) +
                      "): Triton can batch only a dynamic one (export with a dynamic batch, or "
                      "use a maximum batch of 0)");
  }
  std::string s = "[ ";
  for (size_t i = batching ? 1 : 0; i < t.shape.size(); ++i) {
    s += std::to_string(t.shape[i] >= 0 ? t.shape[i] : -1);
    if (i + 1 < t.shape.size()) s += ", ";
  }
  return s + (s.size() > 2 ? " ]" : "]");
}

}  // namespace

std::string triton_config(const ModelInfo& info, const std::string& name, const TritonOptions& o) {
  check_model_name(name);
  if (o.max_batch < 0)
    throw Error(ErrorKind::kInvalidArgument,
                "the maximum batch must be >= 0, got " + std::to_string(o.max_batch));
  if (o.instances < 1)
    throw Error(ErrorKind::kInvalidArgument,
                "the instance count must be >= 1, got " + std::to_string(o.instances));
  if (o.max_batch == 0 && !o.preferred_batch.empty())
    throw Error(ErrorKind::kInvalidArgument, "preferred batch sizes need batching (maximum > 0)");
  for (int p : o.preferred_batch)
    if (p < 1 || p > o.max_batch)
      throw Error(ErrorKind::kInvalidArgument, "preferred batch size " + std::to_string(p) +
                                                   " is outside 1.." + std::to_string(o.max_batch));
  if (info.inputs.empty() || info.outputs.empty())
    throw Error(ErrorKind::kInvalidArgument, "the model has no inputs or no outputs");

  const bool batching = o.max_batch > 0;
  const ModelMetadata m = ModelMetadata::from_props(info.metadata_props);
  std::string s;
  s += "name: " + quoted(name) + "\n";
  s += "platform: \"onnxruntime_onnx\"\n";
  s += "max_batch_size: " + std::to_string(o.max_batch) + "\n";
  std::vector<std::string> inputs, outputs;
  for (const auto& t : info.inputs) {
    check_tensor_name(t.name);
    std::string e =
        "  {\n    name: " + quoted(t.name) + "\n    data_type: " + triton_type(t) + "\n";
    // The image layout, for clients that read it (3 dims without the batch dimension).
    if (batching && m.has_yoloxrt_metadata && t.shape.size() == 4 && info.inputs.size() == 1)
      e += std::string("    format: ") +
           (m.input_layout == InputLayout::kNHWC ? "FORMAT_NHWC" : "FORMAT_NCHW") + "\n";
    inputs.push_back(e + "    dims: " + dims_text(t, batching) + "\n  }");
  }
  for (const auto& t : info.outputs) {
    check_tensor_name(t.name);
    outputs.push_back("  {\n    name: " + quoted(t.name) + "\n    data_type: " + triton_type(t) +
                      "\n    dims: " + dims_text(t, batching) + "\n  }");
  }
  auto list = [](const std::vector<std::string>& v) {
    std::string r = "[\n";
    for (size_t i = 0; i < v.size(); ++i) r += v[i] + (i + 1 < v.size() ? ",\n" : "\n");
    return r + "]\n";
  };
  s += "input " + list(inputs);
  s += "output " + list(outputs);
  if (batching) {
    s += "dynamic_batching {\n";
    if (!o.preferred_batch.empty()) {
      s += "  preferred_batch_size: [ ";
      for (size_t i = 0; i < o.preferred_batch.size(); ++i)
        s += std::to_string(o.preferred_batch[i]) + (i + 1 < o.preferred_batch.size() ? ", " : "");
      s += " ]\n";
    }
    s += "  max_queue_delay_microseconds: " + std::to_string(o.max_queue_delay_us) + "\n}\n";
  }
  s += "instance_group [\n  {\n    count: " + std::to_string(o.instances) +
       "\n    kind: " + (o.gpu ? "KIND_GPU" : "KIND_CPU") + "\n  }\n]\n";
  // The pre-/post-processing contract: the model's yoloxrt.* metadata, verbatim.
  for (const auto& [key, value] : info.metadata_props) {
    if (key.rfind("yoloxrt.", 0) != 0) continue;
    s += "parameters {\n  key: " + quoted(key) + "\n  value: { string_value: " + quoted(value) +
         " }\n}\n";
  }
  return s;
}

fs::path write_triton_repository(const fs::path& model, const fs::path& repo,
                                 const TritonOptions& o) {
  const ModelInfo info = inspect_onnx(model);
  const std::string name = o.name.empty() ? model.stem().string() : o.name;
  const std::string config = triton_config(info, name, o);
  const fs::path target = repo / name;
  std::error_code ec;
  const bool exists = fs::exists(target, ec);
  if (exists && !o.replace)
    throw Error(ErrorKind::kInvalidArgument, "the model repository entry already exists",
                target.string());
  fs::create_directories(repo, ec);
  if (ec)
    throw Error(ErrorKind::kIo, "cannot create the repository folder: " + ec.message(),
                repo.string());

  // Assemble in a hidden sibling, then rename: a half-written entry never appears.
  std::random_device rd;
  const fs::path tmp =
      repo / ("." + name + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code e;
      if (!p.empty()) fs::remove_all(p, e);
    }
  } cleanup{tmp};
  fs::create_directories(tmp / "1", ec);
  if (ec)
    throw Error(ErrorKind::kIo, "cannot create a folder: " + ec.message(), (tmp / "1").string());
  write_file_atomic(tmp / "config.pbtxt", config);
  fs::copy_file(model, tmp / "1" / "model.onnx", ec);
  if (ec) throw Error(ErrorKind::kIo, "cannot copy the model: " + ec.message(), model.string());
  if (exists) {
    // Replace: move the old entry aside first; it is removed once the new one is in place.
    const fs::path old = tmp.string() + "-old";
    fs::rename(target, old, ec);
    if (ec)
      throw Error(ErrorKind::kIo, "cannot move the old entry aside: " + ec.message(),
                  target.string());
    fs::rename(tmp, target, ec);
    if (ec) {
      std::error_code back;
      fs::rename(old, target, back);
      throw Error(ErrorKind::kIo, "cannot rename the new entry into place: " + ec.message(),
                  target.string());
    }
    fs::remove_all(old, ec);
  } else {
    fs::rename(tmp, target, ec);
    if (ec)
      throw Error(ErrorKind::kIo, "cannot rename the new entry into place: " + ec.message(),
                  target.string());
  }
  cleanup.p.clear();
  return target;
}

}  // namespace yoloxrt
