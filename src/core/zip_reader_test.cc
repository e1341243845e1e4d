#include "core/zip_reader.h"

#include <cstring>
#include <random>

#include <gtest/gtest.h>

#include "yoloxrt/error.h"

namespace yoloxrt::core {
namespace {

std::span<const uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Bit-at-a-time CRC-32, the reference for the table-driven one.
uint32_t crc32_reference(std::span<const uint8_t> data) {
  uint32_t crc = ~0u;
  for (uint8_t b : data) {
    crc ^= b;
    for (int k = 0; k < 8; ++k) crc = (crc & 1) ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
  }
  return ~crc;
}

uint32_t load32(const std::string& s, size_t at) {
  uint32_t v;
  std::memcpy(&v, s.data() + at, 4);
  return v;
}
void store16(std::string& s, size_t at, uint16_t v) { std::memcpy(s.data() + at, &v, 2); }
void store32(std::string& s, size_t at, uint32_t v) { std::memcpy(s.data() + at, &v, 4); }

// Offsets of the first record with signature `sig` at or after `from`.
size_t find_sig(const std::string& s, uint32_t sig, size_t from = 0) {
  for (size_t i = from; i + 4 <= s.size(); ++i)
    if (load32(s, i) == sig) return i;
  return std::string::npos;
}
constexpr uint32_t kCentral = 0x02014b50;
constexpr uint32_t kEocd = 0x06054b50;

std::string sample_zip(bool zip64 = false) {
  ZipWriter w(zip64);
  w.add("arch/data.pkl", std::string_view("pickle bytes"));
  std::string big(1000, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 31);
  w.add("arch/data/0", big);
  w.add("arch/data/1", std::string_view(""));
  w.add("arch/version", std::string_view("3\n"), 1);
  return w.finish();
}

template <typename F>
ErrorKind kind_of(F&& f, std::string* message = nullptr) {
  try {
    f();
  } catch (const Error& e) {
    if (message) *message = e.what();
    return e.kind();
  }
  ADD_FAILURE() << "no Error thrown";
  return ErrorKind::kRuntime;
}

TEST(ZipReaderTest, Crc32KnownValues) {
  EXPECT_EQ(crc32(as_bytes("")), 0u);
  EXPECT_EQ(crc32(as_bytes("123456789")), 0xCBF43926u);
  EXPECT_EQ(crc32(as_bytes("The quick brown fox jumps over the lazy dog")), 0x414FA339u);
}

TEST(ZipReaderTest, Crc32MatchesReferenceAtEveryLengthAndAlignment) {
  std::mt19937 rng(7);
  std::vector<uint8_t> buf(300);
  for (auto& b : buf) b = static_cast<uint8_t>(rng());
  for (size_t start = 0; start < 9; ++start)
    for (size_t len = 0; start + len <= 100; ++len) {
      std::span<const uint8_t> s(buf.data() + start, len);
      ASSERT_EQ(crc32(s), crc32_reference(s)) << "start " << start << " len " << len;
    }
  // Continuing a CRC equals computing it in one go.
  std::span<const uint8_t> all(buf);
  EXPECT_EQ(crc32(all.subspan(123), crc32(all.first(123))), crc32(all));
}

TEST(ZipReaderTest, RoundTripIsZeroCopyAndAligned) {
  for (bool zip64 : {false, true}) {
    SCOPED_TRACE(zip64 ? "zip64" : "zip32");
    const std::string z = sample_zip(zip64);
    ZipReader r(as_bytes(z));
    ASSERT_EQ(r.entries().size(), 4u);
    EXPECT_EQ(r.entries()[0].name, "arch/data.pkl");
    const ZipEntry* pkl = r.find("arch/data.pkl");
    ASSERT_NE(pkl, nullptr);
    auto d = r.data(*pkl);
    EXPECT_EQ(std::string(d.begin(), d.end()), "pickle bytes");
    EXPECT_EQ(d.data(), reinterpret_cast<const uint8_t*>(z.data()) + pkl->data_offset);
    for (const char* name : {"arch/data.pkl", "arch/data/0", "arch/data/1"})
      EXPECT_EQ(r.find(name)->data_offset % 64, 0u) << name;
    auto big = r.data(*r.find("arch/data/0"));
    ASSERT_EQ(big.size(), 1000u);
    EXPECT_EQ(big[999], static_cast<uint8_t>(999 * 31));
    EXPECT_EQ(r.data(*r.find("arch/data/1")).size(), 0u);
    EXPECT_EQ(r.find("arch/data/2"), nullptr);
  }
}

TEST(ZipReaderTest, ReadsHandAssembledArchiveWithComment) {
  // The minimal layout other zip tools write: no extra fields, no ZIP64, an archive comment.
  std::string z;
  const std::string name = "d/x.txt", content = "hello\n";
  // local header
  z += std::string("PK\x03\x04", 4);
  auto put16 = [&](uint16_t v) { z.append(reinterpret_cast<const char*>(&v), 2); };
  auto put32 = [&](uint32_t v) { z.append(reinterpret_cast<const char*>(&v), 4); };
  const uint32_t crc = crc32(as_bytes(content));
  put16(10), put16(0), put16(0), put16(0), put16(0), put32(crc), put32(6), put32(6);
  put16(static_cast<uint16_t>(name.size())), put16(0);
  z += name + content;
  const uint32_t cd = static_cast<uint32_t>(z.size());
  z += std::string("PK\x01\x02", 4);
  put16(0x031e), put16(10), put16(0), put16(0), put16(0), put16(0), put32(crc), put32(6), put32(6);
  put16(static_cast<uint16_t>(name.size())), put16(0), put16(0), put16(0), put16(0), put32(0);
  put32(0);
  z += name;
  const uint32_t cd_size = static_cast<uint32_t>(z.size()) - cd;
  z += std::string("PK\x05\x06", 4);
  put16(0), put16(0), put16(1), put16(1), put32(cd_size), put32(cd), put16(7);
  z += "comment";
  ZipReader r(as_bytes(z));
  ASSERT_EQ(r.entries().size(), 1u);
  auto d = r.data(r.entries()[0]);
  EXPECT_EQ(std::string(d.begin(), d.end()), content);
}

TEST(ZipReaderTest, CompressedEntryIsUnsupported) {
  std::string z = sample_zip();
  const size_t central = find_sig(z, kCentral);
  store16(z, central + 10, 8);
  store16(z, 8, 8);  // the first local header too
  std::string msg;
  EXPECT_EQ(kind_of([&] { ZipReader r(as_bytes(z)); }, &msg), ErrorKind::kUnsupported);
  EXPECT_NE(msg.find("arch/data.pkl"), std::string::npos) << msg;
  EXPECT_NE(msg.find("8 (deflate)"), std::string::npos) << msg;
}

TEST(ZipReaderTest, EncryptedEntryIsUnsupported) {
  std::string z = sample_zip();
  store16(z, find_sig(z, kCentral) + 8, 1);
  std::string msg;
  EXPECT_EQ(kind_of([&] { ZipReader r(as_bytes(z)); }, &msg), ErrorKind::kUnsupported);
  EXPECT_NE(msg.find("encrypted"), std::string::npos) << msg;
}

TEST(ZipReaderTest, UnsafeNamesAreRefused) {
  for (const char* name :
       {"../evil", "a/../../b", "/etc/passwd", "\\windows", "C:/x", "a\\..\\b", "..\\x"}) {
    ZipWriter w;
    w.add(name, std::string_view("x"));
    const std::string z = w.finish();
    std::string msg;
    EXPECT_EQ(kind_of([&] { ZipReader r(as_bytes(z)); }, &msg), ErrorKind::kUnsafe) << name;
    EXPECT_NE(msg.find(name), std::string::npos) << msg;
  }
  // Dots inside a name are fine.
  ZipWriter w;
  w.add("a..b/..c/x..", std::string_view("x"));
  const std::string z = w.finish();
  EXPECT_NO_THROW(ZipReader r(as_bytes(z)));
}

TEST(ZipReaderTest, CrcMismatchIsCorrupt) {
  std::string z = sample_zip();
  ZipReader clean(as_bytes(z));
  const uint64_t at = clean.find("arch/data/0")->data_offset + 500;
  z[at] ^= 0x01;
  ZipReader r(as_bytes(z));  // parsing does not read data
  std::string msg;
  EXPECT_EQ(kind_of([&] { r.data(*r.find("arch/data/0")); }, &msg), ErrorKind::kCorrupt);
  EXPECT_NE(msg.find("arch/data/0"), std::string::npos) << msg;
  EXPECT_NE(msg.find("checksum"), std::string::npos) << msg;
  EXPECT_NO_THROW(r.data(*r.find("arch/data.pkl")));
}

TEST(ZipReaderTest, EveryTruncationIsAnErrorNotACrash) {
  for (bool zip64 : {false, true}) {
    const std::string z = sample_zip(zip64);
    for (size_t n = 0; n < z.size(); ++n) {
      const std::string cut = z.substr(0, n);
      try {
        ZipReader r(as_bytes(cut));
        for (const auto& e : r.entries()) r.data(e);
        // A shorter prefix can only parse if it still ends in a valid end record, which the
        // writer's archive never does before its last byte.
        ADD_FAILURE() << "truncation to " << n << " bytes parsed";
      } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kCorrupt) << n << ": " << e.what();
      }
    }
  }
}

