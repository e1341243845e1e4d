#include "yoloxrt/detector.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <string_view>

#include <onnxruntime_cxx_api.h>
#include <nlohmann/json.hpp>

#include "inference/ort_env.h"
#include "inference/preprocess.h"
#include "yoloxrt/error.h"
#include "yoloxrt/file_io.h"

namespace yoloxrt {
namespace fs = std::filesystem;

Ort::Env& detail::ort_env() {
  // One environment for the process; Ort::Env is thread-safe and must outlive every session.
  static Ort::Env env(ORT_LOGGING_LEVEL_ERROR, "yoloxrt");
  return env;
}

namespace {

using detail::ort_env;

std::string element_type_name(ONNXTensorElementDataType t) {
  switch (t) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT:
      return "float32";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16:
      return "float16";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE:
      return "float64";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8:
      return "uint8";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8:
      return "int8";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32:
      return "int32";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64:
      return "int64";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL:
      return "bool";
    default:
      return "type " + std::to_string(static_cast<int>(t));
  }
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += shape[i] < 0 ? std::string("?") : std::to_string(shape[i]);
  }
  return s + "]";
}

TensorInfo tensor_info(const Ort::TypeInfo& type_info, std::string name) {
  TensorInfo t;
  t.name = std::move(name);
  if (type_info.GetONNXType() != ONNX_TYPE_TENSOR) {
    t.element_type = "non-tensor";
    return t;
  }
  auto info = type_info.GetTensorTypeAndShapeInfo();
  t.shape = info.GetShape();
  std::vector<const char*> sym(t.shape.size(), nullptr);
  info.GetSymbolicDimensions(sym.data(), sym.size());
  for (const char* s : sym) t.dim_names.emplace_back(s ? s : "");
  t.element_type = element_type_name(info.GetElementType());
  return t;
}

ModelIO read_model_io(const Ort::Session& session) {
  ModelIO io;
  Ort::AllocatorWithDefaultOptions alloc;
  for (size_t i = 0; i < session.GetInputCount(); ++i)
    io.inputs.push_back(
        tensor_info(session.GetInputTypeInfo(i), session.GetInputNameAllocated(i, alloc).get()));
  for (size_t i = 0; i < session.GetOutputCount(); ++i)
    io.outputs.push_back(
        tensor_info(session.GetOutputTypeInfo(i), session.GetOutputNameAllocated(i, alloc).get()));
  Ort::ModelMetadata md = session.GetModelMetadata();
  io.producer_name = md.GetProducerNameAllocated(alloc).get();
  io.graph_name = md.GetGraphNameAllocated(alloc).get();
  for (auto& key : md.GetCustomMetadataMapKeysAllocated(alloc)) {
    auto value = md.LookupCustomMetadataMapAllocated(key.get(), alloc);
    io.metadata_props[key.get()] = value ? value.get() : "";
  }
  return io;
}

void require_exists(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec))
    throw Error(ErrorKind::kNotFound, "model file does not exist", path.string());
  if (fs::is_directory(path, ec))
    throw Error(ErrorKind::kIo, "is a directory, expected an ONNX model file", path.string());
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Short provider names -> ONNX Runtime's provider names.
std::string ort_provider_name(const std::string& name) {
  static const std::map<std::string, std::string> kNames = {
      {"cpu", "CPUExecutionProvider"},           {"cuda", "CUDAExecutionProvider"},
      {"tensorrt", "TensorrtExecutionProvider"}, {"trt", "TensorrtExecutionProvider"},
      {"openvino", "OpenVINOExecutionProvider"}, {"dml", "DmlExecutionProvider"},
      {"directml", "DmlExecutionProvider"},      {"coreml", "CoreMLExecutionProvider"},
      {"rocm", "ROCMExecutionProvider"},         {"migraphx", "MIGraphXExecutionProvider"},
      {"xnnpack", "XnnpackExecutionProvider"},   {"qnn", "QNNExecutionProvider"},
  };
  auto it = kNames.find(lower(name));
  return it == kNames.end() ? name : it->second;
}

