#include "core/pickle.h"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <unordered_map>

#include "core/strings.h"
#include "yoloxrt/error.h"

namespace yoloxrt::core {
namespace {

using Type = PickleValue::Type;

// Opcodes, named as in CPython's Lib/pickle.py.
enum Op : uint8_t {
  kMark = '(',
  kStop = '.',
  kBinFloat = 'G',
  kBinInt = 'J',
  kBinInt1 = 'K',
  kBinInt2 = 'M',
  kNone = 'N',
  kBinPersId = 'Q',
  kReduce = 'R',
  kBinString = 'T',
  kShortBinString = 'U',
  kBinUnicode = 'X',
  kAppend = 'a',
  kBuild = 'b',
  kGlobal = 'c',
  kAppends = 'e',
  kBinGet = 'h',
  kLongBinGet = 'j',
  kEmptyList = ']',
  kBinPut = 'q',
  kLongBinPut = 'r',
  kSetItem = 's',
  kTuple = 't',
  kSetItems = 'u',
  kEmptyDict = '}',
  kEmptyTuple = ')',
  kBinBytes = 'B',
  kShortBinBytes = 'C',
  kProto = 0x80,
  kTuple1 = 0x85,
  kTuple2 = 0x86,
  kTuple3 = 0x87,
  kNewTrue = 0x88,
  kNewFalse = 0x89,
  kLong1 = 0x8a,
  kShortBinUnicode = 0x8c,
  kBinUnicode8 = 0x8d,
  kBinBytes8 = 0x8e,
  kStackGlobal = 0x93,
  kMemoize = 0x94,
  kFrame = 0x95,
};

constexpr const char* kOrderedDict = "collections.OrderedDict";
constexpr const char* kRebuildTensorV2 = "torch._utils._rebuild_tensor_v2";
constexpr const char* kRebuildParameter = "torch._utils._rebuild_parameter";

struct StorageType {
  const char* name;
  StorageDtype dtype;
};
constexpr StorageType kStorageTypes[] = {
    {"torch.FloatStorage", StorageDtype::kFloat32},
    {"torch.HalfStorage", StorageDtype::kFloat16},
    {"torch.BFloat16Storage", StorageDtype::kBFloat16},
    {"torch.DoubleStorage", StorageDtype::kFloat64},
    {"torch.LongStorage", StorageDtype::kInt64},
    {"torch.IntStorage", StorageDtype::kInt32},
    {"torch.ShortStorage", StorageDtype::kInt16},
    {"torch.CharStorage", StorageDtype::kInt8},
    {"torch.ByteStorage", StorageDtype::kUInt8},
    {"torch.BoolStorage", StorageDtype::kBool},
};

const StorageType* find_storage_type(std::string_view name) {
  for (const auto& t : kStorageTypes)
    if (name == t.name) return &t;
  return nullptr;
}

bool is_allowed_global(std::string_view name) {
  return name == kOrderedDict || name == kRebuildTensorV2 || name == kRebuildParameter ||
         find_storage_type(name) != nullptr;
}

// Renders untrusted text for an error message: printable ASCII kept, the rest escaped, clipped.
std::string printable(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < 120; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (s.size() > 120) out += "...";
  return out;
}

std::string opcode_text(uint8_t op) {
  char buf[32];
  if (op >= 0x20 && op < 0x7f)
    std::snprintf(buf, sizeof buf, "0x%02x '%c'", op, op);
  else
    std::snprintf(buf, sizeof buf, "0x%02x", op);
  return buf;
}

PickleValuePtr make(Type type) {
  auto v = std::make_shared<PickleValue>();
  v->type = type;
  if (type == Type::kList || type == Type::kTuple || type == Type::kDict) v->depth = 1;
  return v;
}

class Unpickler {
 public:
  Unpickler(std::span<const uint8_t> in, const ReadLimits& limits) : in_(in), limits_(limits) {}

