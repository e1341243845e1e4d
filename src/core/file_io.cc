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

namespace {

// SHA-256 (FIPS 180-4).
class Sha256 {
 public:
  void update(const uint8_t* p, size_t n) {
    // An empty input may come as a null pointer (an empty vector's data(), e.g. an empty
    // checkpoint file), which memcpy must not be given even with n == 0 (found by UBSan).
    if (n == 0) return;
    total_ += n;
    if (buffered_) {
      const size_t take = std::min(n, size_t{64} - buffered_);
      std::memcpy(block_.data() + buffered_, p, take);
      buffered_ += take;
      p += take;
      n -= take;
      if (buffered_ < 64) return;
      compress(block_.data());
      buffered_ = 0;
    }
    for (; n >= 64; p += 64, n -= 64) compress(p);
    std::memcpy(block_.data(), p, n);
    buffered_ = n;
  }

  std::string hex_digest() {
    const uint64_t bits = total_ * 8;
    const uint8_t pad = 0x80;
    update(&pad, 1);
    const uint8_t zero = 0;
    while (buffered_ != 56) update(&zero, 1);
    uint8_t len[8];
    for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(bits >> (56 - 8 * i));
    update(len, 8);
    std::string out;
    static const char kHex[] = "0123456789abcdef";
    for (uint32_t w : h_)
      for (int s = 28; s >= 0; s -= 4) out += kHex[(w >> s) & 0xf];
    return out;
  }

 private:
  static uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

  void compress(const uint8_t* p) {
    static constexpr uint32_t k[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2};
    uint32_t w[64];
    for (int i = 0; i < 16; ++i)
      w[i] = (uint32_t{p[4 * i]} << 24) | (uint32_t{p[4 * i + 1]} << 16) |
             (uint32_t{p[4 * i + 2]} << 8) | uint32_t{p[4 * i + 3]};
    for (int i = 16; i < 64; ++i) {
      const uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      const uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h_[0], b = h_[1], c = h_[2], d = h_[3], e = h_[4], f = h_[5], g = h_[6], h = h_[7];
    for (int i = 0; i < 64; ++i) {
      const uint32_t t1 =
          h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + k[i] + w[i];
      const uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      h = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    h_[0] += a;
    h_[1] += b;
    h_[2] += c;
    h_[3] += d;
    h_[4] += e;
    h_[5] += f;
    h_[6] += g;
    h_[7] += h;
  }

  std::array<uint32_t, 8> h_ = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  std::array<uint8_t, 64> block_{};
  size_t buffered_ = 0;
  uint64_t total_ = 0;
};

}  // namespace

std::string sha256_hex(const void* data, size_t size) {
  Sha256 sha;
  sha.update(static_cast<const uint8_t*>(data), size);
  return sha.hex_digest();
}

}  // namespace yoloxrt
