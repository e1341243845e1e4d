#include "core/zip_reader.h"

#include <array>
#include <cstdio>
#include <cstring>

#include "yoloxrt/error.h"

namespace yoloxrt::core {
namespace {

constexpr uint32_t kLocalHeaderSig = 0x04034b50;
constexpr uint32_t kCentralHeaderSig = 0x02014b50;
constexpr uint32_t kEocdSig = 0x06054b50;
constexpr uint32_t kZip64EocdSig = 0x06064b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;
constexpr size_t kLocalHeaderSize = 30;
constexpr size_t kCentralHeaderSize = 46;
constexpr size_t kEocdSize = 22;
constexpr size_t kZip64EocdSize = 56;
constexpr size_t kZip64LocatorSize = 20;
constexpr uint16_t kZip64ExtraId = 0x0001;
// PyTorch pads the local extra field with a record of this id ("FB") to align entry data.
constexpr uint16_t kPaddingExtraId = 0x4246;
constexpr uint32_t kMax32 = 0xffffffffu;
constexpr uint16_t kMax16 = 0xffffu;

using CrcTables = std::array<std::array<uint32_t, 256>, 8>;

constexpr CrcTables make_crc_tables() {
  CrcTables t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[0][i] = c;
  }
  for (size_t s = 1; s < 8; ++s)
    for (size_t i = 0; i < 256; ++i) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
  return t;
}

constexpr CrcTables kCrcTables = make_crc_tables();

inline uint16_t load16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
inline uint32_t load32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
inline uint64_t load64(const uint8_t* p) {
  return static_cast<uint64_t>(load32(p)) | (static_cast<uint64_t>(load32(p + 4)) << 32);
}

// True if [offset, offset + length) lies inside [0, limit), without overflowing.
inline bool fits(uint64_t offset, uint64_t length, uint64_t limit) {
  return offset <= limit && length <= limit - offset;
}

[[noreturn]] void corrupt(const std::string& what, uint64_t offset) {
  throw Error(ErrorKind::kCorrupt, "zip: " + what, {}, offset);
}

// Refuses names that could escape a directory if someone extracted the archive: absolute paths,
// drive letters, and ".." components (either separator).
void check_entry_name(const std::string& name, uint64_t offset) {
  if (name.empty()) corrupt("entry with an empty name", offset);
  if (name.find('\0') != std::string::npos)
    throw Error(ErrorKind::kUnsafe, "zip entry name contains a NUL byte", {}, offset);
  const bool absolute =
      name[0] == '/' || name[0] == '\\' ||
      (name.size() >= 2 && name[1] == ':' &&
       ((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z')));
  if (absolute)
    throw Error(ErrorKind::kUnsafe, "zip entry name '" + name + "' is an absolute path", {},
                offset);
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find_first_of("/\\", start);
    if (end == std::string::npos) end = name.size();
    if (name.compare(start, end - start, "..") == 0)
      throw Error(ErrorKind::kUnsafe, "zip entry name '" + name + "' contains a '..' component", {},
                  offset);
    start = end + 1;
  }
}

std::string method_name(uint16_t method) {
  switch (method) {
    case 8:
      return "8 (deflate)";
    case 9:
      return "9 (deflate64)";
    case 12:
      return "12 (bzip2)";
    case 14:
      return "14 (lzma)";
    case 93:
      return "93 (zstd)";
    case 95:
      return "95 (xz)";
    default:
      return std::to_string(method);
  }
}

void put16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>(v >> 8));
}
void put32(std::string& out, uint32_t v) {
  put16(out, static_cast<uint16_t>(v & 0xffff));
  put16(out, static_cast<uint16_t>(v >> 16));
}
void put64(std::string& out, uint64_t v) {
  put32(out, static_cast<uint32_t>(v & kMax32));
  put32(out, static_cast<uint32_t>(v >> 32));
}

}  // namespace

uint32_t crc32(std::span<const uint8_t> data, uint32_t crc) {
  const auto& t = kCrcTables;
  const uint8_t* p = data.data();
  size_t n = data.size();
  crc = ~crc;
  while (n >= 8) {
    const uint32_t a = load32(p) ^ crc;
    const uint32_t b = load32(p + 4);
    crc = t[7][a & 0xff] ^ t[6][(a >> 8) & 0xff] ^ t[5][(a >> 16) & 0xff] ^ t[4][a >> 24] ^
          t[3][b & 0xff] ^ t[2][(b >> 8) & 0xff] ^ t[1][(b >> 16) & 0xff] ^ t[0][b >> 24];
    p += 8;
    n -= 8;
  }
  while (n--) crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xff];
  return ~crc;
}

