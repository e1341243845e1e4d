#include "yoloxrt/detector_loader.h"

#include <exception>
#include <utility>

#include "yoloxrt/image.h"

namespace yoloxrt {

MediaCodecNeeds media_codecs_needed(std::span<const PipelineInput> inputs) {
  MediaCodecNeeds needs;
  for (const PipelineInput& in : inputs) {
    if (in.video)
      needs.video = true;
    else if (!is_jpeg_extension(in.path))
      needs.images = true;
  }
  return needs;
}

DetectorLoader::DetectorLoader(std::filesystem::path model, DetectorOptions options,
                               MediaCodecNeeds codecs)
    : future_(promise_.get_future().share()),
      thread_([this, model = std::move(model), options = std::move(options), codecs] {
        try {
          detector_ = Detector::open(model, options);
          preload_media_codecs(codecs.images, codecs.video);
          promise_.set_value(detector_.get());
        } catch (...) {
          promise_.set_exception(std::current_exception());
        }
      }) {}

DetectorLoader::~DetectorLoader() = default;

}  // namespace yoloxrt