void append_provider(Ort::SessionOptions& so, const std::string& ort_name) {
  if (ort_name == "CPUExecutionProvider") return;  // always present as the fallback
  if (ort_name == "CUDAExecutionProvider") {
    OrtCUDAProviderOptionsV2* opts = nullptr;
    Ort::ThrowOnError(Ort::GetApi().CreateCUDAProviderOptions(&opts));
    std::unique_ptr<OrtCUDAProviderOptionsV2, void (*)(OrtCUDAProviderOptionsV2*)> guard(
        opts, Ort::GetApi().ReleaseCUDAProviderOptions);
    so.AppendExecutionProvider_CUDA_V2(*opts);
  } else if (ort_name == "TensorrtExecutionProvider") {
    OrtTensorRTProviderOptionsV2* opts = nullptr;
    Ort::ThrowOnError(Ort::GetApi().CreateTensorRTProviderOptions(&opts));
    std::unique_ptr<OrtTensorRTProviderOptionsV2, void (*)(OrtTensorRTProviderOptionsV2*)> guard(
        opts, Ort::GetApi().ReleaseTensorRTProviderOptions);
    so.AppendExecutionProvider_TensorRT_V2(*opts);
  } else if (ort_name == "OpenVINOExecutionProvider") {
    so.AppendExecutionProvider_OpenVINO_V2({});
  } else {
    static const std::map<std::string, std::string> kGeneric = {
        {"XnnpackExecutionProvider", "XNNPACK"}, {"QNNExecutionProvider", "QNN"},
        {"CoreMLExecutionProvider", "CoreML"},   {"DmlExecutionProvider", "DML"},
        {"ROCMExecutionProvider", "ROCM"},       {"MIGraphXExecutionProvider", "MIGraphX"}};
    auto it = kGeneric.find(ort_name);
    so.AppendExecutionProvider(it == kGeneric.end() ? ort_name : it->second, {});
  }
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

uint64_t now_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

class DetectorImpl final : public Detector {
 public:
  DetectorImpl(const fs::path& path, const DetectorOptions& options);

  std::vector<Detection> detect(const Image& image) const override {
    auto r = detect(std::span<const Image>(&image, 1));
    return std::move(r[0]);
  }
  std::vector<std::vector<Detection>> detect(std::span<const Image> images) const override;
  const ModelMetadata& metadata() const override { return md_; }
  const DetectorOptions& options() const override { return options_; }
  bool fixed_input() const override { return fixed_input_; }
  ResizePlan plan_for(int image_w, int image_h) const override {
    return plan_resize(*options_.resize, image_w, image_h, *options_.height, *options_.width,
                       exact_);
  }
  TimingStats timing() const override {
    return {images_.load(), pre_ns_.load(), run_ns_.load(), post_ns_.load()};
  }
  ResizePlan make_input(const Image& image, std::vector<float>* values,
                        std::vector<int64_t>* shape) const override;
  const std::string& input_name() const override { return input_name_; }

 private:
  void create_session(const fs::path& path);
  void resolve_model();
  // Runs one group of images that share the input size of `plan0`; writes results[indices[i]].
  void run_group(std::span<const Image> images, const std::vector<size_t>& indices,
                 const std::vector<ResizePlan>& plans,
                 std::vector<std::vector<Detection>>& results) const;

  fs::path path_;
  DetectorOptions options_;
  std::unique_ptr<Ort::Session> session_;
  ModelIO io_;
  ModelMetadata md_;
  detail::TensorFormat format_;
  bool fixed_input_ = false;
  bool batch_dynamic_ = false;
  bool has_batch_axis_ = true;
  bool exact_ = false;
  size_t row_len_ = 0;
  std::string input_name_, output_name_;

  mutable std::atomic<uint64_t> images_{0}, pre_ns_{0}, run_ns_{0}, post_ns_{0};
};

DetectorImpl::DetectorImpl(const fs::path& path, const DetectorOptions& options)
    : path_(path), options_(options) {
  require_exists(path);
  if (options_.threads < 0)
    throw Error(ErrorKind::kInvalidArgument,
                "threads must be >= 0, got " + std::to_string(options_.threads));
  if (!(options_.conf >= 0.f && options_.conf <= 1.f))
    throw Error(ErrorKind::kInvalidArgument, "conf must be in [0, 1]");
  if (!(options_.iou >= 0.f && options_.iou <= 1.f))
    throw Error(ErrorKind::kInvalidArgument, "iou must be in [0, 1]");
  create_session(path);
  resolve_model();
}

void DetectorImpl::create_session(const fs::path& path) {
  const std::string file = path.string();
  auto make_options = [&]() {
    Ort::SessionOptions so;
    so.SetIntraOpNumThreads(options_.threads);
    so.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_ALL);
    const auto available = Ort::GetAvailableProviders();
    for (const auto& p : options_.providers) {
      const std::string ort_name = ort_provider_name(p);
      if (std::find(available.begin(), available.end(), ort_name) == available.end())
        throw Error(ErrorKind::kUnsupported,
                    "execution provider '" + p +
                        "' is not in this ONNX Runtime build (available: " + join(available) + ")",
                    file);
      try {
        append_provider(so, ort_name);
      } catch (const Ort::Exception& e) {
        throw Error(ErrorKind::kUnsupported,
                    "cannot enable execution provider '" + p + "': " + e.what(), file);
      }
    }
    return so;
  };

  // The optimised-model cache: load it when it is at least as new as the model; otherwise
  // optimise the model and let ORT save the result into a temporary that is renamed on success.
  const fs::path& cache = options_.cache_path;
  if (!cache.empty()) {
    std::error_code ec1, ec2;
    const auto cache_time = fs::last_write_time(cache, ec1);
    const auto model_time = fs::last_write_time(path, ec2);
    if (!ec1 && !ec2 && cache_time >= model_time) {
      try {
        Ort::SessionOptions so = make_options();
        session_ = std::make_unique<Ort::Session>(ort_env(), cache.c_str(), so);
        return;
      } catch (const Ort::Exception&) {
        session_.reset();  // a stale or broken cache: rebuild it from the model below
      }
    }
  }
  try {
    Ort::SessionOptions so = make_options();
    std::unique_ptr<AtomicFile> cache_file;
    if (!cache.empty()) {
      cache_file = std::make_unique<AtomicFile>(cache);
      so.SetOptimizedModelFilePath(cache_file->temp_path().c_str());
    }
    session_ = std::make_unique<Ort::Session>(ort_env(), path.c_str(), so);
    if (cache_file) cache_file->commit();
  } catch (const Ort::Exception& e) {
    throw Error(ErrorKind::kCorrupt, std::string("ONNX Runtime cannot load the model: ") + e.what(),
                file);
  }
}

