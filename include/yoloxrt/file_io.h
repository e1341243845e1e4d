// yoloxrt/file_io.h - whole-file reads and atomic writes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace yoloxrt {

// Reads the whole file. Throws Error(kNotFound) if it does not exist, Error(kIo) if it cannot be
// read (or is a directory), naming the path.
std::vector<uint8_t> read_file_bytes(const std::filesystem::path& path);

// Writes `bytes` to `path` atomically: a temporary file in the same folder is written, flushed and
// renamed over `path`. On any failure the temporary is removed, `path` is untouched, and
// Error(kIo) names `path` and the OS's reason.
void write_file_atomic(const std::filesystem::path& path, std::string_view bytes);

// A temporary sibling of `path` that is removed on destruction unless commit() renamed it over
// `path`. For writers (video encoders, ...) that need a real file path to write into.
class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // The temporary path to write into; keeps `path`'s extension so format-guessing writers work.
  const std::filesystem::path& temp_path() const { return temp_; }
  // Renames the temporary over the destination. Throws Error(kIo) on failure.
  void commit();

 private:
  std::filesystem::path path_;
  std::filesystem::path temp_;
  bool committed_ = false;
};

// Lower-case hex SHA-256 of `bytes`.
std::string sha256_hex(const void* data, size_t size);

}  // namespace yoloxrt
