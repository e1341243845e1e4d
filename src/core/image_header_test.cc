// Tests of read_image_header / check_image_pixels: sizes read from headers alone, limits enforced
// before decoding, and no read past the bytes given (every prefix of every header is tried).
#include "yoloxrt/image_header.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "yoloxrt/error.h"

namespace yoloxrt {
namespace {

std::vector<uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

// SOC, then SIZ: Lsiz, Rsiz, Xsiz, Ysiz, XOsiz, YOsiz (then tiles and components).
std::string j2k_header(uint32_t x, uint32_t y, uint32_t x0, uint32_t y0) {
  return std::string("\xFF\x4F\xFF\x51\x00\x29\x00\x00", 8) + be32(x) + be32(y) + be32(x0) +
         be32(y0) + be32(x) + be32(y) + be32(0) + be32(0) + std::string("\x00\x01\x07\x01\x01", 5);
}

const std::string kJp2Signature("\0\0\0\x0CjP  \r\n\x87\n", 12);

std::vector<uint8_t> png_header(uint32_t w, uint32_t h) {
  return bytes_of(std::string("\x89PNG\r\n\x1a\n", 8) + be32(13) + "IHDR" + be32(w) + be32(h) +
                  std::string("\x08\x02\x00\x00\x00", 5));
}

TEST(ImageHeaderTest, ReadsSizesOfEachFormat) {
  struct Case {
    const char* name;
    std::vector<uint8_t> bytes;
    uint64_t w, h;
  };
  const std::vector<Case> cases = {
      {"png", png_header(640, 480), 640, 480},
      // SOI, an APP0 segment to skip, then SOF0 with height 300, width 400.
      {"jpeg",
       bytes_of(
           std::string("\xFF\xD8\xFF\xE0\x00\x04\x00\x00\xFF\xC0\x00\x11\x08\x01\x2C\x01\x90", 17)),
       400, 300},
      {"bmp",
       bytes_of(std::string("BM", 2) + std::string(12, '\0') +
                std::string("\x28\x00\x00\x00\x10\x00\x00\x00\xF8\xFF\xFF\xFF", 12)),
       16, 8},
      {"gif", bytes_of(std::string("GIF89a\x20\x00\x10\x00", 10)), 32, 16},
      {"tiff",
       bytes_of(std::string("II*\0\x08\0\0\0\x02\0", 10) +
                std::string("\x00\x01\x03\x00\x01\x00\x00\x00\x64\x00\x00\x00", 12) +
                std::string("\x01\x01\x04\x00\x01\x00\x00\x00\xC8\x00\x00\x00", 12)),
       100, 200},
      {"pnm", bytes_of("P6\n# a comment\n 12 34\n255\n"), 12, 34},
      // The image area is Xsiz - XOsiz by Ysiz - YOsiz.
      {"j2k", bytes_of(j2k_header(700, 500, 100, 20)), 600, 480},
      // JP2: signature box, a header box to skip, then the codestream box (length 0: to the end).
      {"jp2",
       bytes_of(kJp2Signature + be32(16) + "jp2h" + std::string(8, 'x') + be32(0) + "jp2c" +
                j2k_header(30000, 20000, 0, 0)),
       30000, 20000},
      // The codestream box with an 8-byte extended length.
      {"jp2-xl",
       bytes_of(kJp2Signature + be32(1) + "jp2c" + be32(0) + be32(16 + 45) +
                j2k_header(8, 4, 0, 0)),
       8, 4},
      {"webp-vp8x",
       bytes_of(std::string("RIFF\0\0\0\0WEBPVP8X\x0A\0\0\0\0\0\0\0\x1F\x4E\0\x1F\x4E\0", 30)),
       20000, 20000},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto info = read_image_header(c.bytes);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->width, c.w);
    EXPECT_EQ(info->height, c.h);
    // Every strict prefix must be handled without reading past it (ASan checks the reads).
    for (size_t n = 0; n < c.bytes.size(); ++n)
      (void)read_image_header(std::span(c.bytes.data(), n));
  }
}

TEST(ImageHeaderTest, MalformedJpegTwoThousandHasNoSize) {
  // An origin beyond the extent, and a JP2 box whose length is shorter than its own header.
  EXPECT_FALSE(read_image_header(bytes_of(j2k_header(10, 10, 20, 0))).has_value());
  EXPECT_FALSE(read_image_header(bytes_of(kJp2Signature + be32(4) + "jp2c")).has_value());
  EXPECT_FALSE(read_image_header(bytes_of(kJp2Signature)).has_value());
}

TEST(ImageHeaderTest, OneSignatureTableNamesFormatsAndWhatDecodes) {
  const auto* gif = identify_image_format(bytes_of("GIF87a\x01\x00\x01\x00"));
  ASSERT_NE(gif, nullptr);
  EXPECT_STREQ(gif->name, "gif");
  EXPECT_FALSE(gif->decodable);
  const auto* jp2 = identify_image_format(bytes_of(kJp2Signature));
  ASSERT_NE(jp2, nullptr);
  EXPECT_STREQ(jp2->name, "jpeg2000");
  EXPECT_TRUE(jp2->decodable);
  EXPECT_TRUE(identify_image_format(png_header(1, 1))->decodable);
  // PNM needs white space after the magic, as OpenCV's decoder does.
  EXPECT_NE(identify_image_format(bytes_of("P5 1 1 255\n")), nullptr);
  EXPECT_EQ(identify_image_format(bytes_of("P5/1 1")), nullptr);
  EXPECT_EQ(identify_image_format(bytes_of("hello")), nullptr);
  EXPECT_EQ(decodable_image_formats(), "JPEG, PNG, BMP, TIFF, WebP, PNM or JPEG 2000");
}

TEST(ImageHeaderTest, UnknownFormatsPassTheCheck) {
  EXPECT_FALSE(read_image_header(bytes_of("hello world")).has_value());
  EXPECT_NO_THROW(check_image_pixels(bytes_of("hello world"), "x.jpg", 1));
}

TEST(ImageHeaderTest, OversizedImageIsRefusedWithItsSize) {
  const auto big = png_header(20000, 20000);
  EXPECT_NO_THROW(check_image_pixels(big, "big.png", 400'000'000));
  try {
    check_image_pixels(big, "big.png", kDefaultMaxImagePixels);
    FAIL() << "not refused";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUnsupported);
    EXPECT_EQ(e.file(), "big.png");
    EXPECT_NE(e.message().find("20000x20000"), std::string::npos) << e.what();
    // The library states the problem; naming a CLI flag is the CLI's business.
    EXPECT_EQ(e.message().find("--"), std::string::npos) << e.what();
  }
}

TEST(ImageHeaderTest, HugePnmNumbersSaturateInsteadOfWrapping) {
  // 2^32 x 2^32 would wrap to 0 in 64 bits.
  EXPECT_THROW(check_image_pixels(bytes_of("P6 4294967296 4294967296 255\n"), "x.ppm", 100), Error);
}

}  // namespace
}  // namespace yoloxrt
