// The optimised-model cache (ort_session.h: open_session).
#include "inference/ort_session.h"
#include "yoloxrt/error.h"
#include "yoloxrt/file_io.h"

namespace yoloxrt::detail {
namespace fs = std::filesystem;

std::unique_ptr<Ort::Session> open_session(const fs::path& model, const DetectorOptions& options) {
  const std::string file = model.string();
  auto make_options = [&] {
    return make_session_options(options.threads, options.providers, file);
  };
  // Load the cache when it is at least as new as the model; otherwise optimise the model and let
  // ONNX Runtime save the result into a temporary that is renamed on success.
  const fs::path& cache = options.cache_path;
  if (!cache.empty()) {
    std::error_code ec1, ec2;
    const auto cache_time = fs::last_write_time(cache, ec1);
    const auto model_time = fs::last_write_time(model, ec2);
    if (!ec1 && !ec2 && cache_time >= model_time) {
      try {
        Ort::SessionOptions so = make_options();
        return std::make_unique<Ort::Session>(ort_env(), cache.c_str(), so);
      } catch (const Ort::Exception&) {
        // A stale or broken cache: rebuild it from the model below.
      }
    }
  }
  try {
    Ort::SessionOptions so = make_options();
    std::unique_ptr<AtomicFile> cache_file;
    if (!cache.empty()) {
      cache_file = std::make_unique<AtomicFile>(cache);
      so.SetOptimizedModelFilePath(cache_file->temp_path().c_str());
    }
    auto session = std::make_unique<Ort::Session>(ort_env(), model.c_str(), so);
    if (cache_file) cache_file->commit();
    return session;
  } catch (const Ort::Exception& e) {
    throw Error(ErrorKind::kCorrupt, std::string("ONNX Runtime cannot load the model: ") + e.what(),
                file);
  }
}

}  // namespace yoloxrt::detail