void DetectorImpl::resolve_model() {
  const std::string file = path_.string();
  try {
    io_ = read_model_io(*session_);
  } catch (const Ort::Exception& e) {
    throw Error(ErrorKind::kCorrupt, std::string("cannot read the model's signature: ") + e.what(),
                file);
  }
  if (io_.inputs.size() != 1 || io_.outputs.empty())
    throw Error(ErrorKind::kUnsupported,
                "expected one image input and an output, found " +
                    std::to_string(io_.inputs.size()) + " inputs and " +
                    std::to_string(io_.outputs.size()) + " outputs",
                file);
  const TensorInfo& in = io_.inputs[0];
  const TensorInfo& out = io_.outputs[0];
  input_name_ = in.name;
  output_name_ = out.name;
  if (in.element_type != "float32" || out.element_type != "float32")
    throw Error(
        ErrorKind::kUnsupported,
        "expected float32 input and output, found " + in.element_type + " and " + out.element_type,
        file);
  if (in.shape.size() != 4 && in.shape.size() != 3)
    throw Error(ErrorKind::kUnsupported,
                "input '" + in.name + "' has shape " + shape_string(in.shape) +
                    ", expected [B,3,H,W], [B,H,W,3] or [3,H,W]",
                file);
  if (out.shape.size() != 3 && out.shape.size() != 2)
    throw Error(
        ErrorKind::kUnsupported,
        "output '" + out.name + "' has shape " + shape_string(out.shape) + ", expected [B,N,K]",
        file);
  has_batch_axis_ = in.shape.size() == 4;
  batch_dynamic_ = has_batch_axis_ && in.shape[0] < 0;

  try {
    md_ = ModelMetadata::from_props(io_.metadata_props);
  } catch (const Error& e) {
    throw e.with_file(file);
  }
  const size_t b = has_batch_axis_ ? 1 : 0;
  auto dims = [&](InputLayout layout) {
    // (H, W, C) positions for the layout.
    return layout == InputLayout::kNCHW ? std::array<size_t, 3>{b + 1, b + 2, b}
                                        : std::array<size_t, 3>{b, b + 1, b + 2};
  };
  if (!md_.has_yoloxrt_metadata) {
    md_.input_layout =
        (in.shape[b] == 3 || in.shape.back() != 3) ? InputLayout::kNCHW : InputLayout::kNHWC;
    md_.family =
        options_.family ? *options_.family : (in.name == "images" ? Family::kMegvii : Family::kCjm);
    if (md_.family == Family::kMegvii) {
      md_.channel_order = ChannelOrder::kBGR;
      md_.input_range = 255.f;
      md_.resize = ResizePolicy::kLetterbox;
      md_.default_height = md_.default_width = 416;
    } else {
      md_.channel_order = ChannelOrder::kRGB;
      md_.input_range = 1.f;
      md_.resize = ResizePolicy::kCrop;
      md_.default_height = md_.default_width = 384;
    }
    const int64_t k = out.shape.back();
    if (k == 6)
      md_.output_format = OutputFormat::kDecoded;
    else if (k > 6)
      md_.output_format = OutputFormat::kRaw;
    else
      throw Error(ErrorKind::kUnsupported,
                  "cannot tell the output format of '" + out.name + "' " + shape_string(out.shape) +
                      " (expected K = 6 decoded or K = 5 + classes raw)",
                  file);
  }
  const auto d = dims(md_.input_layout);
  if (in.shape[d[2]] != 3 && in.shape[d[2]] >= 0)
    throw Error(ErrorKind::kUnsupported,
                "input '" + in.name + "' " + shape_string(in.shape) +
                    " does not have 3 channels in " +
                    (md_.input_layout == InputLayout::kNCHW ? "NCHW" : "NHWC") + " layout",
                file);
  const int64_t fixed_h = in.shape[d[0]], fixed_w = in.shape[d[1]];
  fixed_input_ = fixed_h > 0 && fixed_w > 0;
  if (fixed_input_) {
    md_.default_height = static_cast<int>(fixed_h);
    md_.default_width = static_cast<int>(fixed_w);
  }

  const int64_t k = out.shape.back();
  if (k > 0) {
    row_len_ = static_cast<size_t>(k);
    if (md_.output_format == OutputFormat::kDecoded && k != 6)
      throw Error(
          ErrorKind::kMismatch,
          "metadata says decoded output but '" + out.name + "' has K = " + std::to_string(k), file);
    if (md_.output_format != OutputFormat::kDecoded && k < 6)
      throw Error(
          ErrorKind::kMismatch,
          "output '" + out.name + "' has K = " + std::to_string(k) + ", too short for 5 + classes",
          file);
  }

  // Class names and colours: labels file > metadata > COCO (80 classes).
  if (!options_.labels_file.empty()) {
    LabelSet labels = read_labels_file(options_.labels_file);
    md_.class_names = std::move(labels.names);
    if (!labels.colors.empty()) md_.colors = std::move(labels.colors);
  }
  if (md_.class_names.empty() && md_.output_format != OutputFormat::kDecoded && k == 85)
    md_.class_names = coco_class_names();
  if (md_.output_format != OutputFormat::kDecoded && k > 0 && !md_.class_names.empty() &&
      md_.class_names.size() != static_cast<size_t>(k - 5))
    throw Error(ErrorKind::kMismatch,
                std::to_string(md_.class_names.size()) + " class names for a model with " +
                    std::to_string(k - 5) + " classes",
                file);

  format_ = {md_.input_layout, md_.channel_order, md_.input_range == 1.f ? 1.f : 255.f};

  // Target size and resize policy.
  if (!options_.resize) options_.resize = md_.resize;
  if (options_.height.has_value() != options_.width.has_value())
    throw Error(ErrorKind::kInvalidArgument, "give both height and width, or neither");
  if (!options_.height) {
    options_.height = md_.default_height;
    options_.width = md_.default_width;
  } else if (fixed_input_ && (*options_.height != fixed_h || *options_.width != fixed_w)) {
    throw Error(ErrorKind::kInvalidArgument,
                "the model's input size is fixed at " + std::to_string(fixed_h) + "x" +
                    std::to_string(fixed_w) + ", cannot run it at " +
                    std::to_string(*options_.height) + "x" + std::to_string(*options_.width),
                file);
  }
  if (*options_.height <= 0 || *options_.width <= 0)
    throw Error(ErrorKind::kInvalidArgument, "the input size must be positive");
  exact_ = fixed_input_ || *options_.height != *options_.width ||
           *options_.resize == ResizePolicy::kLetterbox;
  if (!fixed_input_ && exact_ && (*options_.height % 32 || *options_.width % 32))
    throw Error(ErrorKind::kInvalidArgument, "the input size " + std::to_string(*options_.height) +
                                                 "x" + std::to_string(*options_.width) +
                                                 " must be a multiple of 32");
}

