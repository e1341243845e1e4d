#include "yoloxrt/session.h"

#include <algorithm>
#include <map>
#include <set>

#include <onnxruntime_cxx_api.h>

#include "core/strings.h"
#include "inference/model_inspect.h"
#include "inference/ort_session.h"
#include "yoloxrt/error.h"

namespace yoloxrt {
namespace fs = std::filesystem;

namespace {

// The element types a Session feeds and returns, with their sizes; their names are the core's
// (core::element_type_name; ONNX Runtime's enum uses ONNX's TensorProto numbers).
struct TypeEntry {
  ONNXTensorElementDataType ort;
  size_t size;
  std::string name() const { return core::element_type_name(static_cast<int32_t>(ort)); }
};
constexpr TypeEntry kTypes[] = {
    {ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, 4},   {ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE, 8},
    {ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16, 2}, {ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8, 1},
    {ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8, 1},    {ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT16, 2},
    {ONNX_TENSOR_ELEMENT_DATA_TYPE_INT16, 2},   {ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT32, 4},
    {ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32, 4},   {ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT64, 8},
    {ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64, 8},   {ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL, 1},
};

const TypeEntry* find_type(std::string_view name) {
  for (const auto& t : kTypes)
    if (name == t.name()) return &t;
  return nullptr;
}

const TypeEntry* find_type(ONNXTensorElementDataType ort) {
  for (const auto& t : kTypes)
    if (ort == t.ort) return &t;
  return nullptr;
}

class SessionImpl final : public Session {
 public:
  SessionImpl(const fs::path& path, const SessionOptions& options) : file_(path.string()) {
    detail::require_model_file(path);
    if (options.threads < 0)
      throw Error(ErrorKind::kInvalidArgument, "threads must be >= 0", file_);
    Ort::SessionOptions so =
        detail::make_session_options(options.threads, options.providers, file_);
    try {
      session_ = std::make_unique<Ort::Session>(detail::ort_env(), path.c_str(), so);
    } catch (const Ort::Exception& e) {
      throw Error(ErrorKind::kCorrupt,
                  std::string("ONNX Runtime cannot load the model: ") + e.what(), file_);
    }
    try {
      io_ = detail::read_model_info(*session_);
    } catch (const Ort::Exception& e) {
      throw Error(ErrorKind::kCorrupt,
                  std::string("cannot read the model's signature: ") + e.what(), file_);
    }
  }

  const ModelInfo& io() const override { return io_; }