ZipReader::ZipReader(std::span<const uint8_t> bytes, uint64_t max_entry_bytes) : bytes_(bytes) {
  const uint8_t* base = bytes.data();
  const uint64_t size = bytes.size();
  if (size < kEocdSize) corrupt("archive of " + std::to_string(size) + " bytes is too small", 0);

  // The end record sits at the end, followed only by its comment (at most 64 KiB).
  uint64_t eocd = UINT64_MAX;
  const uint64_t lowest = size - kEocdSize > kMax16 ? size - kEocdSize - kMax16 : 0;
  for (uint64_t pos = size - kEocdSize + 1; pos-- > lowest;) {
    if (load32(base + pos) == kEocdSig && pos + kEocdSize + load16(base + pos + 20) <= size) {
      eocd = pos;
      break;
    }
  }
  if (eocd == UINT64_MAX) corrupt("no end-of-central-directory record", size);

  uint64_t disk = load16(base + eocd + 4);
  uint64_t cd_disk = load16(base + eocd + 6);
  uint64_t disk_entries = load16(base + eocd + 8);
  uint64_t total_entries = load16(base + eocd + 10);
  uint64_t cd_size = load32(base + eocd + 12);
  uint64_t cd_offset = load32(base + eocd + 16);
  uint64_t cd_limit = eocd;  // the central directory must end before the end records

  // ZIP64: a locator right before the end record points to the ZIP64 end record, whose 64-bit
  // fields replace the saturated 16/32-bit ones.
  if (eocd >= kZip64LocatorSize && load32(base + eocd - kZip64LocatorSize) == kZip64LocatorSig) {
    const uint64_t loc = eocd - kZip64LocatorSize;
    const uint64_t z64 = load64(base + loc + 8);
    if (load32(base + loc + 16) > 1)
      throw Error(ErrorKind::kUnsupported, "multi-disk zip", {}, loc);
    if (!fits(z64, kZip64EocdSize, loc))
      corrupt("ZIP64 end record offset " + std::to_string(z64) + " out of range", loc + 8);
    if (load32(base + z64) != kZip64EocdSig) corrupt("bad ZIP64 end record signature", z64);
    disk = load32(base + z64 + 16);
    cd_disk = load32(base + z64 + 20);
    disk_entries = load64(base + z64 + 24);
    total_entries = load64(base + z64 + 32);
    cd_size = load64(base + z64 + 40);
    cd_offset = load64(base + z64 + 48);
    cd_limit = z64;
  } else if (total_entries == kMax16 || cd_size == kMax32 || cd_offset == kMax32) {
    corrupt("end record has saturated fields but no ZIP64 locator", eocd);
  }
  if (disk != 0 || cd_disk != 0 || disk_entries != total_entries)
    throw Error(ErrorKind::kUnsupported, "multi-disk zip archives are not supported", {}, eocd);
  if (!fits(cd_offset, cd_size, cd_limit))
    corrupt("central directory (offset " + std::to_string(cd_offset) + ", " +
                std::to_string(cd_size) + " bytes) lies outside the archive",
            eocd);
  // Every central header takes at least 46 bytes: bound the count before reserving.
  if (total_entries > cd_size / kCentralHeaderSize)
    corrupt("end record claims " + std::to_string(total_entries) + " entries in a " +
                std::to_string(cd_size) + "-byte central directory",
            eocd);

  entries_.reserve(total_entries);
  const uint64_t cd_end = cd_offset + cd_size;
  uint64_t pos = cd_offset;
  for (uint64_t i = 0; i < total_entries; ++i) {
    if (!fits(pos, kCentralHeaderSize, cd_end)) corrupt("truncated central directory", pos);
    const uint8_t* h = base + pos;
    if (load32(h) != kCentralHeaderSig) corrupt("bad central directory header signature", pos);
    const uint16_t flags = load16(h + 8);
    const uint16_t method = load16(h + 10);
    const uint32_t crc = load32(h + 16);
    uint64_t csize = load32(h + 20);
    uint64_t usize = load32(h + 24);
    const uint16_t name_len = load16(h + 28);
    const uint16_t extra_len = load16(h + 30);
    const uint16_t comment_len = load16(h + 32);
    uint64_t entry_disk = load16(h + 34);
    uint64_t local = load32(h + 42);
    const uint64_t var_len = uint64_t{name_len} + extra_len + comment_len;
    if (!fits(pos + kCentralHeaderSize, var_len, cd_end))
      corrupt("central directory entry runs past the directory", pos);
    ZipEntry e;
    e.name.assign(reinterpret_cast<const char*>(h + kCentralHeaderSize), name_len);
    check_entry_name(e.name, pos);

    // ZIP64 extra: 8-byte values for exactly the fields that are saturated, in this order.
    const uint8_t* x = h + kCentralHeaderSize + name_len;
    for (size_t xo = 0; xo + 4 <= extra_len;) {
      const uint16_t id = load16(x + xo);
      const uint16_t len = load16(x + xo + 2);
      if (xo + 4 + len > extra_len) corrupt("extra field of '" + e.name + "' overruns", pos);
      if (id == kZip64ExtraId) {
        const uint8_t* f = x + xo + 4;
        size_t left = len;
        auto take = [&](uint64_t& v) {
          if (left < 8) corrupt("ZIP64 extra field of '" + e.name + "' too short", pos);
          v = load64(f);
          f += 8;
          left -= 8;
        };
        if (usize == kMax32) take(usize);
        if (csize == kMax32) take(csize);
        if (local == kMax32) take(local);
        if (entry_disk == kMax16 && left >= 4) entry_disk = load32(f);
      }
      xo += 4 + size_t{len};
    }

    if (flags & 0x1)
      throw Error(ErrorKind::kUnsupported, "zip entry '" + e.name + "' is encrypted", {}, pos);
    if (method != 0)
      throw Error(ErrorKind::kUnsupported,
                  "zip entry '" + e.name + "' uses compression method " + method_name(method) +
                      "; only stored (method 0) entries are supported",
                  {}, pos);
    if (csize != usize)
      corrupt("stored entry '" + e.name + "' has compressed size " + std::to_string(csize) +
                  " != uncompressed size " + std::to_string(usize),
              pos);
    if (usize > max_entry_bytes)
      corrupt("entry '" + e.name + "' has " + std::to_string(usize) +
                  " bytes, over the limit max_entry_bytes=" + std::to_string(max_entry_bytes),
              pos);
    if (entry_disk != 0)
      throw Error(ErrorKind::kUnsupported, "multi-disk zip archives are not supported", {}, pos);

    // Local header: its own name and extra lengths decide where the data starts.
    if (!fits(local, kLocalHeaderSize, cd_offset))
      corrupt("local header of '" + e.name + "' at " + std::to_string(local) + " out of range",
              pos);
    const uint8_t* lh = base + local;
    if (load32(lh) != kLocalHeaderSig)
      corrupt("bad local header signature for '" + e.name + "'", local);
    if (load16(lh + 8) != method)
      corrupt("local header of '" + e.name + "' disagrees on the method", local);
    const uint64_t lname = load16(lh + 26);
    const uint64_t lextra = load16(lh + 28);
    if (!fits(local + kLocalHeaderSize, lname + lextra, cd_offset))
      corrupt("local header of '" + e.name + "' runs past the data area", local);
    if (lname != name_len || std::memcmp(lh + kLocalHeaderSize, e.name.data(), name_len) != 0)
      corrupt("local header name differs from central directory name '" + e.name + "'", local);
    e.header_offset = local;
    e.data_offset = local + kLocalHeaderSize + lname + lextra;
    e.size = usize;
    e.crc32 = crc;
    if (!fits(e.data_offset, e.size, cd_offset))
      corrupt("data of '" + e.name + "' (" + std::to_string(e.size) + " bytes at " +
                  std::to_string(e.data_offset) + ") runs past the data area",
              local);

    entries_.push_back(std::move(e));
    pos += kCentralHeaderSize + var_len;
  }
  by_name_.reserve(entries_.size());
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (!by_name_.emplace(entries_[i].name, i).second)
      corrupt("duplicate entry name '" + entries_[i].name + "'", entries_[i].header_offset);
  }
  verified_.assign(entries_.size(), false);
}

