#include <chrono>
#include <cmath>
#include <cstring>
#include <random>

#include <gtest/gtest.h>

#include "core/zip_reader.h"
#include "support/test_support.h"
#include "yoloxrt/checkpoint.h"
#include "yoloxrt/error.h"
#include "yoloxrt/file_io.h"

namespace yoloxrt {
namespace {

std::span<const uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

template <typename F>
Error error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no Error thrown";
  return Error(ErrorKind::kRuntime, "none");
}

// Expects `expr` to throw an Error of `want_kind` whose what() contains `want_text`.
#define EXPECT_ERROR(expr, want_kind, want_text)                                       \
  do {                                                                                 \
    const Error e_ = error_of([&] { (void)(expr); });                                  \
    EXPECT_EQ(e_.kind(), want_kind) << e_.what();                                      \
    EXPECT_NE(std::string(e_.what()).find(want_text), std::string::npos) << e_.what(); \
  } while (0)

Tensor make_tensor(std::vector<int64_t> shape, float seed) {
  Tensor t;
  t.shape = std::move(shape);
  t.data.resize(static_cast<size_t>(t.numel()));
  for (size_t i = 0; i < t.data.size(); ++i) t.data[i] = seed + 0.25f * static_cast<float>(i);
  return t;
}

StateDict sample_state() {
  StateDict sd;
  sd.set("conv.weight", make_tensor({4, 3, 3, 3}, -7.0f));
  sd.set("conv.bias", make_tensor({4}, 1.0f));
  sd.set("scalar", make_tensor({}, 42.0f));
  sd.set("empty", make_tensor({0, 3}, 0.0f));
  sd.set("a.b", make_tensor({1, 1, 300}, 3.0f));  // 300 > 255: BININT2 sizes
  return sd;
}

void expect_same(const StateDict& a, const StateDict& b) {
  ASSERT_EQ(a.names(), b.names());
  for (const auto& name : a.names()) {
    EXPECT_EQ(a.at(name).shape, b.at(name).shape) << name;
    EXPECT_EQ(a.at(name).data, b.at(name).data) << name;
  }
}

// Hand-assembled torch.save archives, for what write_torch_checkpoint never produces (other
// dtypes, offsets, strides, shared storages).
class PickleBytes {
 public:
  PickleBytes() { s_ += "\x80\x02"; }
  PickleBytes& op(char c) { return s_ += c, *this; }
  PickleBytes& raw(std::string_view r) { return s_ += r, *this; }
  PickleBytes& str(std::string_view v) {
    s_ += 'X';
    for (int i = 0; i < 4; ++i) s_ += static_cast<char>((v.size() >> (8 * i)) & 0xff);
    return raw(v);
  }
  PickleBytes& integer(int64_t v) {
    s_ += "\x8a\x08";
    for (int i = 0; i < 8; ++i)
      s_ += static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xff);
    return *this;
  }
  PickleBytes& ints(const std::vector<int64_t>& v) {
    op('(');
    for (int64_t x : v) integer(x);
    return op('t');
  }
  PickleBytes& global(std::string_view m, std::string_view n) {
    return op('c').raw(m).raw("\n").raw(n).raw("\n");
  }
  // Pushes _rebuild_tensor_v2(('storage', torch.<type>, key, 'cpu', numel), offset, size, stride,
  // False, OrderedDict()).
  PickleBytes& tensor(std::string_view type, std::string_view key, int64_t numel, int64_t offset,
                      const std::vector<int64_t>& size, const std::vector<int64_t>& stride) {
    global("torch._utils", "_rebuild_tensor_v2").op('(');
    op('(').str("storage").global("torch", type).str(key).str("cpu").integer(numel).op('t').op('Q');
    integer(offset).ints(size).ints(stride).op('\x89');
    global("collections", "OrderedDict").op(')').op('R');
    return op('t').op('R');
  }
  std::string finish() { return s_ + "."; }

 private:
  std::string s_;
};