  PickleValuePtr run() {
    while (pos_ < in_.size()) {
      op_pos_ = pos_;
      const uint8_t op = in_[pos_++];
      if (op == kStop) {
        if (stack_.size() <= mark_base()) fail("STOP with an empty stack");
        return stack_.back();
      }
      step(op);
    }
    fail("pickle ends without a STOP opcode", in_.size());
  }

 private:
  [[noreturn]] void fail(const std::string& what, std::optional<uint64_t> at = std::nullopt,
                         ErrorKind kind = ErrorKind::kCorrupt) const {
    throw Error(kind, "pickle: " + what, {}, at ? *at : op_pos_);
  }

  // --- input ---
  const uint8_t* take(uint64_t n, const char* what) {
    if (n > in_.size() - pos_)
      fail(std::string("truncated: ") + what + " needs " + std::to_string(n) + " bytes but only " +
           std::to_string(in_.size() - pos_) + " remain");
    const uint8_t* p = in_.data() + pos_;
    pos_ += n;
    return p;
  }
  uint64_t read_le(size_t n, const char* what) {
    const uint8_t* p = take(n, what);
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
    return v;
  }
  std::string read_text(uint64_t n, const char* what) {
    const uint8_t* p = take(n, what);
    return std::string(reinterpret_cast<const char*>(p), n);
  }
  std::string read_line(const char* what) {
    const uint8_t* start = in_.data() + pos_;
    const void* nl = std::memchr(start, '\n', in_.size() - pos_);
    if (!nl) fail(std::string("truncated: ") + what + " has no terminating newline");
    const size_t n = static_cast<const uint8_t*>(nl) - start;
    pos_ += n + 1;
    return std::string(reinterpret_cast<const char*>(start), n);
  }

  // --- stack ---
  size_t mark_base() const { return marks_.empty() ? 0 : marks_.back(); }
  PickleValuePtr pop(const char* op) {
    if (stack_.size() <= mark_base()) fail(std::string("stack underflow in ") + op);
    PickleValuePtr v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  PickleValue& top(const char* op) {
    if (stack_.size() <= mark_base()) fail(std::string("stack underflow in ") + op);
    return *stack_.back();
  }
  void push(PickleValuePtr v) { stack_.push_back(std::move(v)); }
  // Pops everything above the topmost MARK, and the MARK.
  std::vector<PickleValuePtr> pop_mark(const char* op) {
    if (marks_.empty()) fail(std::string(op) + " without a MARK");
    const size_t base = marks_.back();
    marks_.pop_back();
    std::vector<PickleValuePtr> items(std::make_move_iterator(stack_.begin() + base),
                                      std::make_move_iterator(stack_.end()));
    stack_.resize(base);
    return items;
  }

  // Records that `child` now sits inside `parent`: freezes the child (so no cycle can be formed
  // later) and bounds the nesting depth.
  void adopt(PickleValue& parent, PickleValue& child) {
    if (&parent == &child)
      fail("a container cannot contain itself", std::nullopt, ErrorKind::kUnsupported);
    child.contained = true;
    parent.depth = std::max(parent.depth, child.depth + 1);
    if (parent.depth > limits_.max_pickle_depth)
      fail("containers nested deeper than max_pickle_depth=" +
           std::to_string(limits_.max_pickle_depth));
  }
  PickleValue& mutable_container(const char* op, Type want) {
    PickleValue& target = top(op);
    if (target.type != want)
      fail(std::string(op) + " expects a " + pickle_type_name(want) + " but found a " +
           pickle_type_name(target.type));
    if (target.contained)
      fail(std::string(op) +
               " on a container that is already nested (self-referential data is "
               "not supported)",
           std::nullopt, ErrorKind::kUnsupported);
    return target;
  }
  void set_items(std::vector<PickleValuePtr>& kv, PickleValue& dict, const char* op) {
    if (kv.size() % 2) fail(std::string(op) + " with an odd number of items");
    for (size_t i = 0; i < kv.size(); i += 2) {
      adopt(dict, *kv[i]);
      adopt(dict, *kv[i + 1]);
      dict.entries.emplace_back(std::move(kv[i]), std::move(kv[i + 1]));
    }
  }
  PickleValuePtr make_tuple(std::vector<PickleValuePtr> items) {
    PickleValuePtr t = make(Type::kTuple);
    for (auto& item : items) adopt(*t, *item);
    t->items = std::move(items);
    return t;
  }

  // --- memo ---
  void memo_put(uint64_t index) {
    PickleValuePtr& slot = memo_[index];
    if (!slot && memo_.size() > limits_.max_memo_entries)
      fail("memo grows past max_memo_entries=" + std::to_string(limits_.max_memo_entries));
    slot = stack_.size() > mark_base() ? stack_.back() : nullptr;
    if (!slot) fail("memo put with an empty stack");
  }
  void memo_get(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) fail("memo index " + std::to_string(index) + " is not defined");
    push(it->second);
  }

