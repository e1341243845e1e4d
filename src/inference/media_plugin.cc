#include "inference/media_plugin.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>

#include <onnxruntime_c_api.h>

#include "yoloxrt/error.h"

namespace yoloxrt::detail {
namespace {

namespace fs = std::filesystem;

// The folder of the loaded libonnxruntime: an installed yoloxrt keeps its plugins in
// <libdir>/yoloxrt beside it, wherever the prefix was moved to.
fs::path onnxruntime_dir() {
  Dl_info info{};
  if (::dladdr(reinterpret_cast<const void*>(&OrtGetApiBase), &info) == 0 || !info.dli_fname)
    return {};
  return fs::path(info.dli_fname).parent_path();
}

fs::path executable_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

// Where a plugin may be, in order: $YOLOXRT_PLUGIN_DIR, beside the executable, the install
// layout relative to it (bin/../lib/yoloxrt), <folder of libonnxruntime>/yoloxrt, the build tree
// and install prefix known at build time, then the dynamic loader's own search.
std::vector<std::string> candidates(const std::string& file) {
  std::vector<std::string> out;
  if (const char* dir = std::getenv("YOLOXRT_PLUGIN_DIR"); dir && *dir)
    out.push_back((fs::path(dir) / file).string());
  if (const fs::path exe = executable_dir(); !exe.empty()) {
    out.push_back((exe / file).string());
    out.push_back((exe / ".." / "lib" / "yoloxrt" / file).string());
    out.push_back((exe / ".." / file).string());
  }
  if (const fs::path ort = onnxruntime_dir(); !ort.empty())
    out.push_back((ort / "yoloxrt" / file).string());
#ifdef YOLOXRT_PLUGIN_BUILD_DIR
  out.push_back((fs::path(YOLOXRT_PLUGIN_BUILD_DIR) / file).string());
#endif
#ifdef YOLOXRT_PLUGIN_INSTALL_DIR
  out.push_back((fs::path(YOLOXRT_PLUGIN_INSTALL_DIR) / file).string());
#endif
  out.push_back(file);
  return out;
}

const void* load(const std::string& file, const char* symbol) {
  std::string tried;
  for (const auto& path : candidates(file)) {
    if (path.find('/') != std::string::npos && ::access(path.c_str(), R_OK) != 0) continue;
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char* why = ::dlerror();
      tried += "\n  " + path + ": " + (why ? why : "dlopen failed");
      continue;
    }
    using Getter = const void* (*)();
    auto get = reinterpret_cast<Getter>(::dlsym(handle, symbol));
    if (!get) {
      tried += "\n  " + path + ": no symbol " + symbol;
      continue;
    }
    return get();  // the handle stays open for the life of the process
  }
  throw Error(ErrorKind::kRuntime, "cannot load the OpenCV codec plugin " + file +
                                       " (set YOLOXRT_PLUGIN_DIR to the folder holding it)" +
                                       (tried.empty() ? std::string(": not found") : tried));
}

template <typename Api>
const Api& checked(const void* p, const char* file) {
  const Api* api = static_cast<const Api*>(p);
  if (!api || api->abi_version != kMediaAbiVersion)
    throw Error(ErrorKind::kRuntime,
                std::string("codec plugin ") + file + " was built for another yoloxrt version");
  return *api;
}

}  // namespace

const ImageIoApi& image_io() {
  static const ImageIoApi& api = checked<ImageIoApi>(
      load("libyoloxrt_imageio.so", "yoloxrt_imageio_api"), "libyoloxrt_imageio.so");
  return api;
}

const VideoIoApi& video_io() {
  static const VideoIoApi& api = checked<VideoIoApi>(
      load("libyoloxrt_videoio.so", "yoloxrt_videoio_api"), "libyoloxrt_videoio.so");
  return api;
}

}  // namespace yoloxrt::detail
