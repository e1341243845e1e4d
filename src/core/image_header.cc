#include "yoloxrt/image_header.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

#include "yoloxrt/error.h"

namespace yoloxrt {
namespace {

using Bytes = std::span<const uint8_t>;

bool starts_with(Bytes b, const char* magic, size_t n) {
  return b.size() >= n && std::memcmp(b.data(), magic, n) == 0;
}
// Readers of fixed-width integers; REQUIRES: at + width <= b.size() (callers check first).
uint32_t be16(Bytes b, size_t at) { return (uint32_t{b[at]} << 8) | b[at + 1]; }
uint32_t le16(Bytes b, size_t at) { return (uint32_t{b[at + 1]} << 8) | b[at]; }
uint32_t be32(Bytes b, size_t at) { return (be16(b, at) << 16) | be16(b, at + 2); }
uint32_t le32(Bytes b, size_t at) { return (le16(b, at + 2) << 16) | le16(b, at); }
uint32_t le24(Bytes b, size_t at) { return (uint32_t{b[at + 2]} << 16) | le16(b, at); }

std::optional<ImageHeaderInfo> png(Bytes b) {
  // Signature (8), IHDR length (4), "IHDR", width (BE 4), height (BE 4).
  if (b.size() < 24 || std::memcmp(b.data() + 12, "IHDR", 4) != 0) return std::nullopt;
  return ImageHeaderInfo{"png", be32(b, 16), be32(b, 20)};
}

std::optional<ImageHeaderInfo> jpeg(Bytes b) {
  // Walk the marker segments after SOI until the first SOFn (frame header), which holds the size.
  size_t at = 2;
  while (at + 4 <= b.size()) {
    if (b[at] != 0xFF) return std::nullopt;
    const uint8_t marker = b[at + 1];
    if (marker == 0xFF) {  // fill byte
      ++at;
      continue;
    }
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {  // markers without a length
      at += 2;
      continue;
    }
    if (marker == 0xD9 || marker == 0xDA) return std::nullopt;  // EOI / SOS before any frame
    const size_t len = be16(b, at + 2);
    if (len < 2) return std::nullopt;
    const bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 &&
                     marker != 0xCC;  // DHT, JPG and DAC share the range
    if (sof) {
      if (len < 7 || at + 9 > b.size()) return std::nullopt;
      return ImageHeaderInfo{"jpeg", be16(b, at + 7), be16(b, at + 5)};
    }
    at += 2 + len;
  }
  return std::nullopt;
}

std::optional<ImageHeaderInfo> bmp(Bytes b) {
  if (b.size() < 26) return std::nullopt;
  const uint32_t dib = le32(b, 14);
  if (dib == 12) return ImageHeaderInfo{"bmp", le16(b, 18), le16(b, 20)};  // BITMAPCOREHEADER
  // Width and height are signed; a negative height means top-down rows.
  const int64_t w = static_cast<int32_t>(le32(b, 18));
  const int64_t h = static_cast<int32_t>(le32(b, 22));
  return ImageHeaderInfo{"bmp", static_cast<uint64_t>(w < 0 ? -w : w),
                         static_cast<uint64_t>(h < 0 ? -h : h)};
}

std::optional<ImageHeaderInfo> webp(Bytes b) {
  if (b.size() < 30) return std::nullopt;
  if (std::memcmp(b.data() + 12, "VP8 ", 4) == 0) {
    // Lossy: frame tag (3), start code 9d 01 2a, then 14-bit width and height.
    if (b[23] != 0x9D || b[24] != 0x01 || b[25] != 0x2A) return std::nullopt;
    return ImageHeaderInfo{"webp", le16(b, 26) & 0x3FFF, le16(b, 28) & 0x3FFF};
  }
  if (std::memcmp(b.data() + 12, "VP8L", 4) == 0) {
    // Lossless: signature 0x2f, then width-1 and height-1 as two 14-bit fields.
    if (b[20] != 0x2F) return std::nullopt;
    const uint32_t bits = le32(b, 21);
    return ImageHeaderInfo{"webp", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1};
  }
  if (std::memcmp(b.data() + 12, "VP8X", 4) == 0)  // extended: 24-bit canvas width-1, height-1
    return ImageHeaderInfo{"webp", le24(b, 24) + 1ull, le24(b, 27) + 1ull};
  return std::nullopt;
}

std::optional<ImageHeaderInfo> tiff(Bytes b) {
  const bool little = b[0] == 'I';
  auto u16 = [&](size_t at) { return little ? le16(b, at) : be16(b, at); };
  auto u32 = [&](size_t at) { return little ? le32(b, at) : be32(b, at); };
  const uint64_t ifd = u32(4);
  if (ifd + 2 > b.size()) return std::nullopt;
  const uint64_t count = u16(ifd);
  ImageHeaderInfo info{"tiff", 0, 0};
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t e = ifd + 2 + 12 * i;
    if (e + 12 > b.size()) break;
    const uint32_t tag = u16(e), type = u16(e + 2);
    // SHORT values sit left-justified in the 4-byte value field.
    const uint64_t value = type == 3 ? u16(e + 8) : type == 4 ? u32(e + 8) : 0;
    if (tag == 256) info.width = value;
    if (tag == 257) info.height = value;
  }
  if (info.width == 0 && info.height == 0) return std::nullopt;
  return info;
}

std::optional<ImageHeaderInfo> pnm(Bytes b) {
  // "P<n>", then width and height as decimal numbers separated by whitespace and # comments.
  size_t at = 2;
  uint64_t dims[2] = {0, 0};
  for (uint64_t& d : dims) {
    while (at < b.size()) {
      if (b[at] == '#') {
        while (at < b.size() && b[at] != '\n' && b[at] != '\r') ++at;
      } else if (b[at] == ' ' || b[at] == '\t' || b[at] == '\n' || b[at] == '\r' || b[at] == '\v' ||
                 b[at] == '\f') {
        ++at;
      } else {
        break;
      }
    }
    size_t digits = 0;
    while (at < b.size() && b[at] >= '0' && b[at] <= '9') {
      if (++digits > 12) return std::nullopt;  // beyond any real size: not a header we trust
      d = d * 10 + (b[at++] - '0');
    }
    if (digits == 0) return std::nullopt;
  }
  return ImageHeaderInfo{"pnm", dims[0], dims[1]};
}

std::optional<ImageHeaderInfo> j2k_codestream(Bytes b, size_t at) {
  // SOC (FF 4F), then the SIZ segment (FF 51): Lsiz (2), Rsiz (2), Xsiz, Ysiz, XOsiz, YOsiz (BE 4
  // each). The image is Xsiz - XOsiz by Ysiz - YOsiz; the decoder allocates from these fields.
  if (at > b.size() || b.size() - at < 24) return std::nullopt;
  if (be16(b, at) != 0xFF4F || be16(b, at + 2) != 0xFF51) return std::nullopt;
  const uint64_t x = be32(b, at + 8), y = be32(b, at + 12);
  const uint64_t x0 = be32(b, at + 16), y0 = be32(b, at + 20);
  if (x0 >= x || y0 >= y) return std::nullopt;
  return ImageHeaderInfo{"jpeg2000", x - x0, y - y0};
}

std::optional<ImageHeaderInfo> jp2(Bytes b) {
  // A sequence of boxes: length (BE 4; 1 = a BE 8-byte length follows the type, 0 = to the end of
  // the file), type (4). The contiguous codestream box 'jp2c' holds SOC and SIZ.
  size_t at = 0;
  while (b.size() - at >= 8) {
    uint64_t len = be32(b, at);
    size_t header = 8;
    if (len == 1) {
      if (b.size() - at < 16) return std::nullopt;
      len = (uint64_t{be32(b, at + 8)} << 32) | be32(b, at + 12);
      header = 16;
    } else if (len == 0) {
      len = b.size() - at;
    }
    if (len < header) return std::nullopt;
    if (std::memcmp(b.data() + at + 4, "jp2c", 4) == 0) return j2k_codestream(b, at + header);
    if (len > b.size() - at) return std::nullopt;
    at += static_cast<size_t>(len);
  }
  return std::nullopt;
}

bool is_pnm(Bytes b) {
  // OpenCV's PxM decoder wants white space after "P1".."P6".
  return b.size() >= 3 && b[0] == 'P' && b[1] >= '1' && b[1] <= '6' &&
         (b[2] == ' ' || b[2] == '\t' || b[2] == '\n' || b[2] == '\r' || b[2] == '\v' ||
          b[2] == '\f');
}

// The one table of image signatures: read_image_header finds the size reader here and
// decode_image its accept list (`decodable`: OpenCV 4.6 has a codec for it).
struct FormatEntry {
  ImageFormat format;
  bool (*matches)(Bytes);
  std::optional<ImageHeaderInfo> (*read_size)(Bytes);
};

const FormatEntry kFormats[] = {
    {{"jpeg", "JPEG", true}, [](Bytes b) { return starts_with(b, "\xFF\xD8\xFF", 3); }, jpeg},
    {{"png", "PNG", true}, [](Bytes b) { return starts_with(b, "\x89PNG\r\n\x1a\n", 8); }, png},
    {{"bmp", "BMP", true}, [](Bytes b) { return starts_with(b, "BM", 2); }, bmp},
    {{"tiff", "TIFF", true},
     [](Bytes b) { return starts_with(b, "II*\0", 4) || starts_with(b, "MM\0*", 4); },
     [](Bytes b) { return b.size() >= 8 ? tiff(b) : std::nullopt; }},
    {{"webp", "WebP", true},
     [](Bytes b) {
       return starts_with(b, "RIFF", 4) && b.size() >= 12 &&
              std::memcmp(b.data() + 8, "WEBP", 4) == 0;
     },
     webp},
    {{"pnm", "PNM", true}, is_pnm, pnm},
    {{"jpeg2000", "JPEG 2000", true},
     [](Bytes b) { return starts_with(b, "\0\0\0\x0CjP  \r\n\x87\n", 12); },
     jp2},
    {{"jpeg2000", "JPEG 2000", true},
     [](Bytes b) { return starts_with(b, "\xFF\x4F\xFF\x51", 4); },
     [](Bytes b) { return j2k_codestream(b, 0); }},
    {{"gif", "GIF", false},
     [](Bytes b) { return starts_with(b, "GIF87a", 6) || starts_with(b, "GIF89a", 6); },
     [](Bytes b) {
       return b.size() >= 10 ? std::optional(ImageHeaderInfo{"gif", le16(b, 6), le16(b, 8)})
                             : std::nullopt;
     }},
};

const FormatEntry* find_format(Bytes b) {
  for (const FormatEntry& e : kFormats)
    if (e.matches(b)) return &e;
  return nullptr;
}

}  // namespace

