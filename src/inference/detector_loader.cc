#include "yoloxrt/detector_loader.h"

#include <exception>
#include <future>
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
          // The plugins (dlopen and relocation of a few hundred libraries) load on a thread of
          // their own while the model is parsed and optimised. Video codecs: the image plugin
          // first (the video plugin links OpenCV's imgcodecs anyway), in a dlopen of its own.
          // A dlopen holds the dynamic loader's lock, which thread creation (ONNX Runtime's,
          // the pipeline's) waits for; two shorter ones let it through in between: nano, track
          // MOT17-01 --max-frames 10, 0.26 s vs 0.30 s with one (medians of 12).
          std::future<void> plugins;
          if (codecs.images || codecs.video)
            plugins = std::async(std::launch::async, [codecs] {
              preload_media_codecs(codecs.images || codecs.video, false);
              preload_media_codecs(false, codecs.video);
            });
          try {
            detector_ = Detector::open(model, options);
          } catch (...) {
            if (plugins.valid()) plugins.wait();
            throw;
          }
          if (plugins.valid()) plugins.get();
          promise_.set_value(detector_.get());
        } catch (...) {
          promise_.set_exception(std::current_exception());
        }
      }) {}

DetectorLoader::~DetectorLoader() = default;

}  // namespace yoloxrt