void DetectorImpl::run_group(std::span<const Image> images, const std::vector<size_t>& indices,
                             const std::vector<ResizePlan>& plans,
                             std::vector<std::vector<Detection>>& results) const {
  const bool timed = options_.collect_timing;
  const uint64_t t0 = timed ? now_ns() : 0;
  const ResizePlan& p0 = plans[indices[0]];
  const size_t per_image = 3 * static_cast<size_t>(p0.input_h) * static_cast<size_t>(p0.input_w);
  // One input buffer per thread, reused across calls: a fresh multi-megabyte vector would be
  // zero-filled and page-faulted in on every image. preprocess_image writes every element.
  thread_local std::vector<float> buffer;
  const size_t needed = per_image * indices.size();
  if (buffer.size() < needed) buffer.resize(needed);
  const std::span<float> input(buffer.data(), needed);
  for (size_t i = 0; i < indices.size(); ++i)
    detail::preprocess_image(images[indices[i]], plans[indices[i]], format_,
                             input.data() + i * per_image);

  std::vector<int64_t> shape;
  if (has_batch_axis_) shape.push_back(static_cast<int64_t>(indices.size()));
  if (md_.input_layout == InputLayout::kNCHW) {
    shape.insert(shape.end(), {3, p0.input_h, p0.input_w});
  } else {
    shape.insert(shape.end(), {p0.input_h, p0.input_w, 3});
  }
  const uint64_t t1 = timed ? now_ns() : 0;

  std::vector<Ort::Value> outputs;
  try {
    static const Ort::MemoryInfo mem =
        Ort::MemoryInfo::CreateCpu(OrtDeviceAllocator, OrtMemTypeCPU);
    Ort::Value tensor = Ort::Value::CreateTensor<float>(mem, input.data(), input.size(),
                                                        shape.data(), shape.size());
    const char* in_names[] = {input_name_.c_str()};
    const char* out_names[] = {output_name_.c_str()};
    outputs = session_->Run(Ort::RunOptions{nullptr}, in_names, &tensor, 1, out_names, 1);
  } catch (const Ort::Exception& e) {
    throw Error(ErrorKind::kRuntime,
                std::string("ONNX Runtime failed to run the model: ") + e.what(), path_.string());
  }
  const uint64_t t2 = timed ? now_ns() : 0;

  const auto info = outputs[0].GetTensorTypeAndShapeInfo();
  const auto oshape = info.GetShape();
  const float* data = outputs[0].GetTensorData<float>();
  const size_t k = static_cast<size_t>(oshape.back());
  const size_t total = info.GetElementCount();
  const size_t per_out = total / indices.size();
  if (k == 0 || per_out % k != 0 || per_out * indices.size() != total)
    throw Error(ErrorKind::kMismatch,
                "output shape " + shape_string(oshape) + " does not hold " +
                    std::to_string(indices.size()) + " images of rows",
                path_.string());
  const size_t n = per_out / k;
  const NmsOptions nms_options{options_.iou, options_.per_class, options_.max_det};
  for (size_t i = 0; i < indices.size(); ++i) {
    const float* rows = data + i * per_out;
    const ResizePlan& plan = plans[indices[i]];
    std::vector<Detection> dets;
    try {
      switch (md_.output_format) {
        case OutputFormat::kRaw:
          dets =
              decode_raw_output(rows, n, k, plan.input_h, plan.input_w, md_.strides, options_.conf);
          break;
        case OutputFormat::kDecoded:
          if (k != 6)
            throw Error(ErrorKind::kMismatch,
                        "decoded output needs K = 6, got " + std::to_string(k));
          dets = decode_decoded_output(rows, n, options_.conf);
          break;
        case OutputFormat::kMegviiDecoded:
          dets = decode_megvii_decoded_output(rows, n, k, options_.conf);
          break;
      }
    } catch (const Error& e) {
      throw e.with_file(path_.string());
    }
    dets = nms(std::move(dets), nms_options);
    for (auto& d : dets) d.box = map_box_to_original(d.box, plan);
    // A box that lies wholly outside the image (in the letterbox padding, say) clips to nothing.
    std::erase_if(
        dets, [](const Detection& d) { return !(d.box.x2 > d.box.x1) || !(d.box.y2 > d.box.y1); });
    results[indices[i]] = std::move(dets);
  }
  if (timed) {
    const uint64_t t3 = now_ns();
    images_ += indices.size();
    pre_ns_ += t1 - t0;
    run_ns_ += t2 - t1;
    post_ns_ += t3 - t2;
  }
}