  // --- globals and calls ---
  void push_global(const std::string& module, const std::string& name) {
    std::string full = module + "." + name;
    if (!is_allowed_global(full))
      fail("global '" + printable(full) +
               "' is not allowed (only collections.OrderedDict, torch._utils._rebuild_tensor_v2, "
               "torch._utils._rebuild_parameter and torch.*Storage are); nothing was executed",
           std::nullopt, ErrorKind::kUnsafe);
    PickleValuePtr g = make(Type::kGlobal);
    g->text = std::move(full);
    push(std::move(g));
  }

  static int64_t as_int(const PickleValue& v, const char* what, const Unpickler& self) {
    if (v.type == Type::kInt) return v.integer;
    if (v.type == Type::kBool) return v.boolean;
    self.fail(std::string(what) + " must be an int, found " + pickle_type_name(v.type));
  }
  std::vector<int64_t> int_tuple(const PickleValue& v, const char* what) {
    if (v.type != Type::kTuple && v.type != Type::kList)
      fail(std::string(what) + " must be a tuple, found " + pickle_type_name(v.type));
    std::vector<int64_t> out;
    out.reserve(v.items.size());
    for (const auto& item : v.items) {
      const int64_t x = as_int(*item, what, *this);
      if (x < 0) fail(std::string(what) + " has a negative value " + std::to_string(x));
      out.push_back(x);
    }
    return out;
  }

  PickleValuePtr call(const PickleValue& callable, PickleValue& args) {
    if (callable.type != Type::kGlobal)
      fail(std::string("REDUCE on a ") + pickle_type_name(callable.type) + " is not allowed",
           std::nullopt, ErrorKind::kUnsafe);
    if (args.type != Type::kTuple)
      fail(std::string("REDUCE arguments must be a tuple, found ") + pickle_type_name(args.type));
    const std::string& name = callable.text;
    auto& a = args.items;
    if (name == kOrderedDict) {
      PickleValuePtr d = make(Type::kDict);
      if (a.empty()) return d;
      // OrderedDict(iterable_of_pairs)
      if (a.size() == 1 && (a[0]->type == Type::kList || a[0]->type == Type::kTuple)) {
        for (const auto& pair : a[0]->items) {
          if (pair->type != Type::kTuple || pair->items.size() != 2)
            fail("OrderedDict() argument must hold (key, value) pairs");
          adopt(*d, *pair->items[0]);
          adopt(*d, *pair->items[1]);
          d->entries.emplace_back(pair->items[0], pair->items[1]);
        }
        return d;
      }
      fail("unsupported OrderedDict() arguments", std::nullopt, ErrorKind::kUnsupported);
    }
    if (name == kRebuildTensorV2) {
      // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
      if (a.size() < 4 || a.size() > 7)
        fail("_rebuild_tensor_v2 takes 6 or 7 arguments, got " + std::to_string(a.size()));
      if (a[0]->type != Type::kStorage)
        fail(std::string("_rebuild_tensor_v2 needs a storage, found ") +
             pickle_type_name(a[0]->type));
      auto t = std::make_shared<TensorRef>();
      t->storage = a[0]->storage;
      t->offset = as_int(*a[1], "tensor storage offset", *this);
      if (t->offset < 0) fail("negative tensor storage offset " + std::to_string(t->offset));
      t->size = int_tuple(*a[2], "tensor size");
      t->stride = int_tuple(*a[3], "tensor stride");
      if (t->size.size() != t->stride.size())
        fail("tensor has " + std::to_string(t->size.size()) + " sizes but " +
             std::to_string(t->stride.size()) + " strides");
      PickleValuePtr v = make(Type::kTensor);
      v->tensor = std::move(t);
      return v;
    }
    if (name == kRebuildParameter) {
      // (data, requires_grad, backward_hooks): the parameter is its data.
      if (a.empty() || a[0]->type != Type::kTensor)
        fail("_rebuild_parameter needs a tensor as its first argument");
      PickleValuePtr v = make(Type::kTensor);
      v->tensor = a[0]->tensor;
      return v;
    }
    fail("calling '" + name + "' is not allowed (it may only name a storage type)", std::nullopt,
         ErrorKind::kUnsafe);
  }

