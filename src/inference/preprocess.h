// inference/preprocess.h - private: the fused pre-processing pass of the detector.
#pragma once

#include <cstddef>
#include <cstdint>

#include "yoloxrt/detection.h"
#include "yoloxrt/image.h"
#include "yoloxrt/model_metadata.h"

namespace yoloxrt::detail {

struct TensorFormat {
  InputLayout layout = InputLayout::kNCHW;
  ChannelOrder order = ChannelOrder::kBGR;
  float range = 255.f;  // 255: values 0..255; 1: values 0..1
};

// Writes one image's model input (input_h x input_w x 3 floats) into `out` in one pass over the
// pixels of `resized` (the image already resized to plan.resized_w x plan.resized_h, BGR): input
// pixel (x, y) is resized pixel (x + offset_x, y + offset_y), or kPadValue outside it; channels in
// `format.order`, scaled to `format.range`, laid out NCHW (planes) or NHWC (interleaved).
// REQUIRES: resized.width == plan.resized_w, resized.height == plan.resized_h; `out` holds
// 3 * plan.input_h * plan.input_w floats.
void fill_input_tensor(const Image& resized, const ResizePlan& plan, const TensorFormat& format,
                       float* out);

// Resizes `image` as `plan` says (bilinear, cv::INTER_LINEAR; a copy-free pass when the size is
// unchanged) and fills the tensor as fill_input_tensor does. Throws Error(kRuntime) on OpenCV
// errors.
void preprocess_image(const Image& image, const ResizePlan& plan, const TensorFormat& format,
                      float* out);

}  // namespace yoloxrt::detail