std::string archive(const std::string& pkl,
                    const std::vector<std::pair<std::string, std::string>>& data,
                    const std::string& prefix = "arch/") {
  core::ZipWriter w;
  w.add(prefix + "data.pkl", pkl);
  for (const auto& [key, bytes] : data) w.add(prefix + "data/" + key, bytes);
  w.add(prefix + "version", std::string_view("3\n"));
  return w.finish();
}

template <typename T>
std::string raw_bytes(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

TEST(TorchCheckpointTest, RoundTripShapesValuesAndOrder) {
  const StateDict sd = sample_state();
  const std::string bytes = write_torch_checkpoint(sd, "model_name");
  expect_same(read_torch_checkpoint(as_bytes(bytes)), sd);
  // Layout: entries under the archive name, data 64-byte aligned.
  core::ZipReader zip(as_bytes(bytes));
  ASSERT_NE(zip.find("model_name/data.pkl"), nullptr);
  ASSERT_NE(zip.find("model_name/version"), nullptr);
  auto version = zip.data(*zip.find("model_name/version"));
  EXPECT_EQ(std::string(version.begin(), version.end()), "3\n");
  for (const auto& e : zip.entries()) {
    if (e.name.find("/data/") != std::string::npos) {
      EXPECT_EQ(e.data_offset % 64, 0u) << e.name;
    }
  }
}

TEST(TorchCheckpointTest, RoundTripEmptyStateDict) {
  const std::string bytes = write_torch_checkpoint(StateDict{}, "empty");
  EXPECT_TRUE(read_torch_checkpoint(as_bytes(bytes)).empty());
}

TEST(TorchCheckpointTest, RoundTripManyTensorsUsesLongMemo) {
  // More than 256 memo entries would need LONG_BINPUT; more than 1000 items span SETITEMS batches.
  StateDict sd;
  for (int i = 0; i < 1500; ++i) sd.set("t" + std::to_string(1499 - i), make_tensor({2}, float(i)));
  expect_same(read_torch_checkpoint(as_bytes(write_torch_checkpoint(sd, "x"))), sd);
}

TEST(TorchCheckpointTest, WrapKeyAndContainerPreference) {
  const StateDict sd = sample_state();
  for (const char* key : {"model", "state_dict", "ema"}) {
    const std::string bytes = write_torch_checkpoint(sd, "w", key);
    expect_same(read_torch_checkpoint(as_bytes(bytes)), sd);
  }
  // {"ema": A, "model": B}: "model" is preferred whatever the order.
  PickleBytes p;
  p.op('}').op('(');
  p.str("ema").global("collections", "OrderedDict").op(')').op('R').op('(');
  p.str("e").tensor("FloatStorage", "0", 1, 0, {1}, {1}).op('u');
  p.str("optimizer").op('}').op('(').str("state").op('}').op('u');  // ignored
  p.str("epoch").integer(300);
  p.str("model").global("collections", "OrderedDict").op(')').op('R').op('(');
  p.str("m").tensor("FloatStorage", "1", 1, 0, {1}, {1}).op('u');
  p.op('u');
  const std::string z = archive(p.finish(), {{"0", raw_bytes(std::vector<float>{1})},
                                             {"1", raw_bytes(std::vector<float>{2})}});
  const StateDict got = read_torch_checkpoint(as_bytes(z));
  ASSERT_EQ(got.names(), std::vector<std::string>{"m"});
  EXPECT_EQ(got.at("m").data[0], 2.0f);
}

TEST(TorchCheckpointTest, ConvertsHalfBFloat16AndDoubleAndSkipsIntegers) {
  const std::vector<uint16_t> half = {0x3c00, 0xc000, 0x3800};          // 1, -2, 0.5
  const std::vector<uint16_t> bf16 = {0x3f80, 0x4040, 0xbf00, 0x0000};  // 1, 3, -0.5, 0
  const std::vector<double> f64 = {0.1, -1e-3, 12345.678};
  const std::vector<int64_t> i64 = {7};
  PickleBytes p;
  p.global("collections", "OrderedDict").op(')').op('R').op('(');
  p.str("h").tensor("HalfStorage", "h", 3, 0, {3}, {1});
  p.str("b").tensor("BFloat16Storage", "b", 4, 0, {2, 2}, {2, 1});
  p.str("d").tensor("DoubleStorage", "d", 3, 0, {3}, {1});
  p.str("bn.num_batches_tracked").tensor("LongStorage", "i", 1, 0, {}, {});
  p.str("mask").tensor("BoolStorage", "i", 1, 0, {}, {});
  p.op('u');
  const std::string z = archive(p.finish(), {{"h", raw_bytes(half)},
                                             {"b", raw_bytes(bf16)},
                                             {"d", raw_bytes(f64)},
                                             {"i", raw_bytes(i64)}});
  const StateDict sd = read_torch_checkpoint(as_bytes(z));
  ASSERT_EQ(sd.names(), (std::vector<std::string>{"h", "b", "d"}));
  EXPECT_EQ(sd.at("h").data, (std::vector<float>{1.0f, -2.0f, 0.5f}));
  EXPECT_EQ(sd.at("b").shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(sd.at("b").data, (std::vector<float>{1.0f, 3.0f, -0.5f, 0.0f}));
  EXPECT_EQ(sd.at("d").data, (std::vector<float>{0.1f, -1e-3f, 12345.678f}));
}

TEST(TorchCheckpointTest, NonFiniteWeightsAreRefusedUnlessAllowed) {
  for (const float bad : {std::nanf(""), INFINITY, -INFINITY}) {
    StateDict sd = sample_state();
    sd.at("conv.bias").data[2] = bad;
    const std::string z = write_torch_checkpoint(sd, "archive");
    EXPECT_ERROR(read_torch_checkpoint(as_bytes(z)), ErrorKind::kCorrupt,
                 "tensor 'conv.bias' of shape [4] holds 1 non-finite value");
    ReadLimits allow;
    allow.allow_non_finite = true;
    EXPECT_EQ(read_torch_checkpoint(as_bytes(z), allow).at("conv.bias").data.size(), 4u);
  }
  StateDict sd = sample_state();
  EXPECT_NO_THROW(check_finite_weights(sd));
  sd.at("a.b").data[7] = std::nanf("");
  sd.at("a.b").data[9] = INFINITY;
  EXPECT_ERROR(check_finite_weights(sd), ErrorKind::kCorrupt, "2 non-finite values");
  EXPECT_ERROR(check_finite_weights(sd), ErrorKind::kCorrupt, "at index 7, is NaN");
}

TEST(TorchCheckpointTest, GathersStridedViewsWithOffsets) {
  // Storage 0..23; views share it.
  std::vector<float> storage(24);
  for (int i = 0; i < 24; ++i) storage[i] = static_cast<float>(i);
  PickleBytes p;
  p.global("collections", "OrderedDict").op(')').op('R').op('(');
  p.str("transposed").tensor("FloatStorage", "s", 24, 0, {4, 6}, {1, 4});  // (6,4).T
  p.str("offset_slice").tensor("FloatStorage", "s", 24, 5, {2, 3}, {6, 2});
  p.str("broadcast").tensor("FloatStorage", "s", 24, 23, {3, 2}, {0, 0});
  p.str("size_one_dims").tensor("FloatStorage", "s", 24, 2, {1, 3, 1}, {99, 1, 7});
  p.str("param").global("torch._utils", "_rebuild_parameter").op('(');
  p.tensor("FloatStorage", "s", 24, 20, {2, 2}, {1, 2}).op('\x88');
  p.global("collections", "OrderedDict").op(')').op('R').op('t').op('R');
  p.op('u');
  const StateDict sd =
      read_torch_checkpoint(as_bytes(archive(p.finish(), {{"s", raw_bytes(storage)}})));
  std::vector<float> want;
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 6; ++c) want.push_back(static_cast<float>(c * 4 + r));
  EXPECT_EQ(sd.at("transposed").data, want);
  EXPECT_EQ(sd.at("offset_slice").data, (std::vector<float>{5, 7, 9, 11, 13, 15}));
  EXPECT_EQ(sd.at("broadcast").data, std::vector<float>(6, 23.0f));
  EXPECT_EQ(sd.at("size_one_dims").data, (std::vector<float>{2, 3, 4}));
  EXPECT_EQ(sd.at("param").data, (std::vector<float>{20, 22, 21, 23}));
}

TEST(TorchCheckpointTest, AnyArchivePrefix) {
  const StateDict sd = sample_state();
  for (const char* name : {"archive", "yolox_tiny", "with space", "ünïcode"})
    expect_same(read_torch_checkpoint(as_bytes(write_torch_checkpoint(sd, name))), sd);
  // No folder at all.
  PickleBytes p;
  p.global("collections", "OrderedDict").op(')').op('R').op('(');
  p.str("x").tensor("FloatStorage", "0", 1, 0, {1}, {1}).op('u');
  const std::string z = archive(p.finish(), {{"0", raw_bytes(std::vector<float>{5})}}, "");
  EXPECT_EQ(read_torch_checkpoint(as_bytes(z)).at("x").data[0], 5.0f);
}

TEST(TorchCheckpointTest, WriterRejectsBadInput) {
  StateDict sd;
  Tensor t = make_tensor({2, 2}, 0);
  t.data.pop_back();
  sd.set("short", t);
  EXPECT_ERROR(write_torch_checkpoint(sd, "a"), ErrorKind::kInvalidArgument, "short");
  EXPECT_ERROR(write_torch_checkpoint(StateDict{}, "a/b"), ErrorKind::kInvalidArgument, "a/b");
  EXPECT_ERROR(write_torch_checkpoint(StateDict{}, ""), ErrorKind::kInvalidArgument,
               "archive name");
}

// --- bad inputs ------------------------------------------------------------------------------

TEST(TorchCheckpointTest, EmptyAndGarbageInput) {
  EXPECT_ERROR(read_torch_checkpoint({}), ErrorKind::kCorrupt, "empty input");
  std::mt19937 rng(3);
  std::string junk(10000, '\0');
  for (auto& c : junk) c = static_cast<char>(rng() % 0x7f + 1);
  EXPECT_ERROR(read_torch_checkpoint(as_bytes(junk)), ErrorKind::kCorrupt, "no 'PK' magic");
  junk[0] = 'P', junk[1] = 'K';
  EXPECT_ERROR(read_torch_checkpoint(as_bytes(junk)), ErrorKind::kCorrupt,
               "end-of-central-directory");
}

TEST(TorchCheckpointTest, LegacyFormatIsUnsupported) {
  // The start of a pre-1.6 torch.save file: PROTO 2, LONG1 magic number.
  const std::string legacy("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.", 15);
  EXPECT_ERROR(read_torch_checkpoint(as_bytes(legacy)), ErrorKind::kUnsupported,
               "legacy (pre-1.6)");
}

TEST(TorchCheckpointTest, EveryTruncationIsAnError) {
  const std::string bytes = write_torch_checkpoint(sample_state(), "t");
  for (size_t n = 0; n < bytes.size(); ++n) {
    try {
      read_torch_checkpoint(as_bytes(bytes).first(n));
      ADD_FAILURE() << "truncation to " << n << " bytes parsed";
    } catch (const Error& e) {
      EXPECT_TRUE(e.kind() == ErrorKind::kCorrupt || e.kind() == ErrorKind::kNotFound)
          << n << ": " << e.what();
    }
  }
}

TEST(TorchCheckpointTest, FlippedBytesNeverCrash) {
  const std::string bytes = write_torch_checkpoint(sample_state(), "t");
  std::mt19937 rng(5);
  for (int trial = 0; trial < 3000; ++trial) {
    std::string bad = bytes;
    for (int k = 0; k < 3; ++k) bad[rng() % bad.size()] ^= static_cast<char>(1 + rng() % 255);
    try {
      read_torch_checkpoint(as_bytes(bad));
    } catch (const Error&) {
    }
  }
}

TEST(TorchCheckpointTest, ZipWithoutDataPkl) {
  core::ZipWriter w;
  w.add("arch/version", std::string_view("3\n"));
  w.add("arch/data/0", std::string_view("abcd"));
  const std::string z = w.finish();
  EXPECT_ERROR(read_torch_checkpoint(as_bytes(z)), ErrorKind::kNotFound, "zip has no data.pkl");
  // data.pkl two folders down is not a torch.save layout either.
  core::ZipWriter deep;
  deep.add("a/b/data.pkl", std::string_view("."));
  const std::string d = deep.finish();
  EXPECT_ERROR(read_torch_checkpoint(as_bytes(d)), ErrorKind::kNotFound, "no data.pkl");
}

TEST(TorchCheckpointTest, TwoDataPklsAreAmbiguous) {
  core::ZipWriter w;
  w.add("a/data.pkl", std::string_view("."));
  w.add("b/data.pkl", std::string_view("."));
  const std::string z = w.finish();
  EXPECT_ERROR(read_torch_checkpoint(as_bytes(z)), ErrorKind::kCorrupt, "more than one data.pkl");
}

TEST(TorchCheckpointTest, MissingStorageEntry) {
  PickleBytes p;
  p.global("collections", "OrderedDict").op(')').op('R').op('(');
  p.str("w").tensor("FloatStorage", "17", 4, 0, {4}, {1}).op('u');
  const std::string z = archive(p.finish(), {{"0", raw_bytes(std::vector<float>(4))}});
  EXPECT_ERROR(read_torch_checkpoint(as_bytes(z)), ErrorKind::kNotFound, "storage '17'");
}

TEST(TorchCheckpointTest, TensorLargerThanItsStorage) {
  auto one = [](int64_t numel, int64_t offset, std::vector<int64_t> size,
                std::vector<int64_t> stride, size_t entry_floats) {
    PickleBytes p;
    p.global("collections", "OrderedDict").op(')').op('R').op('(');
    p.str("big").tensor("FloatStorage", "0", numel, offset, size, stride).op('u');
    return archive(p.finish(), {{"0", raw_bytes(std::vector<float>(entry_floats))}});
  };
  EXPECT_ERROR(read_torch_checkpoint(as_bytes(one(6, 0, {2, 4}, {4, 1}, 6))), ErrorKind::kCorrupt,
               "tensor 'big' of shape [2, 4] at offset 0 needs 8 elements but storage '0' has 6");
  EXPECT_ERROR(read_torch_checkpoint(as_bytes(one(6, 3, {4}, {1}, 6))), ErrorKind::kCorrupt,
               "needs 7 elements");
  // Strides count: 3 rows of stride 3 (2 used columns) reach index 7, so 8 elements are needed.
  EXPECT_NO_THROW(read_torch_checkpoint(as_bytes(one(8, 0, {3, 2}, {3, 1}, 8))));
  EXPECT_ERROR(read_torch_checkpoint(as_bytes(one(7, 0, {3, 2}, {3, 1}, 7))), ErrorKind::kCorrupt,
               "needs 8 elements but storage '0' has 7");
  // The persistent id claims more elements than the entry holds.
  EXPECT_ERROR(read_torch_checkpoint(as_bytes(one(100, 0, {4}, {1}, 4))), ErrorKind::kCorrupt,
               "should hold 100 float32 elements but its entry has 16 bytes");
  // Overflowing shapes and strides.
  EXPECT_ERROR(read_torch_checkpoint(as_bytes(one(4, 0, {INT64_MAX, 4}, {1, 1}, 4))),
               ErrorKind::kCorrupt, "overflows");
  EXPECT_ERROR(read_torch_checkpoint(as_bytes(one(4, 0, {2}, {INT64_MAX}, 4))), ErrorKind::kCorrupt,
               "needs 9223372036854775808 elements");
  EXPECT_ERROR(read_torch_checkpoint(as_bytes(one(4, 0, {3}, {INT64_MAX}, 4))), ErrorKind::kCorrupt,
               "overflows");
  EXPECT_ERROR(read_torch_checkpoint(as_bytes(one(4, INT64_MAX, {2}, {1}, 4))), ErrorKind::kCorrupt,
               "overflows");
  // A zero-stride view inflating one element to 2^40 elements is refused before allocating.
  EXPECT_ERROR(read_torch_checkpoint(as_bytes(one(1, 0, {1 << 20, 1 << 20}, {0, 0}, 1))),
               ErrorKind::kCorrupt, "max_entry_bytes");
}

TEST(TorchCheckpointTest, MaliciousPickleInsideArchive) {
  PickleBytes p;
  p.global("os", "system").str("echo pwned").op('\x85').op('R');
  const std::string z = archive(p.finish(), {});
  const Error e = error_of([&] { read_torch_checkpoint(as_bytes(z)); });
  EXPECT_EQ(e.kind(), ErrorKind::kUnsafe);
  EXPECT_NE(e.message().find("'os.system' is not allowed"), std::string::npos) << e.what();
  EXPECT_NE(e.message().find("arch/data.pkl"), std::string::npos) << e.what();
  ASSERT_TRUE(e.offset().has_value());
  core::ZipReader zip(as_bytes(z));
  EXPECT_EQ(*e.offset(), zip.find("arch/data.pkl")->data_offset + 2);  // the GLOBAL opcode
}

TEST(TorchCheckpointTest, CompressedEntryAndCrcMismatch) {
  std::string z = write_torch_checkpoint(sample_state(), "c");
  {
    std::string bad = z;
    core::ZipReader zip(as_bytes(bad));
    const auto* e = zip.find("c/data/1");
    bad[e->data_offset] ^= 0x10;
    EXPECT_ERROR(read_torch_checkpoint(as_bytes(bad)), ErrorKind::kCorrupt,
                 "'c/data/1' fails its checksum");
  }
  // Mark data.pkl as deflated in both headers.
  const size_t central = z.find(std::string("PK\x01\x02", 4));
  z[central + 10] = 8;
  z[8] = 8;
  EXPECT_ERROR(read_torch_checkpoint(as_bytes(z)), ErrorKind::kUnsupported, "compression method 8");
}

TEST(TorchCheckpointTest, RootThatIsNotADict) {
  PickleBytes p;
  p.op(']');
  EXPECT_ERROR(read_torch_checkpoint(as_bytes(archive(p.finish(), {}))), ErrorKind::kUnsupported,
               "holds a list");
  PickleBytes q;
  q.op('}').str("optimizer").integer(1).op('s');
  EXPECT_ERROR(read_torch_checkpoint(as_bytes(archive(q.finish(), {}))), ErrorKind::kNotFound,
               "'optimizer'");
}

TEST(TorchCheckpointTest, StateDictFileDispatchAndErrorsNameThePath) {
  testing::TempDir dir;
  const StateDict sd = sample_state();
  write_file_atomic(dir / "m.pth", write_torch_checkpoint(sd, "m"));
  expect_same(read_state_dict_file(dir / "m.pth"), sd);
  write_file_atomic(dir / "bad.pth", "PK garbage");
  const Error e = error_of([&] { read_state_dict_file(dir / "bad.pth"); });
  EXPECT_EQ(e.kind(), ErrorKind::kCorrupt);
  EXPECT_NE(e.file().find("bad.pth"), std::string::npos);
  EXPECT_NE(std::string(e.what()).find("bad.pth: corrupt: "), std::string::npos) << e.what();
  const Error missing = error_of([&] { read_state_dict_file(dir / "none.pth"); });
  EXPECT_EQ(missing.kind(), ErrorKind::kNotFound);
  write_file_atomic(dir / "legacy.pt", std::string("\x80\x02\x8a\x0a", 4));
  EXPECT_ERROR(read_state_dict_file(dir / "legacy.pt"), ErrorKind::kUnsupported, "legacy.pt");
}

// --- real checkpoints --------------------------------------------------------------------------

TEST(TorchCheckpointTest, CjmTinyFixture) {
  YOLOXRT_REQUIRE_FIXTURES(fixtures);
  const auto path = fixtures / "cjm-tiny-hagrid" / "yolox_tiny.pth";
  const auto bytes = read_file_bytes(path);
  const auto start = std::chrono::steady_clock::now();
  const StateDict sd = read_torch_checkpoint(bytes);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  RecordProperty("read_ms", std::to_string(ms));
  std::printf("[          ] yolox_tiny.pth (%zu bytes): %.1f ms\n", bytes.size(), ms);
  // 462 tensors in the file; the 74 num_batches_tracked (int64) are skipped. Values from
  // torch.load(weights_only=True) on torch 1.13.
  EXPECT_EQ(sd.size(), 388u);
  int64_t total = 0;
  for (const auto& n : sd.names()) {
    EXPECT_EQ(n.find("num_batches_tracked"), std::string::npos);
    total += sd.at(n).numel();
  }
  EXPECT_EQ(total, 5055432);
  EXPECT_EQ(sd.names().front(), "backbone.stem.conv.conv.weight");
  EXPECT_EQ(sd.names()[1], "backbone.stem.conv.bn.weight");
  EXPECT_EQ(sd.names().back(), "bbox_head.multi_level_conv_obj.2.bias");
  const Tensor& w = sd.at("backbone.stem.conv.conv.weight");
  EXPECT_EQ(w.shape, (std::vector<int64_t>{24, 12, 3, 3}));
  double sum = 0, abs_sum = 0;
  for (float v : w.data) sum += v, abs_sum += std::fabs(v);
  EXPECT_NEAR(sum, -6.858451309744851, 1e-9);
  EXPECT_NEAR(abs_sum, 194.46996762721392, 1e-9);
  EXPECT_FLOAT_EQ(w.data.front(), 0.043230101466178894f);
  EXPECT_FLOAT_EQ(w.data.back(), -0.014171401970088482f);
  EXPECT_FLOAT_EQ(sd.at("bbox_head.multi_level_conv_obj.2.bias").data[0], -0.047888245433568954f);

  // Our writer's output of it reads back identically.
  expect_same(read_torch_checkpoint(as_bytes(write_torch_checkpoint(sd, "yolox_tiny"))), sd);
}

TEST(TorchCheckpointTest, CjmTinyFixtureTruncatedAtManyPoints) {
  YOLOXRT_REQUIRE_FIXTURES(fixtures);
  const auto bytes = read_file_bytes(fixtures / "cjm-tiny-hagrid" / "yolox_tiny.pth");
  std::mt19937 rng(11);
  std::vector<size_t> cuts = {
      0, 1, 2, 3, 4, 21, 22, 100, 79000, bytes.size() - 22, bytes.size() - 1};
  for (int i = 0; i < 40; ++i) cuts.push_back(rng() % bytes.size());
  for (size_t n : cuts) {
    try {
      read_torch_checkpoint(std::span(bytes).first(n));
      ADD_FAILURE() << "truncation to " << n << " bytes parsed";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kCorrupt) << n << ": " << e.what();
    }
  }
}

TEST(TorchCheckpointTest, MegviiNanoFixture) {
  YOLOXRT_REQUIRE_FIXTURES(fixtures);
  const auto path = fixtures / "megvii-nano" / "yolox_nano.pth";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " is not in the fixtures folder";
  const StateDict sd = read_state_dict_file(path);
  // README: 642 tensors = 104 conv+BN blocks x 6 (conv.weight, 4 BN floats, num_batches_tracked)
  // + 9 prediction convs x 2 (weight, bias). The 104 int64 num_batches_tracked are skipped.
  EXPECT_EQ(sd.size(), 642u - 104u);
  EXPECT_TRUE(sd.contains("backbone.backbone.stem.conv.conv.weight"));
  EXPECT_TRUE(sd.contains("head.cls_preds.0.bias"));
  for (const auto& n : sd.names()) EXPECT_EQ(n.find("num_batches_tracked"), std::string::npos);
}

}  // namespace
}  // namespace yoloxrt
