#include "inference/preprocess.h"

#include <algorithm>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "yoloxrt/error.h"

namespace yoloxrt::detail {
namespace {

// One row of HWC uint8 pixels [x_begin, x_end) to three planes, scaled by k. A, B, C are the source
// channels of planes 0, 1, 2.
template <int A, int B, int C>
inline void planar_row(const uint8_t* src, int x_begin, int x_end, float k, float* __restrict d0,
                       float* __restrict d1, float* __restrict d2) {
  for (int x = x_begin; x < x_end; ++x) {
    const uint8_t* p = src + static_cast<size_t>(x) * 3;
    d0[x] = static_cast<float>(p[A]) * k;
    d1[x] = static_cast<float>(p[B]) * k;
    d2[x] = static_cast<float>(p[C]) * k;
  }
}

}  // namespace

// Built twice, for AVX2 and for baseline x86-64, and chosen at load time: the stride-3 pixel
// loads vectorise about 3x better with AVX2's shuffles.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__)
__attribute__((target_clones("avx2", "default")))
#endif
void fill_input_tensor(const Image& resized, const ResizePlan& plan, const TensorFormat& format,
                       float* out) {
  const int iw = plan.input_w, ih = plan.input_h;
  const size_t plane = static_cast<size_t>(iw) * static_cast<size_t>(ih);
  const float k = format.range == 1.f ? 1.f / 255.f : 1.f;
  const float pad = kPadValue * k;
  // Source channel for destination channel c: BGR input keeps the order, RGB swaps 0 and 2.
  const bool rgb = format.order == ChannelOrder::kRGB;
  const int c0 = rgb ? 2 : 0, c2 = rgb ? 0 : 2;
  // The span of input columns [x_begin, x_end) that fall inside the resized image.
  const int x_begin = std::max(0, -plan.offset_x);
  const int x_end = std::clamp(resized.width - plan.offset_x, x_begin, iw);
  for (int y = 0; y < ih; ++y) {
    const int sy = y + plan.offset_y;
    const bool row_in = sy >= 0 && sy < resized.height;
    const uint8_t* src =
        row_in ? resized.row(sy) + static_cast<size_t>(plan.offset_x) * 3 : nullptr;
    if (format.layout == InputLayout::kNCHW) {
      float* d0 = out + static_cast<size_t>(y) * iw;
      float* d1 = d0 + plane;
      float* d2 = d1 + plane;
      int x = 0;
      if (row_in) {
        for (; x < x_begin; ++x) d0[x] = d1[x] = d2[x] = pad;
        // Constant channel offsets (not c0/c2) so the compiler can vectorise the deinterleave.
        if (rgb)
          planar_row<2, 1, 0>(src, x_begin, x_end, k, d0, d1, d2);
        else
          planar_row<0, 1, 2>(src, x_begin, x_end, k, d0, d1, d2);
        x = x_end;
      }
      for (; x < iw; ++x) d0[x] = d1[x] = d2[x] = pad;
    } else {
      float* d = out + static_cast<size_t>(y) * iw * 3;
      int x = 0;
      if (row_in) {
        for (; x < x_begin; ++x) d[3 * x] = d[3 * x + 1] = d[3 * x + 2] = pad;
        for (; x < x_end; ++x) {
          const uint8_t* p = src + static_cast<size_t>(x) * 3;
          d[3 * x] = p[c0] * k;
          d[3 * x + 1] = p[1] * k;
          d[3 * x + 2] = p[c2] * k;
        }
      }
      for (; x < iw; ++x) d[3 * x] = d[3 * x + 1] = d[3 * x + 2] = pad;
    }
  }
}

void preprocess_image(const Image& image, const ResizePlan& plan, const TensorFormat& format,
                      float* out) {
  if (image.width == plan.resized_w && image.height == plan.resized_h) {
    fill_input_tensor(image, plan, format, out);
    return;
  }
  cv::Mat resized;
  try {
    const cv::Mat src(image.height, image.width, CV_8UC3, image.data, image.stride);
    cv::resize(src, resized, cv::Size(plan.resized_w, plan.resized_h), 0, 0, cv::INTER_LINEAR);
  } catch (const cv::Exception& e) {
    throw Error(ErrorKind::kRuntime, std::string("OpenCV resize failed: ") + e.what());
  }
  const Image view{resized.cols, resized.rows, resized.step[0], resized.data};
  fill_input_tensor(view, plan, format, out);
}

}  // namespace yoloxrt::detail
