// Reading .safetensors: u64 little-endian header length, a JSON header, then the raw tensor bytes.
#include <nlohmann/json.hpp>

#include "core/pickle.h"
#include "yoloxrt/checkpoint.h"
#include "yoloxrt/error.h"

namespace yoloxrt {
namespace {

struct DtypeInfo {
  const char* name;
  size_t size;
  bool is_float;
  core::StorageDtype dtype;  // meaningful when is_float
};

constexpr DtypeInfo kDtypes[] = {
    {"F32", 4, true, core::StorageDtype::kFloat32},
    {"F16", 2, true, core::StorageDtype::kFloat16},
    {"BF16", 2, true, core::StorageDtype::kBFloat16},
    {"F64", 8, true, core::StorageDtype::kFloat64},
    {"I64", 8, false, {}},
    {"I32", 4, false, {}},
    {"I16", 2, false, {}},
    {"I8", 1, false, {}},
    {"U64", 8, false, {}},
    {"U32", 4, false, {}},
    {"U16", 2, false, {}},
    {"U8", 1, false, {}},
    {"BOOL", 1, false, {}},
};

[[noreturn]] void corrupt(const std::string& what, std::optional<uint64_t> at = std::nullopt) {
  throw Error(ErrorKind::kCorrupt, "safetensors: " + what, {}, at);
}

}  // namespace

StateDict read_safetensors(std::span<const uint8_t> bytes, const ReadLimits& limits) {
  if (bytes.size() < 8)
    corrupt("file of " + std::to_string(bytes.size()) + " bytes is too small for the header", 0);
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | bytes[i];
  if (header_len > bytes.size() - 8)
    corrupt("header size " + std::to_string(header_len) + " is larger than the " +
                std::to_string(bytes.size() - 8) + " bytes that follow it",
            0);

  // ordered_json keeps the header's key order, which becomes the state dict's order.
  nlohmann::ordered_json header;
  try {
    header = nlohmann::ordered_json::parse(bytes.begin() + 8, bytes.begin() + 8 + header_len);
  } catch (const nlohmann::json::exception& e) {
    corrupt(std::string("header is not valid JSON: ") + e.what(), 8);
  }
  if (!header.is_object()) corrupt("header is not a JSON object", 8);

  const uint64_t data_start = 8 + header_len;
  const uint64_t data_size = bytes.size() - data_start;
  StateDict out;
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") continue;
    if (!info.is_object()) corrupt("tensor '" + name + "' is not described by an object");
    const auto dtype_it = info.find("dtype");
    const auto shape_it = info.find("shape");
    const auto offsets_it = info.find("data_offsets");
    if (dtype_it == info.end() || !dtype_it->is_string() || shape_it == info.end() ||
        !shape_it->is_array() || offsets_it == info.end() || !offsets_it->is_array() ||
        offsets_it->size() != 2 || !(*offsets_it)[0].is_number_unsigned() ||
        !(*offsets_it)[1].is_number_unsigned())
      corrupt("tensor '" + name + "' needs a string dtype, a shape array and two data_offsets");
    const std::string dtype = dtype_it->get<std::string>();
    const DtypeInfo* dt = nullptr;
    for (const auto& d : kDtypes)
      if (dtype == d.name) dt = &d;
    if (!dt)
      throw Error(ErrorKind::kUnsupported,
                  "safetensors: tensor '" + name + "' has unsupported dtype '" + dtype + "'");

    Tensor t;
    uint64_t numel = 1;
    for (const auto& dim : *shape_it) {
      if (!dim.is_number_unsigned()) corrupt("tensor '" + name + "' has a non-integer dimension");
      const uint64_t d = dim.get<uint64_t>();
      if (d > static_cast<uint64_t>(INT64_MAX) || __builtin_mul_overflow(numel, d, &numel))
        corrupt("tensor '" + name + "' shape overflows");
      t.shape.push_back(static_cast<int64_t>(d));
    }
    const uint64_t begin = (*offsets_it)[0].get<uint64_t>();
    const uint64_t end = (*offsets_it)[1].get<uint64_t>();
    if (begin > end || end > data_size)
      corrupt("tensor '" + name + "' data_offsets [" + std::to_string(begin) + ", " +
                  std::to_string(end) + "] fall outside the " + std::to_string(data_size) +
                  "-byte data section",
              data_start);
    uint64_t expected = 0;
    if (__builtin_mul_overflow(numel, dt->size, &expected) || expected != end - begin)
      corrupt("tensor '" + name + "' of shape " + t.shape_string() + " and dtype " + dtype +
                  " needs " + std::to_string(numel) + " elements but has " +
                  std::to_string(end - begin) + " bytes",
              data_start + begin);
    if (!dt->is_float) continue;
    if (numel > limits.max_entry_bytes / sizeof(float))
      corrupt("tensor '" + name +
              "' exceeds max_entry_bytes=" + std::to_string(limits.max_entry_bytes));
    t.data.resize(numel);
    core::convert_to_float32(dt->dtype, bytes.data() + data_start + begin, numel, 1, t.data.data());
    out.set(name, std::move(t));
  }
  if (!limits.allow_non_finite) check_finite_weights(out);
  return out;
}

}  // namespace yoloxrt