std::optional<ImageHeaderInfo> read_image_header(std::span<const uint8_t> bytes) {
  const FormatEntry* e = find_format(bytes);
  return e ? e->read_size(bytes) : std::nullopt;
}

const ImageFormat* identify_image_format(std::span<const uint8_t> bytes) {
  const FormatEntry* e = find_format(bytes);
  return e ? &e->format : nullptr;
}

std::string decodable_image_formats() {
  std::vector<const char*> names;
  for (const FormatEntry& e : kFormats)
    if (e.format.decodable && std::none_of(names.begin(), names.end(), [&](const char* n) {
          return std::strcmp(n, e.format.display) == 0;
        }))
      names.push_back(e.format.display);
  std::string out;
  for (size_t i = 0; i < names.size(); ++i)
    out += std::string(i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  return out;
}

void check_image_pixels(std::span<const uint8_t> bytes, const std::string& name,
                        uint64_t max_pixels) {
  const auto info = read_image_header(bytes);
  if (!info) return;
  // PNM sizes are free-form decimals: saturate rather than wrap around.
  uint64_t pixels = 0;
  if (__builtin_mul_overflow(info->width, info->height, &pixels)) pixels = UINT64_MAX;
  if (pixels <= max_pixels) return;
  char buf[160];
  std::snprintf(buf, sizeof buf,
                "the %s header declares %llux%llu pixels (%.1f megapixels), over the limit of "
                "%.1f megapixels; not decoded",
                info->format, static_cast<unsigned long long>(info->width),
                static_cast<unsigned long long>(info->height), static_cast<double>(pixels) / 1e6,
                static_cast<double>(max_pixels) / 1e6);
  throw Error(ErrorKind::kUnsupported, buf, name);
}

}  // namespace yoloxrt