  PickleValuePtr persistent_load(const PickleValue& pid) {
    // torch.save: ('storage', storage_type, key, location, numel)
    if (pid.type != Type::kTuple || pid.items.size() != 5 || pid.items[0]->type != Type::kString ||
        pid.items[0]->text != "storage")
      fail("persistent id is not a ('storage', type, key, location, numel) tuple");
    const auto& it = pid.items;
    if (it[1]->type != Type::kGlobal) fail("persistent id storage type is not a global");
    const StorageType* st = find_storage_type(it[1]->text);
    if (!st) fail("persistent id names '" + it[1]->text + "', which is not a storage type");
    if (it[2]->type != Type::kString) fail("persistent id storage key is not a string");
    if (it[3]->type != Type::kString) fail("persistent id storage location is not a string");
    auto s = std::make_shared<StorageRef>();
    s->dtype = st->dtype;
    s->key = it[2]->text;
    s->location = it[3]->text;
    s->numel = as_int(*it[4], "storage numel", *this);
    if (s->numel < 0) fail("negative storage numel " + std::to_string(s->numel));
    PickleValuePtr v = make(Type::kStorage);
    v->storage = std::move(s);
    return v;
  }

  void push_int(int64_t x) {
    PickleValuePtr v = make(Type::kInt);
    v->integer = x;
    push(std::move(v));
  }
  void push_text(Type type, std::string s) {
    PickleValuePtr v = make(type);
    v->text = std::move(s);
    push(std::move(v));
  }

