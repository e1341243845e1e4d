#include "yoloxrt/image.h"

#include <algorithm>
#include <cstring>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include "inference/jpeg_codec.h"
#include "support/test_support.h"

#include "yoloxrt/error.h"
#include "yoloxrt/file_io.h"

namespace yoloxrt {
namespace {

ErrorKind decode_error(const std::vector<uint8_t>& bytes) {
  try {
    decode_image(bytes, "input.bin");
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("input.bin"), std::string::npos) << e.what();
    return e.kind();
  }
  ADD_FAILURE() << "decoded";
  return ErrorKind::kRuntime;
}

// Found by fuzz/image_fuzz.cc: "P5/" is not a PNM header (OpenCV's PxM decoder wants white space
// after the magic), so cv::imdecode went on to GDAL/GDCM, which found "DICM" at byte 128 and
// aborted on an assertion. Such bytes must never reach the exotic decoders.
TEST(DecodeImage, FuzzedPgmLookalikeWithDicomTagIsRefusedNotDecoded) {
  const std::vector<uint8_t> crash = {
      0x50, 0x35, 0x2f, 0xf5, 0x3d, 0x8f, 0xfc, 0x01, 0x0a, 0x8b, 0x0e, 0xa8, 0x61, 0x79, 0xcc,
      0x7c, 0xde, 0x1f, 0x92, 0x95, 0x6e, 0xd3, 0x33, 0x4c, 0xe6, 0xd9, 0x22, 0x31, 0xc8, 0x6a,
      0x62, 0x73, 0xb1, 0x08, 0x91, 0x15, 0x32, 0xd7, 0xa2, 0x1a, 0x01, 0xc1, 0xe0, 0x5c, 0x73,
      0x65, 0x72, 0x2f, 0x74, 0x6d, 0x70, 0x2f, 0x5f, 0x5f, 0x6f, 0x70, 0x2e, 0x30, 0x22, 0x69,
      0x6f, 0x6e, 0x92, 0x95, 0x6e, 0xd3, 0x33, 0x32, 0xd7, 0xa2, 0x1a, 0x01, 0xc1, 0xe0, 0x5c,
      0x73, 0x1d, 0x87, 0x0b, 0x92, 0xf5, 0xba, 0xb1, 0xb1, 0x0a, 0xff, 0xff, 0xd9, 0x86, 0x43,
      0x95, 0xe2, 0x19, 0x54, 0x13, 0xc2, 0x81, 0x54, 0x17, 0x0c, 0xc7, 0x78, 0xd0, 0x33, 0x02,
      0xe2, 0x19, 0xc1, 0x19, 0x15, 0x49, 0x73, 0x69, 0x73, 0x43, 0x75, 0x2f, 0x62, 0x65, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x44, 0x49, 0x43, 0x4d, 0x62, 0xa3};
  EXPECT_EQ(decode_error(crash), ErrorKind::kCorrupt);
}

// Found by fuzz/image_fuzz.cc after the first fix: a RIFF/WEBP header that libwebp rejects (a
// "VP7" chunk) made OpenCV move on to the DICOM decoder ("DICM" at byte 128), which aborted.
TEST(DecodeImage, FuzzedWebpLookalikeWithDicomTagIsRefusedNotDecoded) {
  const std::vector<uint8_t> crash = {
      0x52, 0x49, 0x46, 0x46, 0x16, 0x03, 0x00, 0x00, 0x57, 0x45, 0x42, 0x50, 0x56, 0x50, 0x37,
      0x84, 0x98, 0xb4, 0x33, 0x92, 0xc1, 0x91, 0xaa, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33,
      0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30,
      0x30, 0x30, 0x30, 0x30, 0x31, 0x34, 0x35, 0x38, 0x39, 0x31, 0x36, 0x31, 0x32, 0x32, 0x30,
      0x34, 0x37, 0x35, 0x32, 0x37, 0x38, 0x36, 0x37, 0x38, 0x93, 0xc3, 0x81, 0x80, 0x71, 0x8a,
      0x00, 0x19, 0x98, 0x84, 0x01, 0x00, 0x2e, 0x85, 0xe0, 0x90, 0xda, 0x2d, 0x93, 0xc3, 0x81,
      0x80, 0x71, 0x8a, 0x00, 0x19, 0x98, 0x69, 0x03, 0x66, 0xb1, 0x22, 0x32, 0x18, 0x06, 0x01,
      0x56, 0x4e, 0x31, 0x1d, 0x01, 0x13, 0xa2, 0xbc, 0x2a, 0xc0, 0x6f, 0x12, 0x1f, 0xa8, 0x27,
      0x93, 0x4d, 0xde, 0x63, 0x11, 0x02, 0x97, 0xc2, 0x44, 0x49, 0x43, 0x4d, 0x02, 0x00, 0x00,
      0x00, 0x83, 0x98, 0x69, 0x03, 0x66, 0xb1, 0x22, 0x31, 0x18, 0x0a};
  EXPECT_EQ(decode_error(crash), ErrorKind::kCorrupt);
}

TEST(DecodeImage, UnknownSignaturesAreRefusedAndKnownOnesReachTheDecoder) {
  std::vector<uint8_t> dicom(132, 0);
  dicom[128] = 'D', dicom[129] = 'I', dicom[130] = 'C', dicom[131] = 'M';
  EXPECT_EQ(decode_error(dicom), ErrorKind::kCorrupt);
  // A recognised signature whose header declares no size is refused before decoding; one with a
  // size but a broken body is refused by the decoder itself.
  EXPECT_EQ(decode_error({0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F'}), ErrorKind::kCorrupt);
  EXPECT_EQ(decode_error({'P', '6', '\n', '2', ' ', '2', '\n', '2', '5', '5', '\n'}),
            ErrorKind::kCorrupt);
}

std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

// A JPEG 2000 codestream's first bytes: SOC, then SIZ declaring w x h (one 8-bit component).
std::string j2k_header(uint32_t w, uint32_t h) {
  return std::string("\xFF\x4F\xFF\x51\x00\x29\x00\x00", 8) + be32(w) + be32(h) + be32(0) +
         be32(0) + be32(w) + be32(h) + be32(0) + be32(0) + std::string("\x00\x01\x07\x01\x01", 5);
}

std::vector<uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

Error decode_failure(const std::vector<uint8_t>& bytes, uint64_t max_pixels) {
  try {
    decode_image(bytes, "input.bin", max_pixels);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "decoded";
  return Error(ErrorKind::kRuntime, "decoded");
}

// JPEG 2000 sizes used to be limited only by OpenCV's OPENCV_IO_MAX_IMAGE_PIXELS, which the CLI
// set: library callers got OpenCV's 2^30 default instead of their max_pixels.
TEST(DecodeImage, JpegTwoThousandSizeIsCheckedBeforeDecoding) {
  const Error raw = decode_failure(bytes_of(j2k_header(20000, 20000)), kDefaultMaxImagePixels);
  EXPECT_EQ(raw.kind(), ErrorKind::kUnsupported);
  EXPECT_NE(raw.message().find("20000x20000"), std::string::npos) << raw.what();
  // The same codestream inside a JP2 file (signature, ftyp and jp2c boxes), and a tiny limit.
  const std::string jp2 = std::string("\0\0\0\x0CjP  \r\n\x87\n", 12) + be32(20) + "ftyp" + "jp2 " +
                          be32(0) + "jp2 " + be32(0) + "jp2c" + j2k_header(64, 48);
  const Error boxed = decode_failure(bytes_of(jp2), 64 * 48 - 1);
  EXPECT_EQ(boxed.kind(), ErrorKind::kUnsupported);
  EXPECT_NE(boxed.message().find("64x48"), std::string::npos) << boxed.what();
  // A JP2 file whose codestream is cut before SIZ is not decoded at all.
  EXPECT_EQ(decode_failure(bytes_of(jp2.substr(0, 50)), kDefaultMaxImagePixels).kind(),
            ErrorKind::kCorrupt);
}

// Real JPEG 2000 files (OpenCV's own encoder) still decode: their sizes are read from the header.
TEST(DecodeImage, EncodedJpegTwoThousandRoundTrips) {
  // At least 32 px a side: OpenJPEG's default 6 resolution levels need it.
  ImageBuffer img(72, 40);
  for (int y = 0; y < 40; ++y)
    for (int x = 0; x < 72 * 3; ++x) img.view().row(y)[x] = static_cast<uint8_t>(x * 2 + y);
  std::vector<uint8_t> jp2;
  try {
    jp2 = encode_image(img.view(), ".jp2");
  } catch (const Error& e) {
    GTEST_SKIP() << "no JPEG 2000 encoder: " << e.what();
  }
  // The raw codestream: the contents of the JP2 file's 'jp2c' box.
  const std::string text(jp2.begin(), jp2.end());
  const size_t box = text.find("jp2c");
  ASSERT_NE(box, std::string::npos);
  std::vector<uint8_t> j2k(jp2.begin() + static_cast<std::ptrdiff_t>(box) + 4, jp2.end());
  for (const std::vector<uint8_t>* bytes : {&jp2, &j2k}) {
    SCOPED_TRACE(bytes == &jp2 ? "jp2" : "j2k");
    const auto header = read_image_header(*bytes);
    ASSERT_TRUE(header.has_value());
    EXPECT_STREQ(header->format, "jpeg2000");
    const ImageBuffer back = decode_image(*bytes, "t.jp2");
    EXPECT_EQ(back.width(), 72);
    EXPECT_EQ(back.height(), 40);
    EXPECT_THROW(decode_image(*bytes, "t.jp2", 72 * 40 - 1), Error);
  }
}

// GIF's size is read from its header, but OpenCV 4.6 has no GIF decoder: say so.
TEST(DecodeImage, GifIsUnsupportedNotCorrupt) {
  const Error e =
      decode_failure({'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0}, kDefaultMaxImagePixels);
  EXPECT_EQ(e.kind(), ErrorKind::kUnsupported);
  EXPECT_NE(e.message().find("GIF"), std::string::npos) << e.what();
}

TEST(DecodeImage, TinyPnmDecodes) {
  const std::string ppm =
      std::string("P6\n2 1\n255\n") + std::string("\x10\x20\x30\x40\x50\x60", 6);
  const ImageBuffer img = decode_image(std::vector<uint8_t>(ppm.begin(), ppm.end()), "t.ppm");
  ASSERT_EQ(img.width(), 2);
  ASSERT_EQ(img.height(), 1);
  EXPECT_EQ(img.view().row(0)[0], 0x30);  // BGR: blue first
  EXPECT_EQ(img.view().row(0)[2], 0x10);
}

}  // namespace
}  // namespace yoloxrt

namespace yoloxrt {
namespace {

// libjpeg decodes a JPEG cut short into a grey-filled image without an error; decode_image must
// refuse it (a server answers 400, detect skips the file) — at every cut point of a real photo's
// scan data, while the whole photo, and the photo with bytes after its end marker, still decode.
TEST(DecodeImage, TruncatedJpegIsRefused) {
  const ImageBuffer img = [] {
    ImageBuffer b(64, 48);
    const Image v = b.view();
    for (int y = 0; y < v.height; ++y)
      for (int x = 0; x < v.width * 3; ++x) v.row(y)[x] = static_cast<uint8_t>(x * 7 + y * 13);
    return b;
  }();
  const std::vector<uint8_t> jpeg = encode_image(img.view(), ".jpg");
  EXPECT_EQ(decode_image(jpeg, "whole.jpg").width(), 64);
  std::vector<uint8_t> trailing = jpeg;
  trailing.insert(trailing.end(), {'t', 'r', 'a', 'i', 'l'});
  EXPECT_EQ(decode_image(trailing, "trailing.jpg").height(), 48);
  for (size_t cut : {jpeg.size() - 2, jpeg.size() * 3 / 4, jpeg.size() / 2}) {
    SCOPED_TRACE(cut);
    const std::vector<uint8_t> part(jpeg.begin(), jpeg.begin() + static_cast<ptrdiff_t>(cut));
    try {
      decode_image(part, "cut.jpg");
      ADD_FAILURE() << "a truncated JPEG decoded";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kCorrupt);
    }
  }
}

// A smooth 8-bit BGR test pattern (JPEG-friendly) of w x h.
ImageBuffer gradient(int w, int h) {
  ImageBuffer b(w, h);
  const Image v = b.view();
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      uint8_t* p = v.row(y) + 3 * x;
      p[0] = static_cast<uint8_t>(x * 255 / w);
      p[1] = static_cast<uint8_t>(y * 255 / h);
      p[2] = static_cast<uint8_t>((x + y) * 127 / (w + h));
    }
  return b;
}

// decode_image decodes straight into its result: the pixels must be those a plain cv::imdecode
// gives (same decoder, no copy path in between to hide an offset or stride mistake).
TEST(DecodeImage, InPlaceDecodeMatchesOpenCv) {
  for (const char* ext : {".jpg", ".png"}) {
    const std::vector<uint8_t> bytes = encode_image(gradient(67, 45).view(), ext);
    const ImageBuffer got = decode_image(bytes, std::string("g") + ext);
    const cv::Mat want = cv::imdecode(bytes, cv::IMREAD_COLOR);
    ASSERT_EQ(got.width(), want.cols) << ext;
    ASSERT_EQ(got.height(), want.rows) << ext;
    const Image v = got.view();
    for (int y = 0; y < want.rows; ++y)
      ASSERT_EQ(std::memcmp(v.row(y), want.ptr(y), static_cast<size_t>(want.cols) * 3), 0)
          << ext << " row " << y;
  }
}

// JPEGs shrink by 2, 4, 8 inside libjpeg (ceil of each side); other formats come out whole.
TEST(DecodeImage, ScaledDecode) {
  const std::vector<uint8_t> jpeg = encode_image(gradient(67, 45).view(), ".jpg");
  for (int r : {1, 2, 4, 8}) {
    const ImageBuffer b = decode_image_scaled(jpeg, "g.jpg", r);
    EXPECT_EQ(b.width(), (67 + r - 1) / r) << r;
    EXPECT_EQ(b.height(), (45 + r - 1) / r) << r;
    const cv::Mat want = cv::imdecode(jpeg, r == 1   ? cv::IMREAD_COLOR
                                            : r == 2 ? cv::IMREAD_REDUCED_COLOR_2
                                            : r == 4 ? cv::IMREAD_REDUCED_COLOR_4
                                                     : cv::IMREAD_REDUCED_COLOR_8);
    ASSERT_EQ(want.cols, b.width());
    EXPECT_EQ(std::memcmp(b.view().row(want.rows - 1), want.ptr(want.rows - 1),
                          static_cast<size_t>(want.cols) * 3),
              0)
        << r;
  }
  const std::vector<uint8_t> png = encode_image(gradient(67, 45).view(), ".png");
  EXPECT_EQ(decode_image_scaled(png, "g.png", 4).width(), 67);
  try {
    decode_image_scaled(jpeg, "g.jpg", 3);
    ADD_FAILURE() << "reduction 3 accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
  }
}

}  // namespace
}  // namespace yoloxrt

// --- JPEG through libjpeg directly (inference/jpeg_codec.h) ------------------------------------

namespace yoloxrt {
namespace {

// A w x h pattern with smooth areas, edges and noise, so that every DCT frequency, the chroma
// upsampling and the block smoothing of progressive scans all matter. components: 3 BGR, 1, 4.
std::vector<uint8_t> pattern(int w, int h, int components, uint32_t seed) {
  std::vector<uint8_t> px(static_cast<size_t>(w) * h * components);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < components; ++c) {
        seed = seed * 1664525u + 1013904223u;
        const int smooth = (x * (c + 1) * 255 / w + y * 255 / h) / 2;
        const int edge = ((x / 9 + y / 7 + c) % 3 == 0) ? 60 : 0;
        px[(static_cast<size_t>(y) * w + x) * components + c] =
            static_cast<uint8_t>(std::min(255, smooth + edge + static_cast<int>(seed >> 28)));
      }
  return px;
}

std::vector<uint8_t> make_jpeg(int w, int h, int components, detail::JpegEncodeOptions o) {
  const std::vector<uint8_t> px = pattern(w, h, components, static_cast<uint32_t>(w * 31 + h));
  return detail::encode_jpeg(
      detail::JpegPixels{px.data(), w, h, static_cast<size_t>(w) * components, components}, o);
}

cv::Mat opencv_decode(const std::vector<uint8_t>& bytes, int reduction) {
  return cv::imdecode(bytes, reduction == 1   ? cv::IMREAD_COLOR
                             : reduction == 2 ? cv::IMREAD_REDUCED_COLOR_2
                             : reduction == 4 ? cv::IMREAD_REDUCED_COLOR_4
                                              : cv::IMREAD_REDUCED_COLOR_8);
}

// Every pixel equal to what cv::imdecode gives (OpenCV's codec, the reference).
void expect_same_as_opencv(const std::vector<uint8_t>& bytes, int reduction) {
  const ImageBuffer got = decode_image_scaled(bytes, "t.jpg", reduction);
  const cv::Mat want = opencv_decode(bytes, reduction);
  ASSERT_EQ(want.type(), CV_8UC3);
  ASSERT_EQ(got.width(), want.cols);
  ASSERT_EQ(got.height(), want.rows);
  const Image v = got.view();
  for (int y = 0; y < want.rows; ++y)
    ASSERT_EQ(std::memcmp(v.row(y), want.ptr(y), static_cast<size_t>(want.cols) * 3), 0)
        << "row " << y;
}

TEST(DecodeJpeg, PixelsEqualOpenCvForEveryKindAndScale) {
  struct Kind {
    const char* name;
    int components;
    detail::JpegEncodeOptions options;
  };
  const Kind kinds[] = {
      {"baseline 4:2:0", 3, {95, false, 420}},   {"baseline 4:2:2", 3, {90, false, 422}},
      {"baseline 4:4:4", 3, {80, false, 444}},   {"progressive 4:2:0", 3, {95, true, 420}},
      {"progressive 4:4:4", 3, {75, true, 444}}, {"grey", 1, {95, false, 420}},
      {"grey progressive", 1, {90, true, 420}},  {"CMYK", 4, {95, false, 420}},
  };
  for (const Kind& k : kinds)
    for (const auto& [w, h] : {std::pair{67, 45}, std::pair{128, 96}}) {
      const std::vector<uint8_t> bytes = make_jpeg(w, h, k.components, k.options);
      for (int r : {1, 2, 4, 8}) {
        SCOPED_TRACE(std::string(k.name) + " " + std::to_string(w) + "x" + std::to_string(h) +
                     " 1/" + std::to_string(r));
        expect_same_as_opencv(bytes, r);
      }
    }
}

// The photos of the shared fixtures (progressive camera JPEGs, an EXIF one), full and reduced.
TEST(DecodeJpeg, FixturePhotosEqualOpenCv) {
  YOLOXRT_REQUIRE_FIXTURES(root);
  const std::filesystem::path photos[] = {
      root / "megvii-nano" / "dog.jpg",
      root / "images" / "pexels-2769554-man-doing-rock-and-roll-sign.jpg"};
  for (const auto& p : photos) {
    if (!std::filesystem::exists(p)) GTEST_SKIP() << "fixture absent: " << p;
    const std::vector<uint8_t> bytes = read_file_bytes(p);
    for (int r : {1, 4}) {
      SCOPED_TRACE(p.string() + " 1/" + std::to_string(r));
      expect_same_as_opencv(bytes, r);
    }
  }
}

// An APP1 "Exif" segment right after SOI: a TIFF header in `order` ("II" or "MM") and IFD0 with
// `entries` (tag, type, count, value/offset), then `tail` bytes.
struct IfdEntry {
  uint16_t tag, type;
  uint32_t count, value;
};
std::vector<uint8_t> with_exif(const std::vector<uint8_t>& jpeg, const char* order,
                               const std::vector<IfdEntry>& entries, size_t tail = 0) {
  const bool le = order[0] == 'I';
  std::vector<uint8_t> t;
  const auto put16 = [&](uint32_t v) {
    t.push_back(static_cast<uint8_t>(le ? v : v >> 8));
    t.push_back(static_cast<uint8_t>(le ? v >> 8 : v));
  };
  const auto put32 = [&](uint32_t v) {
    le ? (put16(v & 0xFFFF), put16(v >> 16)) : (put16(v >> 16), put16(v & 0xFFFF));
  };
  t.push_back(static_cast<uint8_t>(order[0]));
  t.push_back(static_cast<uint8_t>(order[1]));
  put16(0x2A);
  put32(8);
  put16(static_cast<uint32_t>(entries.size()));
  for (const IfdEntry& e : entries) {
    put16(e.tag), put16(e.type), put32(e.count);
    if (e.type == 3 && e.count == 1)
      put16(e.value), put16(0);  // a SHORT sits in the first two bytes of the value field
    else
      put32(e.value);
  }
  put32(0);
  t.resize(t.size() + tail, 0);
  std::vector<uint8_t> seg = {0xFF, 0xE1, 0, 0, 'E', 'x', 'i', 'f', 0, 0};
  seg.insert(seg.end(), t.begin(), t.end());
  seg[2] = static_cast<uint8_t>((seg.size() - 2) >> 8);
  seg[3] = static_cast<uint8_t>(seg.size() - 2);
  std::vector<uint8_t> out;
  out.reserve(jpeg.size() + seg.size());
  out.push_back(0xFF);
  out.push_back(0xD8);
  out.insert(out.end(), seg.begin(), seg.end());
  out.insert(out.end(), jpeg.begin() + 2, jpeg.end());
  return out;
}

TEST(DecodeJpeg, ExifOrientationAsOpenCvAppliesIt) {
  const std::vector<uint8_t> jpeg = make_jpeg(40, 24, 3, {});
  for (const char* order : {"II", "MM"})
    for (uint32_t o = 0; o <= 9; ++o) {
      SCOPED_TRACE(std::string(order) + " orientation " + std::to_string(o));
      const std::vector<uint8_t> bytes = with_exif(jpeg, order, {{0x0112, 3, 1, o}});
      EXPECT_EQ(detail::exif_orientation(bytes.data() + 6, bytes.size() - 6),
                o >= 1 && o <= 8 ? static_cast<int>(o) : 0);
      expect_same_as_opencv(bytes, 1);
      expect_same_as_opencv(bytes, 2);
      if (o >= 5 && o <= 8) {
        EXPECT_EQ(decode_image(bytes, "t.jpg").width(), 24);
      }
    }
  // Entries before the orientation: a string inside the segment is skipped; one whose data lies
  // outside ends OpenCV's parse (no rotation); a bad entry after the orientation does not matter.
  const std::vector<std::vector<IfdEntry>> cases = {
      {{0x010F, 2, 6, 38}, {0x0112, 3, 1, 6}},   {{0x010F, 2, 6, 4000}, {0x0112, 3, 1, 6}},
      {{0x011A, 5, 1, 9000}, {0x0112, 3, 1, 8}}, {{0x0112, 3, 1, 5}, {0x011A, 5, 1, 9000}},
      {{0x0112, 3, 1, 3}, {0x0112, 3, 1, 6}},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    expect_same_as_opencv(with_exif(jpeg, "II", cases[i], 16), 1);
  }
}

TEST(DecodeJpeg, CorruptAndOversizedInputs) {
  const std::vector<uint8_t> jpeg = make_jpeg(64, 48, 3, {});
  // libjpeg's own reading of the size is checked too (image_header.h's check comes first in
  // decode_image).
  try {
    detail::decode_jpeg(jpeg, "big.jpg", 1, 64 * 48 - 1);
    ADD_FAILURE() << "decoded over the pixel limit";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("big.jpg"), std::string::npos) << e.what();
  }
  // A start-of-frame marker with an unsupported precision (12 bits) and with no components.
  std::vector<uint8_t> bad = jpeg;
  size_t sof = 2;
  while (sof + 3 < bad.size() && !(bad[sof] == 0xFF && bad[sof + 1] == 0xC0)) ++sof;
  ASSERT_LT(sof + 9, bad.size());
  bad[sof + 4] = 12;
  EXPECT_EQ(decode_error(bad), ErrorKind::kCorrupt);
  bad = jpeg;
  bad[sof + 9] = 0;
  EXPECT_EQ(decode_error(bad), ErrorKind::kCorrupt);
  // The data cut inside the headers (libjpeg runs out before the scan).
  EXPECT_EQ(decode_error({jpeg.begin(), jpeg.begin() + static_cast<ptrdiff_t>(sof + 12)}),
            ErrorKind::kCorrupt);
}

TEST(EncodeJpeg, BytesEqualOpenCvEncoder) {
  for (const auto& [w, h] : {std::pair{67, 45}, std::pair{16, 16}, std::pair{301, 7}}) {
    const ImageBuffer img = gradient(w, h);
    std::vector<uint8_t> want;
    ASSERT_TRUE(cv::imencode(".jpg", cv::Mat(h, w, CV_8UC3, img.view().data), want));
    EXPECT_EQ(encode_image(img.view(), ".jpg"), want) << w << "x" << h;
    EXPECT_EQ(encode_image(img.view(), ".JPEG"), want) << w << "x" << h;
  }
}

}  // namespace
}  // namespace yoloxrt

namespace yoloxrt {
namespace {

// A progressive JPEG whose last scan is repeated 600 times: each repeat is another pass over the
// whole image, so a few kilobytes could cost minutes; refused after 500 scans.
TEST(DecodeJpeg, TooManyProgressiveScansAreRefused) {
  const std::vector<uint8_t> jpeg = make_jpeg(64, 48, 3, {95, true, 420});
  size_t last_sos = 0;
  for (size_t i = 2; i + 1 < jpeg.size(); ++i)
    if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xDA) last_sos = i;
  ASSERT_GT(last_sos, 0u);
  const size_t eoi = jpeg.size() - 2;
  ASSERT_EQ(jpeg[eoi + 1], 0xD9);
  std::vector<uint8_t> many(jpeg.begin(), jpeg.begin() + static_cast<ptrdiff_t>(eoi));
  for (int k = 0; k < 600; ++k)
    many.insert(many.end(), jpeg.begin() + static_cast<ptrdiff_t>(last_sos),
                jpeg.begin() + static_cast<ptrdiff_t>(eoi));
  many.insert(many.end(), {0xFF, 0xD9});
  // A few repeats still decode (libjpeg only warns), as OpenCV decodes them.
  std::vector<uint8_t> few(jpeg.begin(), jpeg.begin() + static_cast<ptrdiff_t>(eoi));
  for (int k = 0; k < 3; ++k)
    few.insert(few.end(), jpeg.begin() + static_cast<ptrdiff_t>(last_sos),
               jpeg.begin() + static_cast<ptrdiff_t>(eoi));
  few.insert(few.end(), {0xFF, 0xD9});
  expect_same_as_opencv(few, 1);
  try {
    decode_image(many, "scans.jpg");
    ADD_FAILURE() << "decoded";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kCorrupt);
    EXPECT_NE(std::string(e.what()).find("500 scans"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace yoloxrt
