// Reading torch.save archives: zip -> data.pkl (restricted unpickler) -> tensors resolved against
// the archive's data/<key> entries.
#include <cstdio>
#include <string>

#include "core/pickle.h"
#include "core/zip_reader.h"
#include "yoloxrt/checkpoint.h"
#include "yoloxrt/error.h"
#include "yoloxrt/file_io.h"

namespace yoloxrt {
namespace {

using core::PickleValue;
using core::ZipEntry;
using core::ZipReader;
using Type = PickleValue::Type;

// Overflow-checked arithmetic on the non-negative int64 values the pickle gave us.
bool mul_ok(int64_t a, int64_t b, int64_t* out) { return !__builtin_mul_overflow(a, b, out); }
bool add_ok(int64_t a, int64_t b, int64_t* out) { return !__builtin_add_overflow(a, b, out); }

// Finds "<prefix>data.pkl" where <prefix> is empty or a single folder ("name/"); returns the
// prefix.
const ZipEntry& find_data_pkl(const ZipReader& zip, std::string* prefix) {
  const ZipEntry* found = nullptr;
  for (const ZipEntry& e : zip.entries()) {
    const std::string& n = e.name;
    constexpr std::string_view kLeaf = "data.pkl";
    if (n.size() < kLeaf.size() || n.compare(n.size() - kLeaf.size(), kLeaf.size(), kLeaf) != 0)
      continue;
    const std::string dir = n.substr(0, n.size() - kLeaf.size());
    const bool single_level = dir.empty() || (dir.back() == '/' && dir.find('/') == dir.size() - 1);
    if (!single_level) continue;
    if (found)
      throw Error(ErrorKind::kCorrupt,
                  "zip has more than one data.pkl ('" + found->name + "' and '" + n + "')");
    found = &e;
    *prefix = dir;
  }
  if (!found)
    throw Error(ErrorKind::kNotFound, "zip has no data.pkl entry (" +
                                          std::to_string(zip.entries().size()) +
                                          " entries); not a torch.save archive");
  return *found;
}

// Materialises one tensor view as a dense float32 tensor.
Tensor resolve_tensor(const std::string& name, const core::TensorRef& ref, const ZipReader& zip,
                      const std::string& prefix, const ReadLimits& limits) {
  const core::StorageRef& storage = *ref.storage;
  const std::string entry_name = prefix + "data/" + storage.key;
  const ZipEntry* entry = zip.find(entry_name);
  if (!entry)
    throw Error(ErrorKind::kNotFound, "tensor '" + name + "': storage '" + storage.key +
                                          "' (entry '" + entry_name + "') is missing from the zip");
  const size_t elem = core::storage_dtype_size(storage.dtype);
  int64_t storage_bytes = 0;
  if (!mul_ok(storage.numel, static_cast<int64_t>(elem), &storage_bytes) ||
      static_cast<uint64_t>(storage_bytes) > entry->size)
    throw Error(ErrorKind::kCorrupt,
                "storage '" + storage.key + "' should hold " + std::to_string(storage.numel) + " " +
                    core::storage_dtype_name(storage.dtype) + " elements but its entry has " +
                    std::to_string(entry->size) + " bytes",
                {}, entry->data_offset);

  Tensor t;
  t.shape = ref.size;
  int64_t numel = 1;
  int64_t last = ref.offset;  // index of the last element the view touches
  bool empty = false;
  for (size_t d = 0; d < ref.size.size(); ++d) {
    if (ref.size[d] == 0) empty = true;
    int64_t reach = 0;
    if (!mul_ok(numel, ref.size[d], &numel) ||
        (ref.size[d] > 0 &&
         (!mul_ok(ref.size[d] - 1, ref.stride[d], &reach) || !add_ok(last, reach, &last))))
      throw Error(ErrorKind::kCorrupt, "tensor '" + name + "' of shape " + t.shape_string() +
                                           " overflows 64-bit element arithmetic");
  }
  if (empty) return t;
  if (last >= storage.numel)
    throw Error(ErrorKind::kCorrupt,
                "tensor '" + name + "' of shape " + t.shape_string() + " at offset " +
                    std::to_string(ref.offset) + " needs " +
                    std::to_string(static_cast<uint64_t>(last) + 1) + " elements but storage '" +
                    storage.key + "' has " + std::to_string(storage.numel),
                {}, entry->data_offset);
  // Zero strides can make a view far larger than its storage: bound the allocation.
  if (static_cast<uint64_t>(numel) > limits.max_entry_bytes / sizeof(float))
    throw Error(ErrorKind::kCorrupt,
                "tensor '" + name + "' of shape " + t.shape_string() +
                    " exceeds max_entry_bytes=" + std::to_string(limits.max_entry_bytes));

  const uint8_t* base = zip.data(*entry).data() + static_cast<size_t>(ref.offset) * elem;
  t.data.resize(static_cast<size_t>(numel));
  const size_t rank = ref.size.size();

  // C-contiguous (dimensions of size 1 may carry any stride): one conversion run.
  bool contiguous = true;
  int64_t expected = 1;
  for (size_t d = rank; d-- > 0;) {
    if (ref.size[d] != 1 && ref.stride[d] != expected) contiguous = false;
    expected *= ref.size[d];
  }
  if (contiguous || rank == 0) {
    core::convert_to_float32(storage.dtype, base, t.data.size(), 1, t.data.data());
    return t;
  }
  // Strided view: walk the outer indices like an odometer and convert one innermost row at a time.
  const size_t inner = static_cast<size_t>(ref.size[rank - 1]);
  const size_t inner_stride = static_cast<size_t>(ref.stride[rank - 1]);
  std::vector<int64_t> index(rank, 0);
  int64_t src = 0;
  for (size_t out = 0; out < t.data.size(); out += inner) {
    core::convert_to_float32(storage.dtype, base + static_cast<size_t>(src) * elem, inner,
                             inner_stride, t.data.data() + out);
    for (size_t d = rank - 1; d-- > 0;) {
      src += ref.stride[d];
      if (++index[d] < ref.size[d]) break;
      src -= ref.stride[d] * ref.size[d];
      index[d] = 0;
    }
  }
  return t;
}

std::string list_keys(const PickleValue& dict) {
  std::string keys;
  size_t shown = 0;
  for (const auto& [k, v] : dict.entries) {
    if (k->type != Type::kString) continue;
    if (shown++ == 8) {
      keys += ", ...";
      break;
    }
    keys += (keys.empty() ? "'" : ", '") + k->text + "'";
  }
  return keys.empty() ? "none" : keys;
}

}  // namespace

StateDict read_torch_checkpoint(std::span<const uint8_t> bytes, const ReadLimits& limits) {
  if (bytes.empty()) throw Error(ErrorKind::kCorrupt, "empty input (0 bytes)", {}, 0);
  if (bytes[0] == 0x80)
    throw Error(ErrorKind::kUnsupported,
                "legacy (pre-1.6) torch.save format (a bare pickle, not a zip); re-save it with "
                "torch>=1.6: torch.save(torch.load(path), path)",
                {}, 0);
  if (bytes.size() < 4 || bytes[0] != 'P' || bytes[1] != 'K') {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%02x %02x %02x %02x", bytes[0], bytes.size() > 1 ? bytes[1] : 0,
                  bytes.size() > 2 ? bytes[2] : 0, bytes.size() > 3 ? bytes[3] : 0);
    throw Error(
        ErrorKind::kCorrupt,
        std::string("not a torch.save zip archive (no 'PK' magic; starts with ") + buf + ")", {},
        0);
  }