  void step(uint8_t op) {
    switch (op) {
      case kProto: {
        const auto version = read_le(1, "PROTO");
        if (version < 2 || version > 5)
          fail("pickle protocol " + std::to_string(version) + " is not supported (2-5 are)",
               std::nullopt, ErrorKind::kUnsupported);
        return;
      }
      case kFrame: {
        // Frames only group opcodes for buffered reading; the content follows inline.
        const uint64_t n = read_le(8, "FRAME");
        if (n > in_.size() - pos_)
          fail("FRAME of " + std::to_string(n) + " bytes but only " +
               std::to_string(in_.size() - pos_) + " remain");
        return;
      }
      case kMark:
        if (marks_.size() >= limits_.max_pickle_depth)
          fail("MARKs nested deeper than max_pickle_depth=" +
               std::to_string(limits_.max_pickle_depth));
        marks_.push_back(stack_.size());
        return;
      case kEmptyDict:
        return push(make(Type::kDict));
      case kEmptyList:
        return push(make(Type::kList));
      case kEmptyTuple:
        return push(make(Type::kTuple));
      case kTuple:
        return push(make_tuple(pop_mark("TUPLE")));
      case kTuple1:
      case kTuple2:
      case kTuple3: {
        const size_t n = op - kTuple1 + 1;
        std::vector<PickleValuePtr> items(n);
        for (size_t i = n; i-- > 0;) items[i] = pop("TUPLEn");
        return push(make_tuple(std::move(items)));
      }
      case kShortBinUnicode:
        return push_text(Type::kString,
                         read_text(read_le(1, "SHORT_BINUNICODE"), "SHORT_BINUNICODE"));
      case kBinUnicode:
        return push_text(Type::kString, read_text(read_le(4, "BINUNICODE"), "BINUNICODE"));
      case kBinUnicode8:
        return push_text(Type::kString, read_text(read_le(8, "BINUNICODE8"), "BINUNICODE8"));
      case kShortBinString:
        return push_text(Type::kString,
                         read_text(read_le(1, "SHORT_BINSTRING"), "SHORT_BINSTRING"));
      case kBinString: {
        const auto n = static_cast<int32_t>(read_le(4, "BINSTRING"));
        if (n < 0) fail("BINSTRING with negative length");
        return push_text(Type::kString, read_text(static_cast<uint64_t>(n), "BINSTRING"));
      }
      case kShortBinBytes:
        return push_text(Type::kBytes, read_text(read_le(1, "SHORT_BINBYTES"), "SHORT_BINBYTES"));
      case kBinBytes:
        return push_text(Type::kBytes, read_text(read_le(4, "BINBYTES"), "BINBYTES"));
      case kBinBytes8:
        return push_text(Type::kBytes, read_text(read_le(8, "BINBYTES8"), "BINBYTES8"));
      case kBinInt:
        return push_int(static_cast<int32_t>(read_le(4, "BININT")));
      case kBinInt1:
        return push_int(static_cast<int64_t>(read_le(1, "BININT1")));
      case kBinInt2:
        return push_int(static_cast<int64_t>(read_le(2, "BININT2")));
      case kLong1: {
        const auto n = read_le(1, "LONG1");
        if (n > 8)
          fail("LONG1 integer of " + std::to_string(n) + " bytes does not fit in 64 bits",
               std::nullopt, ErrorKind::kUnsupported);
        uint64_t x = read_le(n, "LONG1");
        if (n > 0 && n < 8 && (x >> (8 * n - 1)) & 1) x |= ~uint64_t{0} << (8 * n);  // sign-extend
        return push_int(static_cast<int64_t>(x));
      }
      case kBinFloat: {
        const uint8_t* p = take(8, "BINFLOAT");
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = (bits << 8) | p[i];  // big-endian
        PickleValuePtr v = make(Type::kFloat);
        v->real = std::bit_cast<double>(bits);
        return push(std::move(v));
      }
      case kNewTrue:
      case kNewFalse: {
        PickleValuePtr v = make(Type::kBool);
        v->boolean = op == kNewTrue;
        return push(std::move(v));
      }
      case kNone:
        return push(make(Type::kNone));
      case kBinPut:
        return memo_put(read_le(1, "BINPUT"));
      case kLongBinPut:
        return memo_put(read_le(4, "LONG_BINPUT"));
      case kMemoize:
        return memo_put(memo_.size());
      case kBinGet:
        return memo_get(read_le(1, "BINGET"));
      case kLongBinGet:
        return memo_get(read_le(4, "LONG_BINGET"));
      case kGlobal: {
        std::string module = read_line("GLOBAL module");
        std::string name = read_line("GLOBAL name");
        return push_global(module, name);
      }
      case kStackGlobal: {
        PickleValuePtr name = pop("STACK_GLOBAL");
        PickleValuePtr module = pop("STACK_GLOBAL");
        if (name->type != Type::kString || module->type != Type::kString)
          fail("STACK_GLOBAL needs two strings");
        return push_global(module->text, name->text);
      }
      case kReduce: {
        PickleValuePtr args = pop("REDUCE");
        PickleValuePtr callable = pop("REDUCE");
        return push(call(*callable, *args));
      }
      case kBuild: {
        PickleValuePtr state = pop("BUILD");
        const PickleValue& target = top("BUILD");
        // OrderedDict.__reduce__ gives its instance __dict__ (torch's `_metadata`) as the state.
        // It carries nothing we read, so it is dropped.
        if (target.type == Type::kDict && state->type == Type::kDict) return;
        fail(std::string("BUILD of a ") + pickle_type_name(target.type) + " with a " +
                 pickle_type_name(state->type) + " state is not allowed",
             std::nullopt, ErrorKind::kUnsafe);
      }
      case kSetItem: {
        std::vector<PickleValuePtr> kv(2);
        kv[1] = pop("SETITEM");
        kv[0] = pop("SETITEM");
        return set_items(kv, mutable_container("SETITEM", Type::kDict), "SETITEM");
      }
      case kSetItems: {
        std::vector<PickleValuePtr> kv = pop_mark("SETITEMS");
        return set_items(kv, mutable_container("SETITEMS", Type::kDict), "SETITEMS");
      }
      case kAppend: {
        PickleValuePtr v = pop("APPEND");
        PickleValue& list = mutable_container("APPEND", Type::kList);
        adopt(list, *v);
        list.items.push_back(std::move(v));
        return;
      }
      case kAppends: {
        std::vector<PickleValuePtr> vs = pop_mark("APPENDS");
        PickleValue& list = mutable_container("APPENDS", Type::kList);
        for (auto& v : vs) {
          adopt(list, *v);
          list.items.push_back(std::move(v));
        }
        return;
      }
      case kBinPersId: {
        PickleValuePtr pid = pop("BINPERSID");
        return push(persistent_load(*pid));
      }
      case 'i': {  // INST: module and name follow, then it calls the class on the MARKed args
        std::string module = read_line("INST module");
        std::string name = read_line("INST name");
        fail("INST of '" + printable(module + "." + name) +
                 "' is not allowed (torch.save never constructs objects this way); nothing was "
                 "executed",
             std::nullopt, ErrorKind::kUnsafe);
      }
      case 'o':   // OBJ
      case 0x81:  // NEWOBJ
      case 0x92:  // NEWOBJ_EX
        // Object construction opcodes call a class; torch.save state dicts never need them.
        fail("opcode " + opcode_text(op) +
                 " (object construction) is not allowed; nothing was executed",
             std::nullopt, ErrorKind::kUnsafe);
      default:
        fail("unknown or unsupported opcode " + opcode_text(op));
    }
  }

