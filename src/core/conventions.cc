// The family conventions table (conventions.h).
#include "yoloxrt/conventions.h"

namespace yoloxrt {
namespace {

constexpr std::array<float, 3> kImageNetMean{0.485f, 0.456f, 0.406f};
constexpr std::array<float, 3> kImageNetStd{0.229f, 0.224f, 0.225f};
// cjm_yolox_pytorch's NORM_STATS for every YOLOX variant.
constexpr std::array<float, 3> kCjmDefaultMean{0.5f, 0.5f, 0.5f};
constexpr std::array<float, 3> kCjmDefaultStd{1.f, 1.f, 1.f};

// Megvii's exps/default: yolox_nano.py and yolox_tiny.py set input_size = test_size = (416, 416);
// yolox_base.py (and so yolox_s/m/l/x) uses (640, 640).
int megvii_size(std::string_view model_type) {
  return model_type == "yolox_nano" || model_type == "yolox_tiny" ? 416 : 640;
}

}  // namespace

Conventions conventions_for(Family family, std::string_view model_type, bool legacy) {
  if (family == Family::kMegvii) {
    // Megvii's demo letterboxes BGR pixels to the exp's test size; since 0.1.1 the network takes
    // raw 0..255 values. Legacy weights take RGB x / 255 with ImageNet mean/std, and the exported
    // graph still accepts 0..255 pixels (it scales them), as the legacy demos feed.
    if (legacy)
      return {"images",
              ChannelOrder::kRGB,
              1.f,
              255.f,
              kImageNetMean,
              kImageNetStd,
              megvii_size(model_type),
              ResizePolicy::kLetterbox,
              OutputFormat::kDecoded};
    return {"images",
            ChannelOrder::kBGR,
            255.f,
            255.f,
            {0.f, 0.f, 0.f},
            {1.f, 1.f, 1.f},
            megvii_size(model_type),
            ResizePolicy::kLetterbox,
            OutputFormat::kDecoded};
  }
  // The cjm tutorial: RGB x / 255 then mean/std, short side resized to 384 and centre-cropped to
  // multiples of 32, the decoded [x0, y0, w, h, label, prob] output.
  return {"input", ChannelOrder::kRGB,  1.f,
          1.f,     kCjmDefaultMean,     kCjmDefaultStd,
          384,     ResizePolicy::kCrop, OutputFormat::kDecoded};
}

}  // namespace yoloxrt
