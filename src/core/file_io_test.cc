#include "yoloxrt/file_io.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "support/test_support.h"
#include "yoloxrt/error.h"

namespace yoloxrt {
namespace {
namespace fs = std::filesystem;
using testing::TempDir;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

size_t count_entries(const fs::path& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

TEST(FileIoTest, WriteThenReadRoundTrips) {
  TempDir dir;
  std::string data(100000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7 + 3);
  write_file_atomic(dir / "a.bin", data);
  const auto back = read_file_bytes(dir / "a.bin");
  ASSERT_EQ(back.size(), data.size());
  EXPECT_EQ(std::string(back.begin(), back.end()), data);
  EXPECT_EQ(count_entries(dir.path()), 1u);  // no temporary left behind
}

TEST(FileIoTest, ReadsEmptyFile) {
  TempDir dir;
  write_file_atomic(dir / "empty", "");
  EXPECT_TRUE(read_file_bytes(dir / "empty").empty());
}

TEST(FileIoTest, ReplacesExistingFile) {
  TempDir dir;
  write_file_atomic(dir / "f.txt", "old contents that are longer");
  write_file_atomic(dir / "f.txt", "new");
  EXPECT_EQ(slurp(dir / "f.txt"), "new");
  EXPECT_EQ(count_entries(dir.path()), 1u);
}

TEST(FileIoTest, MissingFileIsNotFound) {
  TempDir dir;
  try {
    read_file_bytes(dir / "nope.pth");
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
    EXPECT_NE(e.file().find("nope.pth"), std::string::npos);
  }
}

TEST(FileIoTest, DirectoryIsIoError) {
  TempDir dir;
  try {
    read_file_bytes(dir.path());
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIo);
    EXPECT_NE(std::string(e.what()).find("directory"), std::string::npos);
  }
}

TEST(FileIoTest, UnwritableDirectoryLeavesNothingBehind) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  TempDir dir;
  const fs::path ro = dir / "ro";
  fs::create_directory(ro);
  write_file_atomic(ro / "keep.txt", "original");
  ::chmod(ro.c_str(), 0555);
  try {
    write_file_atomic(ro / "keep.txt", "replacement");
    ::chmod(ro.c_str(), 0755);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    ::chmod(ro.c_str(), 0755);
    EXPECT_EQ(e.kind(), ErrorKind::kIo);
    EXPECT_NE(e.file().find("keep.txt"), std::string::npos);
    EXPECT_NE(e.message().find("ermission"), std::string::npos) << e.what();
  }
  EXPECT_EQ(slurp(ro / "keep.txt"), "original");
  EXPECT_EQ(count_entries(ro), 1u);
}

TEST(FileIoTest, ReadOnlyFilesystemIsIoError) {
  // /proc refuses new files even for root.
  try {
    write_file_atomic("/proc/yoloxrt-write-test.bin", "data");
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIo);
    EXPECT_NE(e.file().find("yoloxrt-write-test.bin"), std::string::npos);
  }
  EXPECT_FALSE(fs::exists("/proc/yoloxrt-write-test.bin"));
}

TEST(FileIoTest, RenameFailureRemovesTemporary) {
  // The destination is a non-empty directory: the temporary is written, the rename fails, and the
  // temporary must be cleaned up. Works as root too.
  TempDir dir;
  fs::create_directories(dir / "target" / "child");
  try {
    write_file_atomic(dir / "target", "data");
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIo);
    EXPECT_NE(e.file().find("target"), std::string::npos);
  }
  EXPECT_EQ(count_entries(dir.path()), 1u);
}

TEST(FileIoTest, MissingFolderIsIoError) {
  TempDir dir;
  try {
    write_file_atomic(dir / "no" / "such" / "x.onnx", "data");
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIo);
    EXPECT_NE(e.message().find("No such file"), std::string::npos) << e.what();
  }
}

TEST(FileIoTest, AtomicFileCommitAndDiscard) {
  TempDir dir;
  {
    AtomicFile f(dir / "video.mp4");
    EXPECT_EQ(f.temp_path().extension(), ".mp4");
    EXPECT_EQ(f.temp_path().parent_path(), dir.path());
    std::ofstream(f.temp_path(), std::ios::binary) << "frames";
    f.commit();
  }
  EXPECT_EQ(slurp(dir / "video.mp4"), "frames");
  {
    AtomicFile f(dir / "other.mp4");
    std::ofstream(f.temp_path(), std::ios::binary) << "partial";
    EXPECT_TRUE(fs::exists(f.temp_path()));
  }  // not committed: removed
  EXPECT_FALSE(fs::exists(dir / "other.mp4"));
  EXPECT_EQ(count_entries(dir.path()), 1u);
}

TEST(FileIoTest, TwoAtomicFilesGetDistinctTemporaries) {
  TempDir dir;
  AtomicFile a(dir / "x.bin");
  AtomicFile b(dir / "x.bin");
  EXPECT_NE(a.temp_path(), b.temp_path());
}

TEST(FileIoTest, Sha256KnownVectors) {
  EXPECT_EQ(sha256_hex("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // An empty vector's data() may be null (the empty-checkpoint row of the bad-input matrix):
  // UBSan flagged the memcpy of 0 bytes from it.
  EXPECT_EQ(sha256_hex(nullptr, 0),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc", 3),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  EXPECT_EQ(sha256_hex(two_blocks.data(), two_blocks.size()),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  const std::string million(1000000, 'a');
  EXPECT_EQ(sha256_hex(million.data(), million.size()),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(FileIoTest, Sha256BoundaryLengths) {
  // 55, 56 and 64 bytes straddle the padding boundary (digests from Python's hashlib).
  const std::string s55(55, 'a'), s56(56, 'a'), s64(64, 'a');
  EXPECT_EQ(sha256_hex(s55.data(), 55),
            "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  EXPECT_EQ(sha256_hex(s56.data(), 56),
            "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
  EXPECT_EQ(sha256_hex(s64.data(), 64),
            "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

}  // namespace
}  // namespace yoloxrt
