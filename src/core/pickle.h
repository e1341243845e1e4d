// core/pickle.h - a restricted unpickler for the data.pkl inside torch.save archives.
//
// Private to yoloxrt_core. It interprets the opcodes that torch.save emits (protocols 2-5) and
// builds a tree of plain values; it never imports or calls anything. The only globals it accepts
// are collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter and
// the torch.*Storage types, and REDUCE is interpreted only for the first three. Persistent ids of
// the form ('storage', torch.XStorage, key, location, numel) become StorageRef values and
// _rebuild_tensor_v2 calls become TensorRef values; resolving them to bytes is the caller's job.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "yoloxrt/checkpoint.h"

namespace yoloxrt::core {

// Element types of torch storages, named after the torch.*Storage classes.
enum class StorageDtype {
  kFloat32,
  kFloat16,
  kBFloat16,
  kFloat64,
  kInt64,
  kInt32,
  kInt16,
  kInt8,
  kUInt8,
  kBool
};

// Bytes per element.
size_t storage_dtype_size(StorageDtype dtype);
// True for float32/float16/bfloat16/float64: the types readers convert to float32.
bool storage_dtype_is_float(StorageDtype dtype);
// "float32", "int64", ...
std::string storage_dtype_name(StorageDtype dtype);

// Converts `count` little-endian elements of `dtype`, `src_stride` elements apart, starting at
// `src`, into float32 at `dst` (contiguous). float16 and bfloat16 are widened exactly (NaN, Inf and
// subnormals kept); float64 is rounded to nearest. REQUIRES: storage_dtype_is_float(dtype); `src`
// holds ((count - 1) * src_stride + 1) elements when count > 0. Safe for unaligned `src`.
void convert_to_float32(StorageDtype dtype, const uint8_t* src, size_t count, size_t src_stride,
                        float* dst);

// A storage named by a persistent id: its bytes live in the archive entry "<prefix>/data/<key>".
struct StorageRef {
  StorageDtype dtype = StorageDtype::kFloat32;
  std::string key;
  std::string location;  // "cpu", "cuda:0", ... (informational)
  int64_t numel = 0;     // elements, as recorded in the persistent id
};

// A tensor view onto a storage, as passed to torch._utils._rebuild_tensor_v2. Offsets and strides
// are in elements. Sizes and strides have equal length and are >= 0 (checked by the unpickler);
// whether the view fits in the storage is checked by whoever resolves it.
struct TensorRef {
  std::shared_ptr<const StorageRef> storage;
  int64_t offset = 0;
  std::vector<int64_t> size;
  std::vector<int64_t> stride;
};

struct PickleValue;
using PickleValuePtr = std::shared_ptr<PickleValue>;

// One node of the unpickled tree. Only the member(s) matching `type` are meaningful. Containers
// share children (the pickle memo can reference one object twice) but never form cycles: the
// unpickler refuses to mutate a container once it sits inside another one.
struct PickleValue {
  enum class Type {
    kNone,
    kBool,
    kInt,
    kFloat,
    kString,
    kBytes,
    kList,
    kTuple,
    kDict,
    kGlobal,
    kStorage,
    kTensor
  };

  Type type = Type::kNone;
  bool boolean = false;
  int64_t integer = 0;
  double real = 0.0;
  std::string text;                   // kString (UTF-8 as stored), kBytes, kGlobal ("module.name")
  std::vector<PickleValuePtr> items;  // kList, kTuple
  std::vector<std::pair<PickleValuePtr, PickleValuePtr>> entries;  // kDict, in insertion order
  std::shared_ptr<const StorageRef> storage;                       // kStorage
  std::shared_ptr<const TensorRef> tensor;                         // kTensor

  // Nesting depth: 0 for scalars, 1 + the deepest child for containers.
  uint32_t depth = 0;
  // Set once the value has been placed inside a container; containers are frozen from then on.
  bool contained = false;

  // For a kDict: the value of the last entry whose key is the string `key`, or nullptr (also for
  // other types). Duplicate keys behave as in Python: the later one wins.
  const PickleValue* find(std::string_view key) const;
};

// Returns a short name of the type ("dict", "tensor", ...), for messages.
const char* pickle_type_name(PickleValue::Type type);

// Unpickles `bytes` and returns the root value. Throws Error(kUnsafe) naming any global outside the
// allow-list or any disallowed REDUCE/BUILD, Error(kCorrupt) with the byte offset (relative to
// `bytes`) for unknown opcodes, truncation, stack misuse and exceeded limits (nesting and MARK
// depth: limits.max_pickle_depth; memo: limits.max_memo_entries), Error(kUnsupported) for
// well-formed constructs it does not model (ints wider than 64 bits, self-referential containers).
PickleValuePtr unpickle(std::span<const uint8_t> bytes, const ReadLimits& limits = {});

}  // namespace yoloxrt::core