  ZipReader zip(bytes, limits.max_entry_bytes);
  std::string prefix;
  const ZipEntry& pkl = find_data_pkl(zip, &prefix);
  if (const ZipEntry* order = zip.find(prefix + "byteorder")) {
    auto d = zip.data(*order);
    if (std::string_view(reinterpret_cast<const char*>(d.data()), d.size()) != "little")
      throw Error(ErrorKind::kUnsupported, "only little-endian torch.save archives are supported",
                  {}, order->data_offset);
  }

  core::PickleValuePtr root;
  try {
    root = core::unpickle(zip.data(pkl), limits);
  } catch (const Error& e) {
    // Report the offset in the file, and say which entry the pickle offset was in.
    std::optional<uint64_t> at;
    std::string where = "'" + pkl.name + "'";
    if (e.offset()) {
      at = pkl.data_offset + *e.offset();
      where += " byte " + std::to_string(*e.offset());
    }
    throw Error(e.kind(), "in " + where + ": " + e.message(), {}, at);
  }

  if (root->type != Type::kDict)
    throw Error(ErrorKind::kUnsupported, std::string("data.pkl holds a ") +
                                             core::pickle_type_name(root->type) +
                                             ", not a dict of tensors");
  const PickleValue* sd = root.get();
  for (const char* key : {"model", "state_dict", "ema"}) {
    const PickleValue* v = root->find(key);
    if (v && v->type == Type::kDict) {
      sd = v;
      break;
    }
  }

  StateDict out;
  size_t tensors_seen = 0;
  for (const auto& [k, v] : sd->entries) {
    if (k->type != Type::kString || v->type != Type::kTensor) continue;
    ++tensors_seen;
    if (!core::storage_dtype_is_float(v->tensor->storage->dtype)) continue;  // num_batches_tracked
    out.set(k->text, resolve_tensor(k->text, *v->tensor, zip, prefix, limits));
  }
  if (tensors_seen == 0 && !sd->entries.empty())
    throw Error(
        ErrorKind::kNotFound,
        "checkpoint holds no tensors under 'model', 'state_dict', 'ema' or at the top level "
        "(top-level keys: " +
            list_keys(*root) + ")");
  if (!limits.allow_non_finite) check_finite_weights(out);
  return out;
}

}  // namespace yoloxrt