ResizePlan DetectorImpl::make_input(const Image& image, std::vector<float>* values,
                                    std::vector<int64_t>* shape) const {
  if (image.empty() || image.stride < static_cast<size_t>(image.width) * 3)
    throw Error(ErrorKind::kInvalidArgument, "make_input: empty image or bad stride");
  const ResizePlan plan = plan_for(image.width, image.height);
  values->resize(3 * static_cast<size_t>(plan.input_h) * static_cast<size_t>(plan.input_w));
  detail::preprocess_image(image, plan, format_, values->data());
  shape->clear();
  if (has_batch_axis_) shape->push_back(1);
  if (md_.input_layout == InputLayout::kNCHW)
    shape->insert(shape->end(), {3, plan.input_h, plan.input_w});
  else
    shape->insert(shape->end(), {plan.input_h, plan.input_w, 3});
  return plan;
}

std::vector<std::vector<Detection>> DetectorImpl::detect(std::span<const Image> images) const {
  std::vector<std::vector<Detection>> results(images.size());
  std::vector<ResizePlan> plans;
  plans.reserve(images.size());
  for (const Image& im : images) {
    if (im.empty() || im.stride < static_cast<size_t>(im.width) * 3)
      throw Error(ErrorKind::kInvalidArgument, "detect: empty image or bad stride");
    plans.push_back(plan_for(im.width, im.height));
  }
  if (!batch_dynamic_) {
    for (size_t i = 0; i < images.size(); ++i) run_group(images, {i}, plans, results);
    return results;
  }
  std::map<std::pair<int, int>, std::vector<size_t>> groups;
  for (size_t i = 0; i < images.size(); ++i)
    groups[{plans[i].input_h, plans[i].input_w}].push_back(i);
  for (const auto& [size, idx] : groups) run_group(images, idx, plans, results);
  return results;
}

}  // namespace

