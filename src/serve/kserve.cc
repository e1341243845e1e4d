#include "serve/kserve.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "yoloxrt/error.h"

namespace yoloxrt::serve {
namespace {
using nlohmann::json;

struct TypePair {
  const char* kserve;
  const char* element;
};
constexpr TypePair kTypes[] = {{"BOOL", "bool"},     {"UINT8", "uint8"},   {"UINT16", "uint16"},
                               {"UINT32", "uint32"}, {"UINT64", "uint64"}, {"INT8", "int8"},
                               {"INT16", "int16"},   {"INT32", "int32"},   {"INT64", "int64"},
                               {"FP32", "float32"},  {"FP64", "float64"}};

[[noreturn]] void bad(const std::string& what) { throw Error(ErrorKind::kInvalidArgument, what); }

// Appends one JSON leaf as a T, refusing non-numbers, non-integers for integer types and values
// outside T's range.
template <typename T>
void append_value(const json& v, const std::string& input, std::vector<uint8_t>& out) {
  T value{};
  if constexpr (std::is_same_v<T, bool>) {
    if (v.is_boolean())
      value = v.get<bool>();
    else if (v.is_number_integer() && (v.get<int64_t>() == 0 || v.get<int64_t>() == 1))
      value = v.get<int64_t>() != 0;
    else
      bad("input '" + input + "': BOOL data must be true/false, got " + v.dump());
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!v.is_number()) bad("input '" + input + "': data must be numbers, got " + v.dump());
    value = static_cast<T>(v.get<double>());
  } else {
    bool ok = false;
    if (v.is_number_unsigned()) {
      const uint64_t u = v.get<uint64_t>();
      ok = u <= static_cast<uint64_t>(std::numeric_limits<T>::max());
      value = static_cast<T>(u);
    } else if (v.is_number_integer()) {
      const int64_t i = v.get<int64_t>();
      ok = i >= static_cast<int64_t>(std::numeric_limits<T>::min()) &&
           (i < 0 ||
            static_cast<uint64_t>(i) <= static_cast<uint64_t>(std::numeric_limits<T>::max()));
      value = static_cast<T>(i);
    }
    if (!ok) bad("input '" + input + "': " + v.dump() + " is not a value of its integer datatype");
  }
  const size_t at = out.size();
  out.resize(at + sizeof(T));
  std::memcpy(out.data() + at, &value, sizeof(T));
}

template <typename T>
void flatten(const json& data, const std::string& input, std::vector<uint8_t>& out, int depth) {
  if (depth > 64) bad("input '" + input + "': data nested too deeply");
  if (data.is_array()) {
    for (const auto& x : data) flatten<T>(x, input, out, depth + 1);
  } else {
    append_value<T>(data, input, out);
  }
}

void fill(const std::string& type, const json& data, const std::string& input,
          std::vector<uint8_t>& out) {
  if (type == "bool") return flatten<bool>(data, input, out, 0);
  if (type == "uint8") return flatten<uint8_t>(data, input, out, 0);
  if (type == "uint16") return flatten<uint16_t>(data, input, out, 0);
  if (type == "uint32") return flatten<uint32_t>(data, input, out, 0);
  if (type == "uint64") return flatten<uint64_t>(data, input, out, 0);
  if (type == "int8") return flatten<int8_t>(data, input, out, 0);
  if (type == "int16") return flatten<int16_t>(data, input, out, 0);
  if (type == "int32") return flatten<int32_t>(data, input, out, 0);
  if (type == "int64") return flatten<int64_t>(data, input, out, 0);
  if (type == "float32") return flatten<float>(data, input, out, 0);
  if (type == "float64") return flatten<double>(data, input, out, 0);
  bad("input '" + input + "': unsupported datatype");
}

template <typename T>
void write_values(const std::vector<uint8_t>& bytes, std::string& s) {
  const size_t n = bytes.size() / sizeof(T);
  char buf[64];
  for (size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, bytes.data() + i * sizeof(T), sizeof(T));
    if (i) s += ',';
    if constexpr (std::is_same_v<T, bool>) {
      s += v ? "true" : "false";
    } else if constexpr (std::is_floating_point_v<T>) {
      if (!std::isfinite(v)) {
        s += "null";  // JSON has no NaN/Inf
        continue;
      }
      // Shortest text that reads back as the same T.
      const auto r = std::to_chars(buf, buf + sizeof buf, v);
      s.append(buf, r.ptr);
    } else {
      const auto r = std::to_chars(buf, buf + sizeof buf, v);
      s.append(buf, r.ptr);
    }
  }
}

void write_data(const NamedTensor& t, std::string& s) {
  const std::string& type = t.element_type;
  if (type == "bool") return write_values<bool>(t.bytes, s);
  if (type == "uint8") return write_values<uint8_t>(t.bytes, s);
  if (type == "uint16") return write_values<uint16_t>(t.bytes, s);
  if (type == "uint32") return write_values<uint32_t>(t.bytes, s);
  if (type == "uint64") return write_values<uint64_t>(t.bytes, s);
  if (type == "int8") return write_values<int8_t>(t.bytes, s);
  if (type == "int16") return write_values<int16_t>(t.bytes, s);
  if (type == "int32") return write_values<int32_t>(t.bytes, s);
  if (type == "int64") return write_values<int64_t>(t.bytes, s);
  if (type == "float32") return write_values<float>(t.bytes, s);
  if (type == "float64") return write_values<double>(t.bytes, s);
  throw Error(ErrorKind::kUnsupported, "output '" + t.name + "' has datatype " + type +
                                           ", which the JSON protocol cannot carry here");
}