TEST(ZipReaderTest, EveryFlippedByteIsDetectedOrHarmless) {
  // Flip each byte of the archive: parsing must throw an Error or yield data that passes CRC.
  const std::string z = sample_zip(true);
  for (size_t i = 0; i < z.size(); ++i) {
    std::string bad = z;
    bad[i] ^= 0x5a;
    try {
      ZipReader r(as_bytes(bad));
      for (const auto& e : r.entries()) r.data(e);
    } catch (const Error&) {
    }
  }
}

TEST(ZipReaderTest, GarbageIsCorrupt) {
  std::mt19937 rng(1);
  std::string junk(4096, '\0');
  for (auto& c : junk) c = static_cast<char>(rng());
  std::string msg;
  EXPECT_EQ(kind_of([&] { ZipReader r(as_bytes(junk)); }, &msg), ErrorKind::kCorrupt);
  EXPECT_NE(msg.find("end-of-central-directory"), std::string::npos) << msg;
  EXPECT_EQ(kind_of([&] { ZipReader r(as_bytes("")); }), ErrorKind::kCorrupt);
}

TEST(ZipReaderTest, CentralDirectoryOutOfRangeIsCorrupt) {
  std::string z = sample_zip();
  const size_t eocd = find_sig(z, kEocd);
  store32(z, eocd + 16, 0x7fffff00);
  std::string msg;
  EXPECT_EQ(kind_of([&] { ZipReader r(as_bytes(z)); }, &msg), ErrorKind::kCorrupt);
  EXPECT_NE(msg.find("central directory"), std::string::npos) << msg;
  EXPECT_NE(msg.find("at byte"), std::string::npos) << msg;
}