const ZipEntry* ZipReader::find(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? nullptr : &entries_[it->second];
}

std::span<const uint8_t> ZipReader::data(const ZipEntry& entry) const {
  const size_t index = static_cast<size_t>(&entry - entries_.data());
  auto span = bytes_.subspan(entry.data_offset, entry.size);
  if (index < verified_.size() && !verified_[index]) {
    const uint32_t actual = crc32(span);
    if (actual != entry.crc32) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "CRC-32 %08x, expected %08x", actual, entry.crc32);
      corrupt("entry '" + entry.name + "' fails its checksum: " + buf, entry.data_offset);
    }
    verified_[index] = true;
  }
  return span;
}

void ZipWriter::add(std::string_view name, std::span<const uint8_t> data, size_t alignment) {
  const uint64_t offset = out_.size();
  const uint64_t size = data.size();
  const bool zip64 = force_zip64_ || size >= kMax32 || offset >= kMax32;
  const uint32_t crc = crc32(data);

  std::string extra;
  if (zip64) {
    put16(extra, kZip64ExtraId);
    put16(extra, 16);
    put64(extra, size);
    put64(extra, size);
  }
  if (alignment > 1) {
    const uint64_t unpadded = offset + kLocalHeaderSize + name.size() + extra.size() + 4;
    const size_t pad = static_cast<size_t>((alignment - unpadded % alignment) % alignment);
    put16(extra, kPaddingExtraId);
    put16(extra, static_cast<uint16_t>(pad));
    extra.append(pad, 'Z');
  }

  put32(out_, kLocalHeaderSig);
  put16(out_, zip64 ? 45 : 20);  // version needed to extract
  put16(out_, 0x0800);           // names are UTF-8
  put16(out_, 0);                // stored
  put16(out_, 0);                // time
  put16(out_, 0);                // date
  put32(out_, crc);
  put32(out_, zip64 ? kMax32 : static_cast<uint32_t>(size));
  put32(out_, zip64 ? kMax32 : static_cast<uint32_t>(size));
  put16(out_, static_cast<uint16_t>(name.size()));
  put16(out_, static_cast<uint16_t>(extra.size()));
  out_.append(name);
  out_.append(extra);
  out_.append(reinterpret_cast<const char*>(data.data()), data.size());
  records_.push_back({std::string(name), offset, size, crc});
}

