#include "core/pickle.h"

#include <bit>
#include <cmath>
#include <cstring>

#include <gtest/gtest.h>

#include "yoloxrt/error.h"

namespace yoloxrt::core {
namespace {

using Type = PickleValue::Type;

// Assembles pickle bytes by hand, opcode by opcode.
class P {
 public:
  P& op(uint8_t c) {
    s_.push_back(static_cast<char>(c));
    return *this;
  }
  P& raw(std::string_view r) {
    s_.append(r);
    return *this;
  }
  P& le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) s_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    return *this;
  }
  P& proto(int v = 2) { return op(0x80).le(v, 1); }
  P& str(std::string_view v) { return op('X').le(v.size(), 4).raw(v); }
  P& short_str(std::string_view v) { return op(0x8c).le(v.size(), 1).raw(v); }
  P& int1(uint8_t v) { return op('K').le(v, 1); }
  P& global(std::string_view module, std::string_view name) {
    return op('c').raw(module).raw("\n").raw(name).raw("\n");
  }
  P& stop() { return op('.'); }
  std::span<const uint8_t> bytes() const {
    return {reinterpret_cast<const uint8_t*>(s_.data()), s_.size()};
  }
  const std::string& str_bytes() const { return s_; }

 private:
  std::string s_;
};

PickleValuePtr run(const P& p, const ReadLimits& limits = {}) {
  return unpickle(p.bytes(), limits);
}