TEST(ZipReaderTest, InflatedEntryCountIsCorrupt) {
  std::string z = sample_zip();
  const size_t eocd = find_sig(z, kEocd);
  store16(z, eocd + 8, 60000);
  store16(z, eocd + 10, 60000);
  EXPECT_EQ(kind_of([&] { ZipReader r(as_bytes(z)); }), ErrorKind::kCorrupt);
}

TEST(ZipReaderTest, LocalHeaderOffsetOutOfRangeIsCorrupt) {
  std::string z = sample_zip();
  store32(z, find_sig(z, kCentral) + 42, 0x10000000);
  std::string msg;
  EXPECT_EQ(kind_of([&] { ZipReader r(as_bytes(z)); }, &msg), ErrorKind::kCorrupt);
  EXPECT_NE(msg.find("local header"), std::string::npos) << msg;
}

TEST(ZipReaderTest, EntrySizePastDataIsCorrupt) {
  std::string z = sample_zip();
  const size_t central = find_sig(z, kCentral);
  store32(z, central + 20, 0x00ffffff);
  store32(z, central + 24, 0x00ffffff);
  std::string msg;
  EXPECT_EQ(kind_of([&] { ZipReader r(as_bytes(z)); }, &msg), ErrorKind::kCorrupt);
  EXPECT_NE(msg.find("runs past"), std::string::npos) << msg;
}

TEST(ZipReaderTest, DuplicateNamesAreCorrupt) {
  ZipWriter w;
  w.add("a", std::string_view("1"));
  w.add("a", std::string_view("2"));
  const std::string z = w.finish();
  std::string msg;
  EXPECT_EQ(kind_of([&] { ZipReader r(as_bytes(z)); }, &msg), ErrorKind::kCorrupt);
  EXPECT_NE(msg.find("duplicate"), std::string::npos) << msg;
}

TEST(ZipReaderTest, EntryOverLimitIsCorrupt) {
  const std::string z = sample_zip();
  std::string msg;
  EXPECT_EQ(kind_of([&] { ZipReader r(as_bytes(z), 999); }, &msg), ErrorKind::kCorrupt);
  EXPECT_NE(msg.find("max_entry_bytes"), std::string::npos) << msg;
  EXPECT_NO_THROW(ZipReader r(as_bytes(z), 1000));
}

TEST(ZipReaderTest, ManyEntries) {
  // More than 65535 entries needs the ZIP64 count.
  ZipWriter w;
  for (int i = 0; i < 70000; ++i) w.add("e/" + std::to_string(i), std::string_view("x"), 1);
  const std::string z = w.finish();
  ZipReader r(as_bytes(z));
  ASSERT_EQ(r.entries().size(), 70000u);
  EXPECT_NE(r.find("e/69999"), nullptr);
}

}  // namespace
}  // namespace yoloxrt::core