std::string ZipWriter::finish() {
  const uint64_t cd_offset = out_.size();
  for (const Record& r : records_) {
    const bool zip64 = force_zip64_ || r.size >= kMax32 || r.offset >= kMax32;
    std::string extra;
    if (zip64) {
      // With ZIP64 all three fields are saturated, so all three 8-byte values follow.
      put16(extra, kZip64ExtraId);
      put16(extra, 24);
      put64(extra, r.size);
      put64(extra, r.size);
      put64(extra, r.offset);
    }
    put32(out_, kCentralHeaderSig);
    put16(out_, zip64 ? 45 : 20);  // version made by
    put16(out_, zip64 ? 45 : 20);  // version needed
    put16(out_, 0x0800);
    put16(out_, 0);
    put16(out_, 0);
    put16(out_, 0);
    put32(out_, r.crc);
    put32(out_, zip64 ? kMax32 : static_cast<uint32_t>(r.size));
    put32(out_, zip64 ? kMax32 : static_cast<uint32_t>(r.size));
    put16(out_, static_cast<uint16_t>(r.name.size()));
    put16(out_, static_cast<uint16_t>(extra.size()));
    put16(out_, 0);  // comment
    put16(out_, 0);  // disk
    put16(out_, 0);  // internal attributes
    put32(out_, 0);  // external attributes
    put32(out_, zip64 ? kMax32 : static_cast<uint32_t>(r.offset));
    out_.append(r.name);
    out_.append(extra);
  }
  const uint64_t cd_size = out_.size() - cd_offset;
  const uint64_t count = records_.size();
  const bool zip64 = force_zip64_ || count >= kMax16 || cd_size >= kMax32 || cd_offset >= kMax32;
  if (zip64) {
    const uint64_t z64 = out_.size();
    put32(out_, kZip64EocdSig);
    put64(out_, kZip64EocdSize - 12);  // size of the rest of the record
    put16(out_, 45);
    put16(out_, 45);
    put32(out_, 0);
    put32(out_, 0);
    put64(out_, count);
    put64(out_, count);
    put64(out_, cd_size);
    put64(out_, cd_offset);
    put32(out_, kZip64LocatorSig);
    put32(out_, 0);
    put64(out_, z64);
    put32(out_, 1);
  }
  put32(out_, kEocdSig);
  put16(out_, 0);
  put16(out_, 0);
  put16(out_, zip64 ? kMax16 : static_cast<uint16_t>(count));
  put16(out_, zip64 ? kMax16 : static_cast<uint16_t>(count));
  put32(out_, zip64 ? kMax32 : static_cast<uint32_t>(cd_size));
  put32(out_, zip64 ? kMax32 : static_cast<uint32_t>(cd_offset));
  put16(out_, 0);
  records_.clear();
  return std::move(out_);
}

}  // namespace yoloxrt::core
