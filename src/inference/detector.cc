// The detector: opening a model and running it on images (detector.h). The jobs around the run
// live beside it: execution providers and the ONNX Runtime environment
// (execution_providers.cc), the optimised-model cache (model_cache.cc), model resolution
// (model_resolution.cc), inspection (model_inspect.cc), labels files (labels.cc).
#include "yoloxrt/detector.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>

#include <onnxruntime_cxx_api.h>

#include "core/strings.h"
#include "inference/end_to_end.h"
#include "inference/model_inspect.h"
#include "inference/model_resolution.h"
#include "inference/ort_session.h"
#include "inference/preprocess.h"
#include "yoloxrt/error.h"

namespace yoloxrt {
namespace fs = std::filesystem;

namespace {

uint64_t now_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

void check_options(const DetectorOptions& options) {
  if (options.threads < 0)
    throw Error(ErrorKind::kInvalidArgument,
                "threads must be >= 0, got " + std::to_string(options.threads));
  if (!(options.conf >= 0.f && options.conf <= 1.f))
    throw Error(ErrorKind::kInvalidArgument, "conf must be in [0, 1]");
  if (!(options.iou >= 0.f && options.iou <= 1.f))
    throw Error(ErrorKind::kInvalidArgument, "iou must be in [0, 1]");
}

class DetectorImpl final : public Detector {
 public:
  DetectorImpl(const fs::path& path, const DetectorOptions& options);

  std::vector<Detection> detect(const Image& image) const override {
    auto r = detect(std::span<const Image>(&image, 1));
    return std::move(r[0]);
  }
  std::vector<std::vector<Detection>> detect(std::span<const Image> images) const override {
    return detect_with(images, {});
  }
  std::vector<std::vector<Detection>> detect(std::span<const Image> images,
                                             std::span<const DetectParams> params) const override {
    if (params.size() != images.size())
      throw Error(ErrorKind::kInvalidArgument, "detect: " + std::to_string(params.size()) +
                                                   " params for " + std::to_string(images.size()) +
                                                   " images");
    for (const auto& p : params)
      if (!(p.conf >= 0.f && p.conf <= 1.f) || !(p.iou >= 0.f && p.iou <= 1.f))
        throw Error(ErrorKind::kInvalidArgument, "detect: conf and iou must be in [0, 1]");
    return detect_with(images, params);
  }
  const ModelMetadata& metadata() const override { return model_.metadata; }
  const DetectorOptions& options() const override { return options_; }
  bool fixed_input() const override { return model_.fixed_input; }
  ResizePlan plan_for(int image_w, int image_h) const override {
    return plan_resize(*options_.resize, image_w, image_h, *options_.height, *options_.width,
                       model_.exact);
  }
  TimingStats timing() const override {
    return {images_.load(), pre_ns_.load(), run_ns_.load(), post_ns_.load()};
  }
  ResizePlan make_input(const Image& image, std::vector<float>* values,
                        std::vector<int64_t>* shape) const override;
  const std::string& input_name() const override { return model_.input_name; }
  std::vector<std::vector<Detection>> detect_prepared(
      std::span<const PreparedInput* const> inputs) const override;

 private:
  // `params` is empty (the options' thresholds) or holds one entry per image.
  std::vector<std::vector<Detection>> detect_with(std::span<const Image> images,
                                                  std::span<const DetectParams> params) const;
  // The thresholds of image i: params[i], or the options' when params is empty.
  DetectParams params_for(std::span<const DetectParams> params, size_t i) const {
    return params.empty()
               ? DetectParams{options_.conf, options_.iou, options_.per_class, options_.max_det}
               : params[i];
  }
  // The Runs for images with these plans: index lists of one input size each (ascending size)
  // when the model's batch axis is dynamic, else one image per Run.
  std::vector<std::vector<size_t>> run_groups(const std::vector<ResizePlan>& plans) const {
    std::vector<std::vector<size_t>> out;
    if (!model_.batch_dynamic) {
      for (size_t i = 0; i < plans.size(); ++i) out.push_back({i});
      return out;
    }
    std::map<std::pair<int, int>, std::vector<size_t>> by_size;
    for (size_t i = 0; i < plans.size(); ++i)
      by_size[{plans[i].input_h, plans[i].input_w}].push_back(i);
    for (auto& [size, idx] : by_size) out.push_back(std::move(idx));
    return out;
  }
  // Runs one group of images that share the input size of their plans; writes
  // results[indices[i]].
  void run_group(std::span<const Image> images, const std::vector<size_t>& indices,
                 const std::vector<ResizePlan>& plans, std::span<const DetectParams> params,
                 std::vector<std::vector<Detection>>& results) const;
  // Runs the model on `input` (indices.size() images of plans[indices[0]]'s input size, filled)
  // and post-processes into results[indices[i]]. t0 = when preparing the input began (timing).
  void run_tensor(std::span<float> input, const std::vector<size_t>& indices,
                  const std::vector<ResizePlan>& plans, std::span<const DetectParams> params,
                  std::vector<std::vector<Detection>>& results, uint64_t t0) const;
  // Decodes, thresholds, suppresses and maps back one image's output rows.
  std::vector<Detection> postprocess(const float* rows, size_t n, size_t k, const ResizePlan& plan,
                                     const DetectParams& p) const;
  // The row outputs of one Run (every format but end-to-end) -> results[indices[i]].
  void postprocess_outputs(const std::vector<Ort::Value>& outputs,
                           const std::vector<size_t>& indices, const std::vector<ResizePlan>& plans,
                           std::span<const DetectParams> params,
                           std::vector<std::vector<Detection>>& results) const;
  // Maps boxes back to the original image and drops those that clip to nothing.
  static std::vector<Detection> map_back(std::vector<Detection> dets, const ResizePlan& plan);