std::unique_ptr<Detector> Detector::open(const fs::path& model_path,
                                         const DetectorOptions& options) {
  return std::make_unique<DetectorImpl>(model_path, options);
}

std::vector<std::string> available_providers() { return Ort::GetAvailableProviders(); }

ModelIO inspect_model(const fs::path& path) {
  require_exists(path);
  try {
    Ort::SessionOptions so;
    so.SetIntraOpNumThreads(1);
    so.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_DISABLE_ALL);
    Ort::Session session(ort_env(), path.c_str(), so);
    return read_model_io(session);
  } catch (const Ort::Exception& e) {
    throw Error(ErrorKind::kCorrupt, std::string("ONNX Runtime cannot load the model: ") + e.what(),
                path.string());
  }
}

std::map<std::string, std::string> read_onnx_metadata_props(const fs::path& path) {
  return inspect_model(path).metadata_props;
}

LabelSet read_labels_file(const fs::path& path) {
  const std::vector<uint8_t> bytes = read_file_bytes(path);
  const std::string text(bytes.begin(), bytes.end());
  const size_t first = text.find_first_not_of(" \t\r\n");
  LabelSet out;
  if (first != std::string::npos && text[first] == '{') {
    try {
      const auto j = nlohmann::json::parse(text);
      for (const auto& item : j.at("items")) {
        out.names.push_back(item.at("label").get<std::string>());
        if (item.contains("color")) {
          const auto c = item.at("color").get<std::vector<double>>();
          if (c.size() < 3) throw Error(ErrorKind::kCorrupt, "a colour needs 3 components");
          std::array<uint8_t, 3> rgb{};
          for (size_t i = 0; i < 3; ++i)
            rgb[i] = static_cast<uint8_t>(std::lround(std::clamp(c[i], 0.0, 1.0) * 255.0));
          out.colors.push_back(rgb);
        }
      }
    } catch (const Error& e) {
      throw e.with_file(path.string());
    } catch (const std::exception& e) {
      throw Error(
          ErrorKind::kCorrupt,
          std::string("expected a colormap {\"items\": [{\"label\", \"color\"}]}: ") + e.what(),
          path.string());
    }
    if (!out.colors.empty() && out.colors.size() != out.names.size())
      throw Error(ErrorKind::kCorrupt, "some items have a colour and some do not", path.string());
    return out;
  }
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    if (!line.empty()) out.names.push_back(line);
    pos = end + 1;
  }
  if (out.names.empty())
    throw Error(ErrorKind::kCorrupt, "the labels file is empty", path.string());
  return out;
}

}  // namespace yoloxrt