  std::span<const uint8_t> in_;
  const ReadLimits& limits_;
  size_t pos_ = 0;
  size_t op_pos_ = 0;
  std::vector<PickleValuePtr> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, PickleValuePtr> memo_;
};

}  // namespace

size_t storage_dtype_size(StorageDtype dtype) {
  switch (dtype) {
    case StorageDtype::kFloat32:
      return 4;
    case StorageDtype::kFloat16:
      return 2;
    case StorageDtype::kBFloat16:
      return 2;
    case StorageDtype::kFloat64:
      return 8;
    case StorageDtype::kInt64:
      return 8;
    case StorageDtype::kInt32:
      return 4;
    case StorageDtype::kInt16:
      return 2;
    case StorageDtype::kInt8:
      return 1;
    case StorageDtype::kUInt8:
      return 1;
    case StorageDtype::kBool:
      return 1;
  }
  return 1;
}

bool storage_dtype_is_float(StorageDtype dtype) {
  return dtype == StorageDtype::kFloat32 || dtype == StorageDtype::kFloat16 ||
         dtype == StorageDtype::kBFloat16 || dtype == StorageDtype::kFloat64;
}

std::string storage_dtype_name(StorageDtype dtype) {
  // The ONNX element type of the same name (core/strings.h holds the one table of names).
  switch (dtype) {
    case StorageDtype::kFloat32:
      return element_type_name(kOnnxFloat);
    case StorageDtype::kFloat16:
      return element_type_name(kOnnxFloat16);
    case StorageDtype::kBFloat16:
      return element_type_name(kOnnxBFloat16);
    case StorageDtype::kFloat64:
      return element_type_name(kOnnxDouble);
    case StorageDtype::kInt64:
      return element_type_name(kOnnxInt64);
    case StorageDtype::kInt32:
      return element_type_name(kOnnxInt32);
    case StorageDtype::kInt16:
      return element_type_name(kOnnxInt16);
    case StorageDtype::kInt8:
      return element_type_name(kOnnxInt8);
    case StorageDtype::kUInt8:
      return element_type_name(kOnnxUint8);
    case StorageDtype::kBool:
      return element_type_name(kOnnxBool);
  }
  return "?";
}

namespace {

// IEEE binary16 -> binary32, exact for every input.
inline float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exponent = (h >> 10) & 0x1f;
  const uint32_t mantissa = h & 0x3ff;
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24, exact in float32.
    const float magnitude = static_cast<float>(mantissa) * 5.9604644775390625e-8f;
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 31) return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
  return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

inline uint16_t load_u16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

}  // namespace

