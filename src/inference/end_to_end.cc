#include "inference/end_to_end.h"

#include <algorithm>

#include "core/strings.h"
#include "yoloxrt/error.h"

namespace yoloxrt::detail {
namespace {

const TensorInfo* find_output(const ModelInfo& io, const std::string& name) {
  for (const auto& o : io.outputs)
    if (o.name == name) return &o;
  return nullptr;
}

}  // namespace

bool has_end_to_end_outputs(const ModelInfo& io) {
  return std::all_of(std::begin(kEndToEndOutputs), std::end(kEndToEndOutputs),
                     [&](const char* n) { return find_output(io, n) != nullptr; });
}

void check_end_to_end_signature(const ModelInfo& io, const std::string& file) {
  if (io.inputs.size() != 1 || io.inputs[0].element_type != "float32")
    throw Error(ErrorKind::kUnsupported, "an end-to-end model needs one float32 image input", file);
  struct Expected {
    const char* type;
    size_t rank;
    int64_t last;  // required last dim, or 0
  };
  const Expected expected[4] = {
      {"int32", 2, 1}, {"float32", 3, 4}, {"float32", 2, 0}, {"int32", 2, 0}};
  for (size_t i = 0; i < 4; ++i) {
    const TensorInfo& t = *find_output(io, kEndToEndOutputs[i]);
    const Expected& e = expected[i];
    if (t.element_type != e.type || t.shape.size() != e.rank ||
        (e.last && t.shape.back() >= 0 && t.shape.back() != e.last))
      throw Error(ErrorKind::kUnsupported,
                  "end-to-end output '" + t.name + "' is " + t.element_type + " " +
                      t.shape_string() + ", expected " + e.type + " of rank " +
                      std::to_string(e.rank),
                  file);
  }
}

std::vector<EndToEndRows> split_end_to_end(const std::vector<Ort::Value>& outputs, size_t batch,
                                           const std::string& file) {
  auto shape = [](const Ort::Value& v) { return v.GetTensorTypeAndShapeInfo().GetShape(); };
  const auto s0 = shape(outputs[0]), s1 = shape(outputs[1]), s2 = shape(outputs[2]),
             s3 = shape(outputs[3]);
  const int64_t b = static_cast<int64_t>(batch);
  if (s0 != std::vector<int64_t>{b, 1} || s1.size() != 3 || s1[0] != b || s1[2] != 4 ||
      s2 != std::vector<int64_t>{b, s1[1]} || s3 != s2)
    throw Error(ErrorKind::kMismatch,
                "end-to-end outputs " + core::shape_to_string(s0) + " " +
                    core::shape_to_string(s1) + " " + core::shape_to_string(s2) + " " +
                    core::shape_to_string(s3) + " do not hold " + std::to_string(batch) +
                    " images of the same K",
                file);
  const size_t k = static_cast<size_t>(s1[1]);
  const int32_t* num = outputs[0].GetTensorData<int32_t>();
  const float* boxes = outputs[1].GetTensorData<float>();
  const float* scores = outputs[2].GetTensorData<float>();
  const int32_t* classes = outputs[3].GetTensorData<int32_t>();
  std::vector<EndToEndRows> rows(batch);
  for (size_t i = 0; i < batch; ++i)
    rows[i] = {num[i], boxes + i * k * 4, scores + i * k, classes + i * k, k};
  return rows;
}

}  // namespace yoloxrt::detail
