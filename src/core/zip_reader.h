// core/zip_reader.h - a small codec for uncompressed ("stored") zip archives, as torch.save writes.
//
// Private to yoloxrt_core. ZipReader parses an archive held in memory without copying it: entry
// data is a span into the input. Only what torch.save produces is supported (stored entries,
// ZIP64 records, data descriptors); everything else is refused with an Error that names it.
// ZipWriter produces the same shape of archive (stored, 64-byte aligned data, ZIP64 when needed).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace yoloxrt::core {

// CRC-32 (IEEE 802.3, as zip uses) of `data`, continuing from `crc` (0 to start). Slice-by-8.
uint32_t crc32(std::span<const uint8_t> data, uint32_t crc = 0);

struct ZipEntry {
  std::string name;
  uint64_t header_offset = 0;  // offset of the local file header in the archive
  uint64_t data_offset = 0;    // offset of the first data byte in the archive
  uint64_t size = 0;           // stored size == uncompressed size
  uint32_t crc32 = 0;          // from the central directory
};

class ZipReader {
 public:
  // Parses the end-of-central-directory record (and its ZIP64 variant), the central directory and
  // every local header. `bytes` must outlive the reader. Throws Error(kCorrupt) with the byte
  // offset for anything inconsistent or out of range, Error(kUnsupported) for compressed,
  // encrypted or multi-disk archives, Error(kUnsafe) for absolute names or names with a ".."
  // component, Error(kCorrupt) for an entry larger than `max_entry_bytes`.
  explicit ZipReader(std::span<const uint8_t> bytes, uint64_t max_entry_bytes = ~0ull);

  // Entries in central-directory order.
  const std::vector<ZipEntry>& entries() const { return entries_; }

  // Returns the entry named `name`, or nullptr.
  const ZipEntry* find(std::string_view name) const;

  // Returns the entry's data (a span into the input) after verifying its CRC-32 once; later calls
  // for the same entry do not recompute it. Throws Error(kCorrupt) naming the entry on mismatch.
  // REQUIRES: `entry` is one of entries(). Not thread-safe (it caches verification results).
  std::span<const uint8_t> data(const ZipEntry& entry) const;

 private:
  std::span<const uint8_t> bytes_;
  std::vector<ZipEntry> entries_;
  std::unordered_map<std::string, size_t> by_name_;
  mutable std::vector<bool> verified_;
};

// Builds a stored zip archive in memory. Entries are written in the order they are added.
class ZipWriter {
 public:
  // `force_zip64` writes ZIP64 records even when not needed (PyTorch's writer always emits the
  // ZIP64 end records; tests use this to exercise the ZIP64 extra fields too).
  explicit ZipWriter(bool force_zip64 = false) : force_zip64_(force_zip64) {}

  // Reserves room for `bytes` more output bytes (an optimisation only).
  void reserve(size_t bytes) { out_.reserve(out_.size() + bytes); }

  // Appends a stored entry whose data starts at an offset that is a multiple of `alignment`
  // (padding goes into the local header's extra field, as PyTorch does). REQUIRES: alignment is a
  // power of two, 1 <= alignment <= 4096; finish() not yet called.
  void add(std::string_view name, std::span<const uint8_t> data, size_t alignment = 64);
  void add(std::string_view name, std::string_view data, size_t alignment = 64) {
    add(name, std::span(reinterpret_cast<const uint8_t*>(data.data()), data.size()), alignment);
  }

  // Writes the central directory and end records and returns the archive.
  std::string finish();

 private:
  struct Record {
    std::string name;
    uint64_t offset;
    uint64_t size;
    uint32_t crc;
  };
  bool force_zip64_;
  std::string out_;
  std::vector<Record> records_;
};

}  // namespace yoloxrt::core