// The element loops copy through memcpy so unaligned storages are fine; on little-endian hosts
// they compile to plain loads.
static_assert(std::endian::native == std::endian::little,
              "checkpoint conversion assumes a little-endian host");

void convert_to_float32(StorageDtype dtype, const uint8_t* src, size_t count, size_t src_stride,
                        float* dst) {
  switch (dtype) {
    case StorageDtype::kFloat32:
      if (src_stride == 1) {
        if (count) std::memcpy(dst, src, count * sizeof(float));
        return;
      }
      for (size_t i = 0; i < count; ++i) std::memcpy(dst + i, src + i * src_stride * 4, 4);
      return;
    case StorageDtype::kFloat16:
      for (size_t i = 0; i < count; ++i) dst[i] = half_to_float(load_u16(src + i * src_stride * 2));
      return;
    case StorageDtype::kBFloat16:
      for (size_t i = 0; i < count; ++i)
        dst[i] =
            std::bit_cast<float>(static_cast<uint32_t>(load_u16(src + i * src_stride * 2)) << 16);
      return;
    case StorageDtype::kFloat64:
      for (size_t i = 0; i < count; ++i) {
        double d;
        std::memcpy(&d, src + i * src_stride * 8, 8);
        dst[i] = static_cast<float>(d);
      }
      return;
    default:
      throw Error(ErrorKind::kInvalidArgument,
                  "convert_to_float32: " + storage_dtype_name(dtype) + " is not a float type");
  }
}

const char* pickle_type_name(PickleValue::Type type) {
  switch (type) {
    case Type::kNone:
      return "None";
    case Type::kBool:
      return "bool";
    case Type::kInt:
      return "int";
    case Type::kFloat:
      return "float";
    case Type::kString:
      return "str";
    case Type::kBytes:
      return "bytes";
    case Type::kList:
      return "list";
    case Type::kTuple:
      return "tuple";
    case Type::kDict:
      return "dict";
    case Type::kGlobal:
      return "global";
    case Type::kStorage:
      return "storage";
    case Type::kTensor:
      return "tensor";
  }
  return "?";
}

const PickleValue* PickleValue::find(std::string_view key) const {
  if (type != Type::kDict) return nullptr;
  for (auto it = entries.rbegin(); it != entries.rend(); ++it)
    if (it->first->type == Type::kString && it->first->text == key) return it->second.get();
  return nullptr;
}

PickleValuePtr unpickle(std::span<const uint8_t> bytes, const ReadLimits& limits) {
  return Unpickler(bytes, limits).run();
}

}  // namespace yoloxrt::core