json tensor_metadata(const TensorInfo& t) {
  json shape = json::array();
  for (int64_t d : t.shape) shape.push_back(d < 0 ? -1 : d);
  const std::string dt = kserve_datatype(t.element_type);
  return {{"name", t.name}, {"datatype", dt.empty() ? t.element_type : dt}, {"shape", shape}};
}

}  // namespace

std::string kserve_datatype(std::string_view element_type) {
  for (const auto& t : kTypes)
    if (element_type == t.element) return t.kserve;
  return "";
}

std::string element_type_of(std::string_view kserve_datatype) {
  for (const auto& t : kTypes)
    if (kserve_datatype == t.kserve) return t.element;
  return "";
}

InferRequest parse_infer_request(std::string_view body, const ModelInfo& io) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) bad("the request body is not valid JSON");
  if (!j.is_object()) bad("the request body must be a JSON object");
  InferRequest r;
  if (j.contains("id")) {
    if (!j["id"].is_string()) bad("\"id\" must be a string");
    r.id = j["id"].get<std::string>();
  }
  if (!j.contains("inputs") || !j["inputs"].is_array() || j["inputs"].empty())
    bad("the request needs a non-empty \"inputs\" array");
  for (const json& in : j["inputs"]) {
    if (!in.is_object() || !in.contains("name") || !in["name"].is_string())
      bad("each input needs a \"name\" string");
    NamedTensor t;
    t.name = in["name"].get<std::string>();
    const auto model_input = std::find_if(io.inputs.begin(), io.inputs.end(),
                                          [&](const TensorInfo& i) { return i.name == t.name; });
    if (model_input == io.inputs.end()) bad("the model has no input named '" + t.name + "'");
    if (!in.contains("datatype") || !in["datatype"].is_string())
      bad("input '" + t.name + "' needs a \"datatype\" string");
    const std::string dt = in["datatype"].get<std::string>();
    t.element_type = element_type_of(dt);
    if (t.element_type.empty())
      bad("input '" + t.name + "': datatype '" + dt + "' is not supported in JSON");
    if (t.element_type != model_input->element_type)
      bad("input '" + t.name + "': datatype " + dt + ", the model wants " +
          kserve_datatype(model_input->element_type));
    if (!in.contains("shape") || !in["shape"].is_array())
      bad("input '" + t.name + "' needs a \"shape\" array");
    for (const json& d : in["shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0)
        bad("input '" + t.name + "': shape must hold non-negative integers");
      t.shape.push_back(d.get<int64_t>());
    }
    if (!in.contains("data")) bad("input '" + t.name + "' needs \"data\"");
    fill(t.element_type, in["data"], t.name, t.bytes);
    // Count check against the shape (Session::run checks the shape against the model).
    const size_t size = element_size(t.element_type);
    const uint64_t have = t.bytes.size() / size;
    uint64_t want = 1;
    bool more = false;
    for (int64_t d : t.shape) {
      const uint64_t dim = static_cast<uint64_t>(d);
      if (dim && want > have / dim + 1) more = true;
      if (!more) want *= dim;
    }
    if (more || want != have)
      bad("input '" + t.name + "': " + std::to_string(have) + " data values for shape " +
          json(t.shape).dump());
    r.inputs.push_back(std::move(t));
  }
  if (j.contains("outputs")) {
    if (!j["outputs"].is_array()) bad("\"outputs\" must be an array");
    for (const json& o : j["outputs"]) {
      if (!o.is_object() || !o.contains("name") || !o["name"].is_string())
        bad("each requested output needs a \"name\" string");
      r.outputs.push_back(o["name"].get<std::string>());
    }
  }
  return r;
}

std::string infer_response(const std::string& name, const std::string& id,
                           const std::vector<NamedTensor>& outputs) {
  std::string s = "{\"model_name\":" + json(name).dump() + ",\"model_version\":\"1\"";
  if (!id.empty()) s += ",\"id\":" + json(id).dump();
  s += ",\"outputs\":[";
  for (size_t i = 0; i < outputs.size(); ++i) {
    const NamedTensor& t = outputs[i];
    if (i) s += ',';
    s += "{\"name\":" + json(t.name).dump() + ",\"datatype\":\"" + kserve_datatype(t.element_type) +
         "\",\"shape\":" + json(t.shape).dump() + ",\"data\":[";
    write_data(t, s);
    s += "]}";
  }
  return s + "]}";
}

std::string model_metadata_json(const std::string& name, const ModelInfo& io) {
  json j = {{"name", name},
            {"versions", {"1"}},
            {"platform", "onnxruntime_onnx"},
            {"inputs", json::array()},
            {"outputs", json::array()}};
  for (const auto& t : io.inputs) j["inputs"].push_back(tensor_metadata(t));
  for (const auto& t : io.outputs) j["outputs"].push_back(tensor_metadata(t));
  return j.dump();
}

}  // namespace yoloxrt::serve
