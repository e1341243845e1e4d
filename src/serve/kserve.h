// serve/kserve.h - private: KServe v2 (Triton) JSON <-> tensors.
//
// The v2 inference protocol's JSON form: a request {"id"?, "inputs": [{"name", "shape",
// "datatype", "data"}], "outputs"?: [{"name"}]} and a response {"model_name", "model_version",
// "id"?, "outputs": [{"name", "datatype", "shape", "data"}]}. `data` is a flat row-major array or
// nested arrays of the tensor's shape. Datatypes: BOOL, UINT8..UINT64, INT8..INT64, FP32, FP64
// (FP16 and BYTES are refused).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "yoloxrt/detector.h"
#include "yoloxrt/session.h"

namespace yoloxrt::serve {

// "FP32" <-> "float32" etc. Both return "" for a type with no counterpart.
std::string kserve_datatype(std::string_view element_type);
std::string element_type_of(std::string_view kserve_datatype);

struct InferRequest {
  std::string id;  // echoed back when present
  std::vector<NamedTensor> inputs;
  std::vector<std::string> outputs;  // empty = all
};

// Parses and checks a request body against the model's signature: unknown, missing or repeated
// inputs, a datatype other than the model's, a shape of the wrong rank or fixed dims, data whose
// count differs from the shape's, values that are not numbers of the datatype (or out of its
// range), and unknown outputs. Throws Error(kInvalidArgument) saying which.
InferRequest parse_infer_request(std::string_view body, const ModelInfo& io);

// The response body for `outputs` of model `name`.
std::string infer_response(const std::string& name, const std::string& id,
                           const std::vector<NamedTensor>& outputs);

// GET /v2/models/{name}: {"name", "versions": ["1"], "platform": "onnxruntime_onnx", "inputs",
// "outputs"} with dynamic dims as -1.
std::string model_metadata_json(const std::string& name, const ModelInfo& io);

}  // namespace yoloxrt::serve