  fs::path path_;
  DetectorOptions options_;
  std::unique_ptr<Ort::Session> session_;
  detail::ResolvedModel model_;

  mutable std::atomic<uint64_t> images_{0}, pre_ns_{0}, run_ns_{0}, post_ns_{0};
};

DetectorImpl::DetectorImpl(const fs::path& path, const DetectorOptions& options)
    : path_(path), options_(options) {
  detail::require_model_file(path);
  check_options(options_);
  session_ = detail::open_session(path, options_);
  ModelInfo io;
  try {
    io = detail::read_model_info(*session_);
  } catch (const Ort::Exception& e) {
    throw Error(ErrorKind::kCorrupt, std::string("cannot read the model's signature: ") + e.what(),
                path.string());
  }
  model_ = detail::resolve_model(io, options_, path.string());
}

std::vector<Detection> DetectorImpl::postprocess(const float* rows, size_t n, size_t k,
                                                 const ResizePlan& plan,
                                                 const DetectParams& p) const {
  std::vector<Detection> dets;
  try {
    switch (model_.metadata.output_format) {
      case OutputFormat::kRaw:
        dets = decode_raw_output(rows, n, k, plan.input_h, plan.input_w, model_.metadata.strides,
                                 p.conf);
        break;
      case OutputFormat::kDecoded:
        if (k != 6)
          throw Error(ErrorKind::kMismatch, "decoded output needs K = 6, got " + std::to_string(k));
        dets = decode_decoded_output(rows, n, p.conf);
        break;
      case OutputFormat::kMegviiDecoded:
        dets = decode_megvii_decoded_output(rows, n, k, p.conf);
        break;
      case OutputFormat::kEndToEnd:  // run_group decodes these
        throw Error(ErrorKind::kRuntime, "end-to-end outputs reached the row decoder");
    }
  } catch (const Error& e) {
    throw e.with_file(path_.string());
  }
  return map_back(nms(std::move(dets), {p.iou, p.per_class, p.max_det}), plan);
}

std::vector<Detection> DetectorImpl::map_back(std::vector<Detection> dets, const ResizePlan& plan) {
  for (auto& d : dets) d.box = map_box_to_original(d.box, plan);
  // A box that lies wholly outside the image (in the letterbox padding, say) clips to nothing.
  std::erase_if(
      dets, [](const Detection& d) { return !(d.box.x2 > d.box.x1) || !(d.box.y2 > d.box.y1); });
  return dets;
}

void DetectorImpl::run_group(std::span<const Image> images, const std::vector<size_t>& indices,
                             const std::vector<ResizePlan>& plans,
                             std::span<const DetectParams> params,
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
    detail::preprocess_image(images[indices[i]], plans[indices[i]], model_.format,
                             input.data() + i * per_image);
  run_tensor(input, indices, plans, params, results, t0);
}

std::vector<std::vector<Detection>> DetectorImpl::detect_prepared(
    std::span<const PreparedInput* const> inputs) const {
  std::vector<ResizePlan> plans;
  plans.reserve(inputs.size());
  for (const PreparedInput* in : inputs) {
    if (!in ||
        in->values.size() != 3 * static_cast<size_t>(std::max(in->plan.input_h, 0)) *
                                 static_cast<size_t>(std::max(in->plan.input_w, 0)) ||
        in->values.empty())
      throw Error(ErrorKind::kInvalidArgument,
                  "detect_prepared: an input whose values do not match its resize plan");
    plans.push_back(in->plan);
  }
  std::vector<std::vector<Detection>> results(inputs.size());
  for (const auto& idx : run_groups(plans)) {
    const uint64_t t0 = options_.collect_timing ? now_ns() : 0;
    if (idx.size() == 1) {
      // One input: Run reads its values where they are (ONNX Runtime does not write inputs).
      std::vector<float>& v = const_cast<std::vector<float>&>(inputs[idx[0]]->values);
      run_tensor(std::span<float>(v), idx, plans, {}, results, t0);
      continue;
    }
    thread_local std::vector<float> buffer;
    const size_t per_image = inputs[idx[0]]->values.size();
    if (buffer.size() < per_image * idx.size()) buffer.resize(per_image * idx.size());
    for (size_t i = 0; i < idx.size(); ++i)
      std::copy(inputs[idx[i]]->values.begin(), inputs[idx[i]]->values.end(),
                buffer.begin() + static_cast<std::ptrdiff_t>(i * per_image));
    run_tensor(std::span<float>(buffer.data(), per_image * idx.size()), idx, plans, {}, results,
               t0);
  }
  return results;
}

void DetectorImpl::run_tensor(std::span<float> input, const std::vector<size_t>& indices,
                              const std::vector<ResizePlan>& plans,
                              std::span<const DetectParams> params,
                              std::vector<std::vector<Detection>>& results, uint64_t t0) const {
  const bool timed = options_.collect_timing;
  const ResizePlan& p0 = plans[indices[0]];
  std::vector<int64_t> shape;
  if (model_.has_batch_axis) shape.push_back(static_cast<int64_t>(indices.size()));
  if (model_.metadata.input_layout == InputLayout::kNCHW) {
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
    const char* in_names[] = {model_.input_name.c_str()};
    const char* out_name = model_.output_name.c_str();
    const bool e2e = model_.end_to_end;
    outputs = session_->Run(Ort::RunOptions{nullptr}, in_names, &tensor, 1,
                            e2e ? kEndToEndOutputs : &out_name, e2e ? 4 : 1);
  } catch (const Ort::Exception& e) {
    throw Error(ErrorKind::kRuntime,
                std::string("ONNX Runtime failed to run the model: ") + e.what(), path_.string());
  }
  const uint64_t t2 = timed ? now_ns() : 0;
  if (model_.end_to_end) {
    // NMS ran in the graph: only the caller's --conf and max_det filter further.
    const auto rows = detail::split_end_to_end(outputs, indices.size(), path_.string());
    for (size_t i = 0; i < indices.size(); ++i) {
      const auto& r = rows[i];
      const DetectParams p = params_for(params, indices[i]);
      auto dets = decode_end_to_end_output(r.num_dets, r.boxes, r.scores, r.classes, r.k, p.conf);
      if (p.max_det && dets.size() > p.max_det) dets.resize(p.max_det);
      results[indices[i]] = map_back(std::move(dets), plans[indices[i]]);
    }
  } else {
    postprocess_outputs(outputs, indices, plans, params, results);
  }
  if (timed) {
    const uint64_t t3 = now_ns();
    images_ += indices.size();
    pre_ns_ += t1 - t0;
    run_ns_ += t2 - t1;
    post_ns_ += t3 - t2;
  }
}

void DetectorImpl::postprocess_outputs(const std::vector<Ort::Value>& outputs,
                                       const std::vector<size_t>& indices,
                                       const std::vector<ResizePlan>& plans,
                                       std::span<const DetectParams> params,
                                       std::vector<std::vector<Detection>>& results) const {
  const auto info = outputs[0].GetTensorTypeAndShapeInfo();
  const auto oshape = info.GetShape();
  const float* data = outputs[0].GetTensorData<float>();
  const size_t k = static_cast<size_t>(oshape.back());
  const size_t total = info.GetElementCount();
  const size_t per_out = total / indices.size();
  if (k == 0 || per_out % k != 0 || per_out * indices.size() != total)
    throw Error(ErrorKind::kMismatch,
                "output shape " + core::shape_to_string(oshape) + " does not hold " +
                    std::to_string(indices.size()) + " images of rows",
                path_.string());
  for (size_t i = 0; i < indices.size(); ++i)
    results[indices[i]] = postprocess(data + i * per_out, per_out / k, k, plans[indices[i]],
                                      params_for(params, indices[i]));
}

ResizePlan DetectorImpl::make_input(const Image& image, std::vector<float>* values,
                                    std::vector<int64_t>* shape) const {
  if (image.empty() || image.stride < static_cast<size_t>(image.width) * 3)
    throw Error(ErrorKind::kInvalidArgument, "make_input: empty image or bad stride");
  const ResizePlan plan = plan_for(image.width, image.height);
  values->resize(3 * static_cast<size_t>(plan.input_h) * static_cast<size_t>(plan.input_w));
  detail::preprocess_image(image, plan, model_.format, values->data());
  shape->clear();
  if (model_.has_batch_axis) shape->push_back(1);
  if (model_.metadata.input_layout == InputLayout::kNCHW)
    shape->insert(shape->end(), {3, plan.input_h, plan.input_w});
  else
    shape->insert(shape->end(), {plan.input_h, plan.input_w, 3});
  return plan;
}

std::vector<std::vector<Detection>> DetectorImpl::detect_with(
    std::span<const Image> images, std::span<const DetectParams> params) const {
  std::vector<std::vector<Detection>> results(images.size());
  std::vector<ResizePlan> plans;
  plans.reserve(images.size());
  for (const Image& im : images) {
    if (im.empty() || im.stride < static_cast<size_t>(im.width) * 3)
      throw Error(ErrorKind::kInvalidArgument, "detect: empty image or bad stride");
    plans.push_back(plan_for(im.width, im.height));
  }
  for (const auto& idx : run_groups(plans)) run_group(images, idx, plans, params, results);
  return results;
}

}  // namespace

std::unique_ptr<Detector> Detector::open(const fs::path& model_path,
                                         const DetectorOptions& options) {
  return std::make_unique<DetectorImpl>(model_path, options);
}

}  // namespace yoloxrt
