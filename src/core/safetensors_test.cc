#include <cstring>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "yoloxrt/checkpoint.h"
#include "yoloxrt/error.h"
#include "yoloxrt/file_io.h"

namespace yoloxrt {
namespace {

std::span<const uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string with_header(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  const uint64_t n = header.size();
  std::memcpy(out.data(), &n, 8);
  return out + header + data;
}

template <typename T>
std::string raw(std::initializer_list<T> v) {
  return std::string(reinterpret_cast<const char*>(std::data(v)), v.size() * sizeof(T));
}

Error error_of(const std::string& file) {
  try {
    read_safetensors(as_bytes(file));
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no Error thrown";
  return Error(ErrorKind::kRuntime, "none");
}

void expect_error(const std::string& file, ErrorKind kind, std::string_view needle) {
  const Error e = error_of(file);
  EXPECT_EQ(e.kind(), kind) << e.what();
  EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
}

// A file with one tensor of each kind, keys deliberately out of alphabetical order.
std::string sample_file() {
  std::string data;
  data += raw<float>({1.5f, -2.0f, 3.0f, 4.0f, 5.0f, 6.0f});  // 0..24
  data += raw<uint16_t>({0x3c00, 0xbc00});                    // 24..28 f16
  data += raw<uint16_t>({0x4000, 0x3f00});                    // 28..32 bf16: 2, 0.5
  data += raw<double>({0.25});                                // 32..40
  data += raw<int64_t>({5});                                  // 40..48
  const std::string header = R"({
    "z.weight": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
    "__metadata__": {"format": "pt"},
    "a.half": {"dtype": "F16", "shape": [2], "data_offsets": [24, 28]},
    "m.bf16": {"dtype": "BF16", "shape": [2, 1], "data_offsets": [28, 32]},
    "b.scalar": {"dtype": "F64", "shape": [], "data_offsets": [32, 40]},
    "bn.num_batches_tracked": {"dtype": "I64", "shape": [], "data_offsets": [40, 48]}
  })";
  return with_header(header, data);
}

TEST(SafetensorsTest, ReadsDtypesInHeaderOrder) {
  const StateDict sd = read_safetensors(as_bytes(sample_file()));
  ASSERT_EQ(sd.names(), (std::vector<std::string>{"z.weight", "a.half", "m.bf16", "b.scalar"}));
  EXPECT_EQ(sd.at("z.weight").shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(sd.at("z.weight").data, (std::vector<float>{1.5f, -2.0f, 3.0f, 4.0f, 5.0f, 6.0f}));
  EXPECT_EQ(sd.at("a.half").data, (std::vector<float>{1.0f, -1.0f}));
  EXPECT_EQ(sd.at("m.bf16").data, (std::vector<float>{2.0f, 0.5f}));
  EXPECT_TRUE(sd.at("b.scalar").shape.empty());
  EXPECT_EQ(sd.at("b.scalar").data, (std::vector<float>{0.25f}));
}

TEST(SafetensorsTest, EmptyTensorAndEmptyHeader) {
  const StateDict sd = read_safetensors(as_bytes(
      with_header(R"({"e": {"dtype": "F32", "shape": [0, 4], "data_offsets": [0, 0]}})", "")));
  EXPECT_EQ(sd.at("e").shape, (std::vector<int64_t>{0, 4}));
  EXPECT_TRUE(sd.at("e").data.empty());
  EXPECT_TRUE(read_safetensors(as_bytes(with_header("{}", ""))).empty());
}

TEST(SafetensorsTest, ReadStateDictFileDispatches) {
  testing::TempDir dir;
  write_file_atomic(dir / "m.safetensors", sample_file());
  EXPECT_EQ(read_state_dict_file(dir / "m.safetensors").size(), 4u);
  write_file_atomic(dir / "bad.safetensors", with_header("{not json", ""));
  try {
    read_state_dict_file(dir / "bad.safetensors");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kCorrupt);
    EXPECT_NE(e.file().find("bad.safetensors"), std::string::npos);
  }
}

// The one sniffer decides by the bytes, never by the file name: the exporter used to send every
// file not named *.safetensors to the torch reader.
TEST(CheckpointFormatTest, SniffedFromBytesNotFromTheName) {
  const std::string st = sample_file();
  EXPECT_EQ(sniff_checkpoint_format(as_bytes(st)), CheckpointFormat::kSafetensors);
  EXPECT_EQ(sniff_checkpoint_format(as_bytes("PK\x03\x04")), CheckpointFormat::kTorchZip);
  EXPECT_EQ(sniff_checkpoint_format(as_bytes("PK")), CheckpointFormat::kTorchZip);
  EXPECT_EQ(sniff_checkpoint_format(as_bytes(std::string("\x80\x02", 2))),
            CheckpointFormat::kTorchPickle);
  EXPECT_EQ(sniff_checkpoint_format(as_bytes("")), CheckpointFormat::kUnknown);
  EXPECT_EQ(sniff_checkpoint_format(as_bytes(std::string(8, '\0') + "[")),
            CheckpointFormat::kUnknown);

  testing::TempDir dir;
  write_file_atomic(dir / "weights.pth", st);
  EXPECT_EQ(read_state_dict_file(dir / "weights.pth").size(), 4u);
  write_file_atomic(dir / "junk.pth", std::string(64, 'x'));
  try {
    read_state_dict_file(dir / "junk.pth");
    FAIL() << "junk was read";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kCorrupt);
    EXPECT_NE(e.file().find("junk.pth"), std::string::npos);
    EXPECT_NE(e.message().find("not a checkpoint"), std::string::npos) << e.what();
    EXPECT_NE(e.message().find("78 78 78 78"), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_state_dict(as_bytes("")), Error);
}

TEST(SafetensorsTest, TooSmallAndHeaderLargerThanFile) {
  expect_error("", ErrorKind::kCorrupt, "too small");
  expect_error("1234567", ErrorKind::kCorrupt, "too small");
  std::string f = with_header("{}", "");
  const uint64_t huge = 1000;
  std::memcpy(f.data(), &huge, 8);
  expect_error(f, ErrorKind::kCorrupt, "header size 1000 is larger than the 2 bytes");
  const uint64_t max = ~0ull;
  std::memcpy(f.data(), &max, 8);
  expect_error(f, ErrorKind::kCorrupt, "header size 18446744073709551615");
}

TEST(SafetensorsTest, BadJson) {
  expect_error(with_header("{\"a\": ", ""), ErrorKind::kCorrupt, "not valid JSON");
  expect_error(with_header("[1, 2]", ""), ErrorKind::kCorrupt, "not a JSON object");
  expect_error(with_header(R"({"a": 3})", ""), ErrorKind::kCorrupt, "tensor 'a'");
  expect_error(with_header(R"({"a": {"dtype": "F32", "shape": [1]}})", "abcd"), ErrorKind::kCorrupt,
               "data_offsets");
  expect_error(
      with_header(R"({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})", "abcd"),
      ErrorKind::kCorrupt, "non-integer dimension");
}

TEST(SafetensorsTest, OffsetsOutOfRange) {
  expect_error(
      with_header(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})", "abcd"),
      ErrorKind::kCorrupt, "data_offsets [0, 8] fall outside the 4-byte data section");
  expect_error(
      with_header(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}})", "abcd"),
      ErrorKind::kCorrupt, "data_offsets [4, 0]");
  expect_error(
      with_header(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}})", "abcd"),
      ErrorKind::kCorrupt, "needs 2 elements but has 4 bytes");
  expect_error(
      with_header(
          R"({"a": {"dtype": "F32", "shape": [4294967296, 4294967296, 4], "data_offsets": [0, 4]}})",
          "abcd"),
      ErrorKind::kCorrupt, "overflows");
}

TEST(SafetensorsTest, UnknownDtypeIsUnsupported) {
  expect_error(
      with_header(R"({"a": {"dtype": "F8_E4M3", "shape": [1], "data_offsets": [0, 1]}})", "x"),
      ErrorKind::kUnsupported, "dtype 'F8_E4M3'");
}

TEST(SafetensorsTest, EveryTruncationIsAnError) {
  const std::string f = sample_file();
  for (size_t n = 0; n < f.size(); ++n) {
    const Error e = error_of(f.substr(0, n));
    EXPECT_EQ(e.kind(), ErrorKind::kCorrupt) << n << ": " << e.what();
  }
}

}  // namespace
}  // namespace yoloxrt