Error error_of(const P& p, const ReadLimits& limits = {}) {
  try {
    run(p, limits);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no Error thrown";
  return Error(ErrorKind::kRuntime, "none");
}

void expect_error(const P& p, ErrorKind kind, std::string_view needle,
                  const ReadLimits& limits = {}) {
  const Error e = error_of(p, limits);
  EXPECT_EQ(e.kind(), kind) << e.what();
  EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
}

TEST(PickleTest, Scalars) {
  P p;
  p.proto().op('(');
  p.op('J').le(static_cast<uint32_t>(-5), 4);  // BININT
  p.int1(200);
  p.op('M').le(60000, 2);
  p.op(0x8a).le(0, 1);                                    // LONG1 zero
  p.op(0x8a).le(5, 1).le(0xff, 1).le(0, 4);               // LONG1 255 as 5 bytes
  p.op(0x8a).le(2, 1).le(0xff7f, 2);                      // LONG1 -129
  p.op(0x8a).le(8, 1).le(0x8000000000000000ull, 8);       // INT64_MIN
  p.op('G').raw(std::string("\x3f\xf8\0\0\0\0\0\0", 8));  // 1.5 big-endian
  p.op('N').op(0x88).op(0x89);
  p.op('t').stop();
  auto v = run(p);
  ASSERT_EQ(v->type, Type::kTuple);
  ASSERT_EQ(v->items.size(), 11u);
  EXPECT_EQ(v->items[0]->integer, -5);
  EXPECT_EQ(v->items[1]->integer, 200);
  EXPECT_EQ(v->items[2]->integer, 60000);
  EXPECT_EQ(v->items[3]->integer, 0);
  EXPECT_EQ(v->items[4]->integer, 255);
  EXPECT_EQ(v->items[5]->integer, -129);
  EXPECT_EQ(v->items[6]->integer, INT64_MIN);
  EXPECT_EQ(v->items[7]->real, 1.5);
  EXPECT_EQ(v->items[8]->type, Type::kNone);
  EXPECT_TRUE(v->items[9]->boolean);
  EXPECT_FALSE(v->items[10]->boolean);
}

TEST(PickleTest, StringsAndBytes) {
  P p;
  p.proto(4).op(0x95).le(0, 8);  // FRAME (contents inline)
  p.op('(');
  p.str("unicode");
  p.short_str("short");
  p.op(0x8d).le(3, 8).raw("u8!");
  p.op('U').le(2, 1).raw("bs");
  p.op('T').le(3, 4).raw("bin");
  p.op('C').le(1, 1).raw("b");
  p.op('B').le(2, 4).raw("by");
  p.op(0x8e).le(1, 8).raw("z");
  p.op('t').stop();
  auto v = run(p);
  ASSERT_EQ(v->items.size(), 8u);
  const char* want[] = {"unicode", "short", "u8!", "bs", "bin", "b", "by", "z"};
  for (size_t i = 0; i < 8; ++i) EXPECT_EQ(v->items[i]->text, want[i]);
  EXPECT_EQ(v->items[0]->type, Type::kString);
  EXPECT_EQ(v->items[5]->type, Type::kBytes);
}

TEST(PickleTest, ContainersAndMemo) {
  P p;
  p.proto();
  p.op('}').op('q').le(0, 1);  // d = {}; memo[0] = d
  p.op('(');
  p.str("list").op(']').op('q').le(1, 1).op('(').int1(1).int1(2).op('e').int1(3).op('a');
  p.str("tuples").op(')').int1(1).op(0x85).int1(1).int1(2).op(0x86).op(0x87);
  p.str("shared").op('h').le(1, 1);          // the same list again
  p.str("memoize").short_str("m").op(0x94);  // memo[2] = "m"
  p.op('r').le(70000, 4);                    // memo[70000] = "m" as well
  p.op('u');
  p.str("again").op('j').le(70000, 4).op('s');  // LONG_BINGET
  p.stop();
  auto d = run(p);
  ASSERT_EQ(d->type, Type::kDict);
  const PickleValue* list = d->find("list");
  ASSERT_NE(list, nullptr);
  ASSERT_EQ(list->items.size(), 3u);
  EXPECT_EQ(list->items[2]->integer, 3);
  EXPECT_EQ(d->find("shared"), list);
  const PickleValue* tuples = d->find("tuples");
  ASSERT_EQ(tuples->items.size(), 3u);
  EXPECT_EQ(tuples->items[0]->items.size(), 0u);
  EXPECT_EQ(tuples->items[2]->items.size(), 2u);
  EXPECT_EQ(d->find("again")->text, "m");
  EXPECT_EQ(d->find("missing"), nullptr);
}

TEST(PickleTest, TorchTensorAndOrderedDictWithMetadata) {
  // What torch.save writes for OrderedDict([("w", Parameter(tensor of shape [2,3]))]) plus the
  // `_metadata` attribute restored by BUILD.
  P p;
  p.proto().global("collections", "OrderedDict").op('q').le(0, 1).op(')').op('R').op('(');
  p.str("w").global("torch._utils", "_rebuild_parameter");
  p.global("torch._utils", "_rebuild_tensor_v2");
  p.op('(').op('(').str("storage").global("torch", "HalfStorage").str("7").str("cuda:0").int1(12);
  p.op('t').op('Q');
  p.int1(3);                                                     // storage offset
  p.int1(2).int1(3).op(0x86);                                    // size
  p.int1(1).int1(2).op(0x86);                                    // stride (transposed)
  p.op(0x89).op('h').le(0, 1).op(')').op('R').op('t').op('R');   // False, OrderedDict()
  p.op(0x88).op('h').le(0, 1).op(')').op('R').op(0x87).op('R');  // _rebuild_parameter(t, True, {})
  p.op('u');
  p.op('}').str("_metadata").op('}').op('s').op('b');  // BUILD {'_metadata': {}}
  p.stop();
  auto d = run(p);
  const PickleValue* w = d->find("w");
  ASSERT_NE(w, nullptr);
  ASSERT_EQ(w->type, Type::kTensor);
  const TensorRef& t = *w->tensor;
  EXPECT_EQ(t.storage->dtype, StorageDtype::kFloat16);
  EXPECT_EQ(t.storage->key, "7");
  EXPECT_EQ(t.storage->location, "cuda:0");
  EXPECT_EQ(t.storage->numel, 12);
  EXPECT_EQ(t.offset, 3);
  EXPECT_EQ(t.size, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(t.stride, (std::vector<int64_t>{1, 2}));
}

TEST(PickleTest, StackGlobalOfAllowedName) {
  P p;
  p.proto(4).short_str("collections").short_str("OrderedDict").op(0x93).op(')').op('R').stop();
  EXPECT_EQ(run(p)->type, Type::kDict);
}

TEST(PickleTest, DisallowedGlobalsAreUnsafe) {
  const std::pair<const char*, const char*> bad[] = {{"os", "system"},
                                                     {"posix", "system"},
                                                     {"builtins", "eval"},
                                                     {"builtins", "exec"},
                                                     {"__builtin__", "eval"},
                                                     {"subprocess", "Popen"},
                                                     {"subprocess", "check_output"},
                                                     {"torch", "load"},
                                                     {"collections", "OrderedDictX"},
                                                     {"torch._utils", "_rebuild_tensor"},
                                                     {"numpy.core.multiarray", "_reconstruct"}};
  for (const auto& [module, name] : bad) {
    const std::string full = std::string(module) + "." + name;
    P p;
    p.proto().global(module, name).str("touch /tmp/pwned").op(0x85).op('R').stop();
    expect_error(p, ErrorKind::kUnsafe, "global '" + full + "' is not allowed");
    // The STACK_GLOBAL route is checked the same way.
    P q;
    q.proto(4).short_str(module).short_str(name).op(0x93).str("x").op(0x85).op('R').stop();
    expect_error(q, ErrorKind::kUnsafe, "global '" + full + "' is not allowed");
  }
}

TEST(PickleTest, GlobalNameWithControlBytesIsEscaped) {
  P p;
  p.proto().op('c').raw("os\x01\n").raw("system\n").stop();
  expect_error(p, ErrorKind::kUnsafe, "os\\x01.system");
}

TEST(PickleTest, ReduceOnStorageTypeIsUnsafe) {
  P p;
  p.proto().global("torch", "FloatStorage").op(')').op('R').stop();
  expect_error(p, ErrorKind::kUnsafe, "torch.FloatStorage");
}

TEST(PickleTest, ReduceOnNonGlobalIsUnsafe) {
  P p;
  p.proto().str("os.system").op(')').op('R').stop();
  expect_error(p, ErrorKind::kUnsafe, "REDUCE on a str");
}

TEST(PickleTest, BuildOnlyAcceptsDictStateOnDict) {
  P ok;
  ok.proto().op('}').op('}').op('b').stop();
  EXPECT_EQ(run(ok)->type, Type::kDict);
  P list;
  list.proto().op(']').op('}').op('b').stop();
  expect_error(list, ErrorKind::kUnsafe, "BUILD of a list");
  P tuple_state;
  tuple_state.proto().op('}').op('N').op('}').op(0x86).op('b').stop();
  expect_error(tuple_state, ErrorKind::kUnsafe, "BUILD of a dict with a tuple state");
}

TEST(PickleTest, DeepListNestingHitsTheLimit) {
  P p;
  p.proto();
  for (int i = 0; i < 100000; ++i) p.op(']');
  for (int i = 0; i < 99999; ++i) p.op('a');
  p.stop();
  expect_error(p, ErrorKind::kCorrupt, "max_pickle_depth=256");
}

TEST(PickleTest, DeepTupleNestingHitsTheLimit) {
  P p;
  p.proto().op(')');
  for (int i = 0; i < 100000; ++i) p.op(0x85);
  p.stop();
  expect_error(p, ErrorKind::kCorrupt, "max_pickle_depth");
}

TEST(PickleTest, NestingAtTheLimitIsFine) {
  ReadLimits limits;
  limits.max_pickle_depth = 10;
  P ok;
  ok.proto().op(')');
  for (int i = 0; i < 9; ++i) ok.op(0x85);  // depth 10
  ok.stop();
  EXPECT_EQ(run(ok, limits)->depth, 10u);
  P over;
  over.proto().op(')');
  for (int i = 0; i < 10; ++i) over.op(0x85);
  over.stop();
  expect_error(over, ErrorKind::kCorrupt, "max_pickle_depth=10", limits);
}

TEST(PickleTest, ManyMarksHitTheLimit) {
  P p;
  p.proto();
  for (int i = 0; i < 100000; ++i) p.op('(');
  p.stop();
  expect_error(p, ErrorKind::kCorrupt, "MARKs nested deeper");
}

TEST(PickleTest, UndefinedOrHugeMemoIndexIsCorrupt) {
  P p;
  p.proto().op('j').le(0xffffffffu, 4).stop();
  expect_error(p, ErrorKind::kCorrupt, "memo index 4294967295 is not defined");
  P q;
  q.proto().op('h').le(3, 1).stop();
  expect_error(q, ErrorKind::kCorrupt, "memo index 3");
}

TEST(PickleTest, HugeMemoPutIndexDoesNotAllocate) {
  P p;
  p.proto().op('N').op('r').le(0xfffffffeu, 4).op('j').le(0xfffffffeu, 4).stop();
  EXPECT_EQ(run(p)->type, Type::kNone);
}

TEST(PickleTest, MemoSizeIsLimited) {
  ReadLimits limits;
  limits.max_memo_entries = 100;
  P p;
  p.proto().op('N');
  for (uint32_t i = 0; i < 200; ++i) p.op('r').le(i, 4);
  p.stop();
  expect_error(p, ErrorKind::kCorrupt, "max_memo_entries=100", limits);
}

TEST(PickleTest, UnknownOpcodeNamesByteAndOffset) {
  P p;
  p.proto().op('N').op(0xff).stop();
  const Error e = error_of(p);
  EXPECT_EQ(e.kind(), ErrorKind::kCorrupt);
  EXPECT_NE(e.message().find("0xff"), std::string::npos) << e.what();
  EXPECT_EQ(e.offset(), 3u);
}

TEST(PickleTest, ObjectConstructionOpcodesAreUnsafe) {
  // INST, OBJ, NEWOBJ and NEWOBJ_EX call a class: torch.save never needs them.
  P inst;
  inst.proto().op('(').str("id").raw("ios\nsystem\n").stop();
  expect_error(inst, ErrorKind::kUnsafe, "INST of 'os.system' is not allowed");
  for (const uint8_t op : {uint8_t{'o'}, uint8_t{0x81}, uint8_t{0x92}}) {
    P p;
    p.proto().op(op).stop();
    const Error e = error_of(p);
    EXPECT_EQ(e.kind(), ErrorKind::kUnsafe) << e.what();
    EXPECT_NE(e.message().find("object construction"), std::string::npos) << e.what();
  }
}

TEST(PickleTest, LengthsBeyondTheInputAreTruncation) {
  P a;
  a.proto().op('X').le(1000, 4).raw("abc");
  expect_error(a, ErrorKind::kCorrupt, "truncated: BINUNICODE needs 1000 bytes but only 3 remain");
  P b;
  b.proto().op(0x8d).le(0x7fffffffffffffffull, 8).raw("abc");
  expect_error(b, ErrorKind::kCorrupt, "truncated");
  P c;
  c.proto().op(0x8e).le(~0ull, 8);
  expect_error(c, ErrorKind::kCorrupt, "truncated");
  P d;
  d.proto().op(0x95).le(1ull << 40, 8).op('N').stop();
  expect_error(d, ErrorKind::kCorrupt, "FRAME");
  P e;
  e.proto().op('T').le(0x80000000u, 4);
  expect_error(e, ErrorKind::kCorrupt, "negative length");
}

TEST(PickleTest, StructuralErrors) {
  P no_stop;
  no_stop.proto().op('N');
  expect_error(no_stop, ErrorKind::kCorrupt, "without a STOP");
  P underflow;
  underflow.proto().op('R').stop();
  expect_error(underflow, ErrorKind::kCorrupt, "stack underflow in REDUCE");
  P across_mark;  // items below a MARK are not reachable by APPEND
  across_mark.proto().op(']').op('(').op('a').stop();
  expect_error(across_mark, ErrorKind::kCorrupt, "stack underflow");
  P no_mark;
  no_mark.proto().op('t').stop();
  expect_error(no_mark, ErrorKind::kCorrupt, "TUPLE without a MARK");
  P odd;
  odd.proto().op('}').op('(').op('N').op('u').stop();
  expect_error(odd, ErrorKind::kCorrupt, "odd number");
  P wrong;
  wrong.proto().op(']').op('N').op('N').op('s').stop();
  expect_error(wrong, ErrorKind::kCorrupt, "SETITEM expects a dict but found a list");
  P wide;
  wide.proto().op(0x8a).le(9, 1).le(0, 8).le(0, 1).stop();
  expect_error(wide, ErrorKind::kUnsupported, "64 bits");
  P proto9;
  proto9.proto(9).op('N').stop();
  expect_error(proto9, ErrorKind::kUnsupported, "protocol 9");
  P empty;
  expect_error(empty, ErrorKind::kCorrupt, "without a STOP");
}

TEST(PickleTest, SelfReferenceAndCyclesAreRefused) {
  P self;
  self.proto().op(']').op('q').le(0, 1).op('h').le(0, 1).op('a').stop();
  expect_error(self, ErrorKind::kUnsupported, "contain itself");
  // a = []; b = []; a.append(b); b.append(a) -> b is already inside a.
  P cycle;
  cycle.proto().op(']').op('q').le(0, 1).op(']').op('q').le(1, 1).op('a');
  cycle.op('h').le(1, 1).op('h').le(0, 1).op('a').stop();
  expect_error(cycle, ErrorKind::kUnsupported, "already nested");
}

TEST(PickleTest, RebuildTensorArgumentsAreChecked) {
  auto tensor_pickle = [](auto&& size_and_stride) {
    P p;
    p.proto().global("torch._utils", "_rebuild_tensor_v2").op('(');
    p.op('(')
        .str("storage")
        .global("torch", "FloatStorage")
        .str("0")
        .str("cpu")
        .int1(4)
        .op('t')
        .op('Q');
    p.int1(0);
    size_and_stride(p);
    p.op(0x89).op('}').op('t').op('R').stop();
    return p;
  };
  expect_error(tensor_pickle([](P& p) { p.int1(2).op(0x85).int1(1).int1(1).op(0x86); }),
               ErrorKind::kCorrupt, "1 sizes but 2 strides");
  expect_error(tensor_pickle([](P& p) { p.op('J').le(0xffffffffu, 4).op(0x85).int1(1).op(0x85); }),
               ErrorKind::kCorrupt, "negative value -1");
  expect_error(tensor_pickle([](P& p) { p.str("2").op(0x85).int1(1).op(0x85); }),
               ErrorKind::kCorrupt, "must be an int");
  P bad_pid;
  bad_pid.proto().str("storage").op(0x85).op('Q').stop();
  expect_error(bad_pid, ErrorKind::kCorrupt, "persistent id");
  P not_storage;
  not_storage.proto()
      .op('(')
      .str("storage")
      .global("collections", "OrderedDict")
      .str("0")
      .str("cpu")
      .int1(1);
  not_storage.op('t').op('Q').stop();
  expect_error(not_storage, ErrorKind::kCorrupt, "not a storage type");
}

TEST(PickleTest, EveryTruncationIsAnError) {
  P p;
  p.proto().global("collections", "OrderedDict").op('q').le(0, 1).op(')').op('R').op('(');
  p.str("w").global("torch._utils", "_rebuild_tensor_v2").op('(');
  p.op('(').str("storage").global("torch", "FloatStorage").str("0").str("cpu").op('M').le(300, 2);
  p.op('t').op('Q').int1(0).int1(3).op(0x85).int1(1).op(0x85).op(0x89).op('h').le(0, 1);
  p.op(')').op('R').op('t').op('R').op('u').stop();
  ASSERT_NO_THROW(run(p));
  const std::string& full = p.str_bytes();
  for (size_t n = 0; n + 1 < full.size(); ++n) {
    P cut;
    cut.raw(full.substr(0, n));
    const Error e = error_of(cut);
    EXPECT_EQ(e.kind(), ErrorKind::kCorrupt) << n << ": " << e.what();
  }
}

TEST(PickleTest, ConvertToFloat32) {
  // float16: 1.0, -2.0, 65504, smallest subnormal, -0, inf, nan
  const uint16_t half[] = {0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000, 0x7c00, 0x7e00};
  float out[7];
  convert_to_float32(StorageDtype::kFloat16, reinterpret_cast<const uint8_t*>(half), 7, 1, out);
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], -2.0f);
  EXPECT_EQ(out[2], 65504.0f);
  EXPECT_EQ(out[3], std::ldexp(1.0f, -24));
  EXPECT_TRUE(out[4] == 0.0f && std::signbit(out[4]));
  EXPECT_TRUE(std::isinf(out[5]));
  EXPECT_TRUE(std::isnan(out[6]));
  // bfloat16: the top half of a float32.
  const uint16_t bf[] = {0x3f80, 0xc0a0, 0x0001};
  convert_to_float32(StorageDtype::kBFloat16, reinterpret_cast<const uint8_t*>(bf), 3, 1, out);
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], -5.0f);
  EXPECT_EQ(out[2], std::bit_cast<float>(0x00010000u));
  // float64 with a stride of 2.
  const double d[] = {0.1, 99, -3.25, 99, 1e300};
  convert_to_float32(StorageDtype::kFloat64, reinterpret_cast<const uint8_t*>(d), 3, 2, out);
  EXPECT_EQ(out[0], 0.1f);
  EXPECT_EQ(out[1], -3.25f);
  EXPECT_TRUE(std::isinf(out[2]));
  // Every float16 bit pattern converts like the reference formula.
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const uint16_t v = static_cast<uint16_t>(h);
    float f;
    convert_to_float32(StorageDtype::kFloat16, reinterpret_cast<const uint8_t*>(&v), 1, 1, &f);
    const int e = (h >> 10) & 0x1f, m = h & 0x3ff;
    const float sign = (h & 0x8000) ? -1.0f : 1.0f;
    if (e == 31) {
      EXPECT_TRUE(m ? std::isnan(f) : std::isinf(f)) << h;
    } else {
      const float want = e == 0 ? sign * std::ldexp(static_cast<float>(m), -24)
                                : sign * std::ldexp(1.0f + m / 1024.0f, e - 15);
      ASSERT_EQ(f, want) << h;
    }
  }
}

}  // namespace
}  // namespace yoloxrt::core
