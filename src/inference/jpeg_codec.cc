// libjpeg(-turbo) decoding and encoding (jpeg_codec.h).
//
// libjpeg reports fatal errors through error_exit, which must not return. Throwing a C++
// exception through libjpeg's C frames is undefined, so error_exit longjmps back to a setjmp in
// one of the small functions below; those hold no C++ objects (nothing with a destructor is
// skipped), return false, and the caller turns the message into a yoloxrt::Error.
#include "inference/jpeg_codec.h"

#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <jpeglib.h>
// jerror.h after jpeglib.h: the message codes (JWRN_JPEG_EOF).
#include <jerror.h>
#include <opencv2/core.hpp>

#include "yoloxrt/error.h"

namespace yoloxrt::detail {
namespace {

// A progressive JPEG may declare any number of scans, each a full pass over the coefficient
// buffer: a few kilobytes can cost minutes (libjpeg-turbo's TJFLAG_LIMITSCANS stops at 500).
constexpr int kMaxScans = 500;

struct ErrorState {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void fail_with(j_common_ptr c, const char* message) {
  auto* e = reinterpret_cast<ErrorState*>(c->err);
  std::snprintf(e->message, sizeof e->message, "%s", message);
  std::longjmp(e->jump, 1);
}

void on_error(j_common_ptr c) {
  auto* e = reinterpret_cast<ErrorState*>(c->err);
  (*c->err->format_message)(c, e->message);
  std::longjmp(e->jump, 1);
}

// Warnings are counted, not printed. Running out of data is fatal: jpeg_mem_src would go on
// with a fake end-of-image marker and a grey-filled remainder (decode_image refuses truncated
// JPEGs).
void on_message(j_common_ptr c, int level) {
  if (level >= 0) return;
  if (c->err->msg_code == JWRN_JPEG_EOF)
    fail_with(c, "truncated JPEG: the data ends before the image is complete");
  ++c->err->num_warnings;
}

void on_progress(j_common_ptr c) {
  if (!c->is_decompressor) return;
  if (reinterpret_cast<j_decompress_ptr>(c)->input_scan_number > kMaxScans)
    fail_with(c, "the progressive JPEG has more than 500 scans");
}

void init_errors(ErrorState& e) {
  jpeg_std_error(&e.pub);
  e.pub.error_exit = on_error;
  e.pub.emit_message = on_message;
  e.message[0] = '\0';
}

struct Decoder {
  jpeg_decompress_struct cinfo;
  ErrorState err;
  jpeg_progress_mgr progress;
};

// Header, scale and the first APP1 segment (EXIF), as OpenCV 4.6's JpegDecoder::readHeader.
bool read_header(Decoder* d, const uint8_t* data, size_t size, int reduction) {
  if (setjmp(d->err.jump)) return false;
  jpeg_create_decompress(&d->cinfo);
  d->progress.progress_monitor = on_progress;
  d->cinfo.progress = &d->progress;
  jpeg_mem_src(&d->cinfo, data, static_cast<unsigned long>(size));
  jpeg_save_markers(&d->cinfo, JPEG_APP0 + 1, 0xffff);
  jpeg_read_header(&d->cinfo, TRUE);
  d->cinfo.scale_num = 1;
  d->cinfo.scale_denom = static_cast<unsigned>(reduction);
  jpeg_calc_output_dimensions(&d->cinfo);
  return true;
}

// OpenCV's CMYK -> BGR (icvCvt_CMYK2BGR_8u_C4C3R), on libjpeg's CMYK output as stored.
void cmyk_to_bgr(const uint8_t* cmyk, uint8_t* bgr, unsigned width) {
  for (unsigned x = 0; x < width; ++x, cmyk += 4, bgr += 3) {
    const int k = cmyk[3];
    bgr[2] = static_cast<uint8_t>(k - ((255 - cmyk[0]) * k >> 8));
    bgr[1] = static_cast<uint8_t>(k - ((255 - cmyk[1]) * k >> 8));
    bgr[0] = static_cast<uint8_t>(k - ((255 - cmyk[2]) * k >> 8));
  }
}

// The pixels, into `out` (rows `stride` bytes apart, output_width x output_height as
// read_header computed them).
bool read_pixels(Decoder* d, uint8_t* out, size_t stride) {
  if (setjmp(d->err.jump)) return false;
  j_decompress_ptr c = &d->cinfo;
  const bool cmyk = c->num_components == 4;
  c->out_color_space = cmyk ? JCS_CMYK : JCS_EXT_BGR;
  const JDIMENSION width = c->output_width, height = c->output_height;
  jpeg_start_decompress(c);
  if (c->output_width != width || c->output_height != height)
    fail_with(reinterpret_cast<j_common_ptr>(c), "libjpeg changed the output size");
  JSAMPARRAY row =
      cmyk ? (*c->mem->alloc_sarray)(reinterpret_cast<j_common_ptr>(c), JPOOL_IMAGE, width * 4, 1)
           : nullptr;
  while (c->output_scanline < height) {
    uint8_t* dst = out + static_cast<size_t>(c->output_scanline) * stride;
    if (cmyk) {
      if (jpeg_read_scanlines(c, row, 1) != 1)
        fail_with(reinterpret_cast<j_common_ptr>(c), "libjpeg returned no scanline");
      cmyk_to_bgr(row[0], dst, width);
    } else {
      JSAMPROW rows[1] = {dst};
      if (jpeg_read_scanlines(c, rows, 1) != 1)
        fail_with(reinterpret_cast<j_common_ptr>(c), "libjpeg returned no scanline");
    }
  }
  jpeg_finish_decompress(c);
  return true;
}

// cv::imdecode's ExifTransform.
ImageBuffer orient(ImageBuffer img, int orientation) {
  if (orientation < 2 || orientation > 8) return img;
  const auto mat = [](const ImageBuffer& b) {
    const Image v = b.view();
    return cv::Mat(v.height, v.width, CV_8UC3, v.data, v.stride);
  };
  const int flip = orientation == 2 || orientation == 6   ? 1
                   : orientation == 3 || orientation == 7 ? -1
                   : orientation == 4 || orientation == 8 ? 0
                                                          : 2;  // 5: transpose only
  if (orientation <= 4) {
    ImageBuffer out(img.width(), img.height());
    cv::flip(mat(img), mat(out), flip);
    return out;
  }
  ImageBuffer t(img.height(), img.width());
  cv::transpose(mat(img), mat(t));
  if (flip == 2) return t;
  img = ImageBuffer();
  ImageBuffer out(t.width(), t.height());
  cv::flip(mat(t), mat(out), flip);
  return out;
}

struct Encoder {
  jpeg_compress_struct cinfo;
  ErrorState err;
  unsigned char* buffer;
  unsigned long size;
};

bool encode_core(Encoder* e, const JpegPixels* p, const JpegEncodeOptions* o) {
  if (setjmp(e->err.jump)) return false;
  j_compress_ptr c = &e->cinfo;
  jpeg_create_compress(c);
  jpeg_mem_dest(c, &e->buffer, &e->size);
  c->image_width = static_cast<JDIMENSION>(p->width);
  c->image_height = static_cast<JDIMENSION>(p->height);
  c->input_components = p->components;
  c->in_color_space = p->components == 3   ? JCS_EXT_BGR
                      : p->components == 1 ? JCS_GRAYSCALE
                                           : JCS_CMYK;
  // cv::imencode's sequence (grfmt_jpeg.cpp): defaults, no restarts, quality forced to baseline
  // tables.
  jpeg_set_defaults(c);
  c->restart_interval = 0;
  jpeg_set_quality(c, o->quality, TRUE);
  if (p->components == 3 && o->subsampling != 420) {
    c->comp_info[0].h_samp_factor = o->subsampling == 444 ? 1 : 2;
    c->comp_info[0].v_samp_factor = 1;
  }
  if (o->progressive) jpeg_simple_progression(c);
  jpeg_start_compress(c, TRUE);
  while (c->next_scanline < c->image_height) {
    JSAMPROW rows[1] = {const_cast<uint8_t*>(p->data) + c->next_scanline * p->stride};
    jpeg_write_scanlines(c, rows, 1);
  }
  jpeg_finish_compress(c);
  return true;
}

}  // namespace

bool is_jpeg(const std::vector<uint8_t>& b) {
  return b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF;
}

int exif_orientation(const uint8_t* app1, size_t size) {
  // OpenCV 4.6's ExifReader over the bytes after the 6-byte "Exif\0\0" header (not checked):
  // byte order "II" (little-endian), else big-endian; tag mark 0x2A; IFD0's entries in order,
  // each parsed by tag. An entry whose data lies outside the segment ends the parse, and the
  // entries parsed before it (the first orientation included) stand.
  if (!app1 || size <= 6) return 0;
  const uint8_t* d = app1 + 6;
  const size_t n = size - 6;
  const bool intel = (n == 1 || d[0] == d[1]) && d[0] == 'I';
  struct OutOfRange {};
  const auto u16 = [&](size_t o) -> uint32_t {
    if (o + 1 >= n) throw OutOfRange{};
    return intel ? d[o] | d[o + 1] << 8 : d[o] << 8 | d[o + 1];
  };
  const auto u32 = [&](size_t o) -> uint32_t {
    if (o + 3 >= n) throw OutOfRange{};
    return intel ? static_cast<uint32_t>(d[o] | d[o + 1] << 8 | d[o + 2] << 16) |
                       static_cast<uint32_t>(d[o + 3]) << 24
                 : static_cast<uint32_t>(d[o]) << 24 |
                       static_cast<uint32_t>(d[o + 1] << 16 | d[o + 2] << 8 | d[o + 3]);
  };
  const auto string_at = [&](size_t o) {
    const size_t len = u32(o + 4);
    const size_t at = len > 4 ? u32(o + 8) : 8;
    if (at > n || at + len > n) throw OutOfRange{};
  };
  const auto rationals_at = [&](size_t o, int count) {
    uint32_t at = u32(o + 8);
    for (int i = 0; i < count; ++i, at += 8) (void)u32(at), (void)u32(size_t{at} + 4);
  };
  try {
    if (u16(2) != 0x2A) return 0;
    uint32_t offset = u32(4);
    const uint32_t entries = u16(offset);
    offset += 2;
    for (uint32_t k = 0; k < entries; ++k, offset += 12) {
      switch (u16(offset)) {
        case 0x0112: {  // orientation
          const uint32_t v = u16(size_t{offset} + 8);
          return v >= 1 && v <= 8 ? static_cast<int>(v) : 0;
        }
        case 0x010E:  // image description, make, model, software, date, copyright
        case 0x010F:
        case 0x0110:
        case 0x0131:
        case 0x0132:
        case 0x8298:
          string_at(offset);
          break;
        case 0x011A:  // x / y resolution
        case 0x011B:
          rationals_at(offset, 1);
          break;
        case 0x013E:  // white point
          rationals_at(offset, 2);
          break;
        case 0x013F:  // primary chromaticities
        case 0x0214:  // reference black/white
          rationals_at(offset, 6);
          break;
        case 0x0211:  // YCbCr coefficients
          rationals_at(offset, 3);
          break;
        case 0x0128:  // resolution unit, YCbCr positioning
        case 0x0213:
          (void)u16(size_t{offset} + 8);
          break;
        default:
          break;
      }
    }
  } catch (const OutOfRange&) {
  }
  return 0;
}

ImageBuffer decode_jpeg(const std::vector<uint8_t>& bytes, const std::string& name, int reduction,
                        uint64_t max_pixels) {
  if (reduction != 1 && reduction != 2 && reduction != 4 && reduction != 8)
    throw Error(ErrorKind::kInvalidArgument,
                "decode_jpeg: reduction must be 1, 2, 4 or 8, got " + std::to_string(reduction),
                name);
  if (bytes.empty()) throw Error(ErrorKind::kCorrupt, "the image file is empty", name);
  Decoder d;
  std::memset(&d, 0, sizeof d);
  init_errors(d.err);
  d.cinfo.err = &d.err.pub;
  struct Destroy {
    Decoder* d;
    ~Destroy() { jpeg_destroy_decompress(&d->cinfo); }
  } destroy{&d};
  const auto corrupt = [&] {
    return Error(ErrorKind::kCorrupt,
                 std::string("not a readable image: libjpeg: ") + d.err.message, name);
  };
  if (!read_header(&d, bytes.data(), bytes.size(), reduction)) throw corrupt();
  // The size libjpeg will decode, whatever image_header.h read, before any pixel buffer exists.
  const uint64_t pixels = uint64_t{d.cinfo.image_width} * d.cinfo.image_height;
  if (pixels > max_pixels) {
    char buf[160];
    std::snprintf(buf, sizeof buf,
                  "the jpeg header declares %ux%u pixels (%.1f megapixels), over the limit of "
                  "%.1f megapixels; not decoded",
                  d.cinfo.image_width, d.cinfo.image_height, static_cast<double>(pixels) / 1e6,
                  static_cast<double>(max_pixels) / 1e6);
    throw Error(ErrorKind::kUnsupported, buf, name);
  }
  if (d.cinfo.output_width == 0 || d.cinfo.output_height == 0 || d.cinfo.output_width > 65535 ||
      d.cinfo.output_height > 65535)
    throw Error(ErrorKind::kCorrupt, "not a readable image: libjpeg reads no image size", name);
  int orientation = 0;
  for (jpeg_saved_marker_ptr m = d.cinfo.marker_list; m; m = m->next)
    if (m->marker == JPEG_APP0 + 1) {
      orientation = exif_orientation(m->data, m->data_length);
      break;
    }
  ImageBuffer out(static_cast<int>(d.cinfo.output_width), static_cast<int>(d.cinfo.output_height));
  const Image v = out.view();
  if (!read_pixels(&d, v.data, v.stride)) throw corrupt();
  return orient(std::move(out), orientation);
}

std::vector<uint8_t> encode_jpeg(const JpegPixels& p, const JpegEncodeOptions& o) {
  if (!p.data || p.width <= 0 || p.height <= 0 || p.width > 65500 || p.height > 65500)
    throw Error(ErrorKind::kInvalidArgument, "encode_jpeg: empty image or sides over 65500");
  if ((p.components != 1 && p.components != 3 && p.components != 4) ||
      p.stride < static_cast<size_t>(p.width) * static_cast<size_t>(p.components))
    throw Error(ErrorKind::kInvalidArgument, "encode_jpeg: 1, 3 or 4 components, stride >= row");
  if (o.quality < 1 || o.quality > 100 ||
      (o.subsampling != 420 && o.subsampling != 422 && o.subsampling != 444))
    throw Error(ErrorKind::kInvalidArgument,
                "encode_jpeg: quality 1..100, subsampling 420, 422 or 444");
  Encoder e;
  std::memset(&e, 0, sizeof e);
  init_errors(e.err);
  e.cinfo.err = &e.err.pub;
  const bool ok = encode_core(&e, &p, &o);
  jpeg_destroy_compress(&e.cinfo);
  std::vector<uint8_t> out;
  if (ok) {
    try {
      out.assign(e.buffer, e.buffer + e.size);
    } catch (...) {
      std::free(e.buffer);
      throw;
    }
  }
  std::free(e.buffer);  // jpeg_mem_dest's, allocated with malloc
  if (!ok) throw Error(ErrorKind::kRuntime, std::string("JPEG encoding failed: ") + e.err.message);
  return out;
}

std::vector<uint8_t> encode_jpeg(const Image& image, const JpegEncodeOptions& options) {
  return encode_jpeg(JpegPixels{image.data, image.width, image.height, image.stride, 3}, options);
}

}  // namespace yoloxrt::detail
