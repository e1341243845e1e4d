#include "core/sha256.h"

#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace yoloxrt::core {
namespace {

std::string hex(const std::array<uint8_t, 32>& d) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (uint8_t b : d) s += {digits[b >> 4], digits[b & 15]};
  return s;
}

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(hex(sha256("", 0)), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex(sha256("abc", 3)),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  EXPECT_EQ(hex(sha256(two_blocks.data(), two_blocks.size())),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  const std::string million(1000000, 'a');
  EXPECT_EQ(hex(sha256(million.data(), million.size())),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// Every length around the block and padding boundaries, hardware path against portable path.
TEST(Sha256, HardwareAndPortablePathsAgree) {
  std::mt19937 rng(3);
  std::vector<uint8_t> buf(1000);
  for (auto& b : buf) b = static_cast<uint8_t>(rng());
  for (size_t n = 0; n <= buf.size(); n += (n < 200 ? 1 : 37))
    ASSERT_EQ(sha256(buf.data(), n), sha256_portable(buf.data(), n)) << n;
  std::printf("[sha256] hardware path: %s\n", sha256_has_hardware() ? "SHA-NI" : "none");
}

}  // namespace
}  // namespace yoloxrt::core
