#include "yoloxrt/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>

#include "core/sha256.h"
#include "yoloxrt/error.h"

namespace yoloxrt {
namespace fs = std::filesystem;
namespace {

// Writers report every failure as kIo (the contract of write_file_atomic); readers pass kNotFound
// for a missing file.
[[noreturn]] void io_error(const fs::path& path, const std::string& what, int err,
                           ErrorKind kind = ErrorKind::kIo) {
  throw Error(kind, what + ": " + std::strerror(err), path.string());
}

// Closes a descriptor on scope exit unless released.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now and returns close()'s errno (0 on success): on NFS a failed write can surface here.
  int close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc == 0 ? 0 : errno;
  }

 private:
  int fd_;
};

// A random name for a sibling of `path`: ".<stem>.tmp<hex><ext>", keeping the extension so that
// writers which guess the format from it still work.
fs::path temp_sibling(const fs::path& path) {
  static thread_local std::mt19937_64 rng{std::random_device{}() ^ static_cast<uint64_t>(::getpid())
                                                                       << 32};
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(rng()));
  // Appended piecewise: GCC 12 warns (-Wrestrict, falsely) on `"." + std::string`.
  std::string name = ".";
  name += path.stem().string();
  name += ".tmp";
  name += hex;
  name += path.extension().string();
  return path.parent_path() / name;
}

// Creates a new, empty temporary sibling of `path` (O_EXCL, so it is ours) and returns its
// descriptor. Mode 0666 lets the umask decide the final permissions, as for a plain create.
int create_temp(const fs::path& path, fs::path* temp) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    *temp = temp_sibling(path);
    const int fd = ::open(temp->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) return fd;
    if (errno != EEXIST) io_error(path, "cannot create a temporary file in its folder", errno);
  }
  throw Error(ErrorKind::kIo, "cannot find a free temporary file name", path.string());
}

// Best effort: makes the rename itself durable. Failure here does not undo a completed write.
void sync_parent_dir(const fs::path& path) {
  const fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

std::vector<uint8_t> read_file_bytes(const fs::path& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    const int err = errno;
    io_error(path, "cannot open for reading", err,
             err == ENOENT || err == ENOTDIR ? ErrorKind::kNotFound : ErrorKind::kIo);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) io_error(path, "cannot stat", errno);
  if (S_ISDIR(st.st_mode)) throw Error(ErrorKind::kIo, "is a directory, not a file", path.string());

  // A regular file is read straight into a buffer of its size; a small probe read then confirms
  // the end (or picks up growth, as does reading a pipe, with a growing buffer).
  std::vector<uint8_t> bytes(S_ISREG(st.st_mode) ? static_cast<size_t>(st.st_size) : 0);
  size_t used = 0;
  auto read_some = [&](uint8_t* dst, size_t room) -> size_t {
    for (;;) {
      const ssize_t n = ::read(fd.get(), dst, room);
      if (n >= 0) return static_cast<size_t>(n);
      if (errno != EINTR) io_error(path, "cannot read", errno);
    }
  };
  for (;;) {
    if (used < bytes.size()) {
      const size_t n = read_some(bytes.data() + used, bytes.size() - used);
      if (n == 0) break;
      used += n;
      continue;
    }
    std::array<uint8_t, 4096> probe;
    const size_t n = read_some(probe.data(), probe.size());
    if (n == 0) break;
    bytes.resize(std::max<size_t>(bytes.size() * 2, used + 64 * 1024));
    std::memcpy(bytes.data() + used, probe.data(), n);
    used += n;
  }
  bytes.resize(used);
  return bytes;
}

void write_file_atomic(const fs::path& path, std::string_view bytes) {
  fs::path temp;
  Fd fd(create_temp(path, &temp));
  auto fail = [&](const std::string& what, int err) {
    fd.close();
    ::unlink(temp.c_str());
    io_error(path, what, err);
  };
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot write", errno);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0) fail("cannot flush to disk", errno);
  if (const int err = fd.close(); err != 0) {
    ::unlink(temp.c_str());
    io_error(path, "cannot close", err);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    io_error(path, "cannot rename the temporary file over it", err == ENOENT ? EIO : err);
  }
  sync_parent_dir(path);
}

AtomicFile::AtomicFile(fs::path path) : path_(std::move(path)) {
  // Reserve the name now so two AtomicFiles never share a temporary.
  Fd fd(create_temp(path_, &temp_));
}

AtomicFile::~AtomicFile() {
  if (!committed_) ::unlink(temp_.c_str());
}

void AtomicFile::commit() {
  if (committed_) return;
  // Flush what the writer wrote before it becomes visible under the real name.
  if (Fd fd(::open(temp_.c_str(), O_RDONLY | O_CLOEXEC)); fd.get() >= 0) ::fsync(fd.get());
  if (::rename(temp_.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    throw Error(
        ErrorKind::kIo,
        "cannot rename the temporary file '" + temp_.string() + "' over it: " + std::strerror(err),
        path_.string());
  }
  committed_ = true;
  sync_parent_dir(path_);
}

std::string sha256_hex(const void* data, size_t size) {
  static const char* const kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (uint8_t b : core::sha256(data, size)) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

}  // namespace yoloxrt