  std::vector<NamedTensor> run(const std::vector<NamedTensor>& inputs,
                               const std::vector<std::string>& output_names) const override {
    std::map<std::string, const NamedTensor*> given;
    for (const auto& t : inputs) {
      const auto it = std::find_if(io_.inputs.begin(), io_.inputs.end(),
                                   [&](const TensorInfo& i) { return i.name == t.name; });
      if (it == io_.inputs.end())
        throw Error(ErrorKind::kInvalidArgument, "the model has no input named '" + t.name + "'",
                    file_);
      if (!given.emplace(t.name, &t).second)
        throw Error(ErrorKind::kInvalidArgument, "input '" + t.name + "' is given twice", file_);
      check_input(*it, t);
    }
    static const Ort::MemoryInfo mem =
        Ort::MemoryInfo::CreateCpu(OrtDeviceAllocator, OrtMemTypeCPU);
    std::vector<Ort::Value> values;
    std::vector<const char*> in_names;
    for (const auto& info : io_.inputs) {
      const auto it = given.find(info.name);
      if (it == given.end())
        throw Error(ErrorKind::kInvalidArgument, "input '" + info.name + "' is missing", file_);
      const NamedTensor& t = *it->second;
      // ORT only reads the buffer; CreateTensor takes a non-const pointer.
      values.push_back(Ort::Value::CreateTensor(mem, const_cast<uint8_t*>(t.bytes.data()),
                                                t.bytes.size(), t.shape.data(), t.shape.size(),
                                                find_type(t.element_type)->ort));
      in_names.push_back(info.name.c_str());
    }
    std::vector<std::string> wanted = output_names;
    if (wanted.empty())
      for (const auto& o : io_.outputs) wanted.push_back(o.name);
    std::vector<const char*> out_names;
    for (const auto& name : wanted) {
      if (std::none_of(io_.outputs.begin(), io_.outputs.end(),
                       [&](const TensorInfo& o) { return o.name == name; }))
        throw Error(ErrorKind::kInvalidArgument, "the model has no output named '" + name + "'",
                    file_);
      out_names.push_back(name.c_str());
    }
    std::vector<NamedTensor> result;
    try {
      auto outs = session_->Run(Ort::RunOptions{nullptr}, in_names.data(), values.data(),
                                values.size(), out_names.data(), out_names.size());
      for (size_t i = 0; i < outs.size(); ++i) {
        const auto info = outs[i].GetTensorTypeAndShapeInfo();
        const TypeEntry* type = find_type(info.GetElementType());
        if (!type)
          throw Error(ErrorKind::kUnsupported,
                      "output '" + wanted[i] + "' has an element type Session cannot return",
                      file_);
        NamedTensor t{wanted[i], type->name(), info.GetShape(), {}};
        const auto* data = static_cast<const uint8_t*>(outs[i].GetTensorRawData());
        t.bytes.assign(data, data + info.GetElementCount() * type->size);
        result.push_back(std::move(t));
      }
    } catch (const Ort::Exception& e) {
      throw Error(ErrorKind::kRuntime,
                  std::string("ONNX Runtime failed to run the model: ") + e.what(), file_);
    }
    return result;
  }

 private:
  void check_input(const TensorInfo& info, const NamedTensor& t) const {
    const std::string what = "input '" + t.name + "': ";
    if (t.element_type != info.element_type)
      throw Error(
          ErrorKind::kInvalidArgument,
          what + "element type " + t.element_type + ", the model wants " + info.element_type,
          file_);
    const TypeEntry* type = find_type(t.element_type);
    if (!type)
      throw Error(ErrorKind::kInvalidArgument, what + "unsupported element type " + t.element_type,
                  file_);
    bool ok = t.shape.size() == info.shape.size();
    uint64_t count = 1;
    bool too_many = false;  // the product exceeds what the bytes could hold (and may overflow)
    for (size_t d = 0; ok && d < t.shape.size(); ++d) {
      ok = t.shape[d] >= 0 && (info.shape[d] < 0 || info.shape[d] == t.shape[d]);
      const uint64_t dim = static_cast<uint64_t>(std::max<int64_t>(t.shape[d], 0));
      if (dim && count > t.bytes.size() / dim + 1) too_many = true;
      if (!too_many) count *= dim;
    }
    if (!ok)
      throw Error(ErrorKind::kInvalidArgument,
                  what + "shape " + core::shape_to_string(t.shape) + " does not fit the model's " +
                      core::shape_to_string(info.shape),
                  file_);
    if (too_many || count * type->size != t.bytes.size())
      throw Error(ErrorKind::kInvalidArgument,
                  what + "shape " + core::shape_to_string(t.shape) + " needs " +
                      (too_many ? std::string("more") : std::to_string(count)) + " elements, got " +
                      std::to_string(t.bytes.size() / type->size),
                  file_);
  }

  std::string file_;
  ModelInfo io_;
  std::unique_ptr<Ort::Session> session_;
};

}  // namespace

size_t element_size(std::string_view element_type) {
  const TypeEntry* t = find_type(element_type);
  return t ? t->size : 0;
}

std::unique_ptr<Session> Session::open(const fs::path& model, const SessionOptions& options) {
  return std::make_unique<SessionImpl>(model, options);
}

}  // namespace yoloxrt
