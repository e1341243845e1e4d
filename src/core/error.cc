#include "yoloxrt/error.h"

namespace yoloxrt {
namespace {

std::string render(ErrorKind kind, const std::string& message, const std::string& file,
                   std::optional<uint64_t> offset) {
  std::string out;
  if (!file.empty()) out += file + ": ";
  out += error_kind_name(kind);
  out += ": ";
  out += message;
  if (offset) out += " (at byte " + std::to_string(*offset) + ")";
  return out;
}

}  // namespace

std::string_view error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidArgument:
      return "invalid argument";
    case ErrorKind::kNotFound:
      return "not found";
    case ErrorKind::kCorrupt:
      return "corrupt";
    case ErrorKind::kUnsupported:
      return "unsupported";
    case ErrorKind::kUnsafe:
      return "unsafe";
    case ErrorKind::kMismatch:
      return "mismatch";
    case ErrorKind::kIo:
      return "i/o error";
    case ErrorKind::kRuntime:
      return "runtime error";
  }
  return "error";
}

int exit_code_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidArgument:
      return 2;
    case ErrorKind::kNotFound:
      return 3;
    case ErrorKind::kCorrupt:
      return 4;
    case ErrorKind::kUnsupported:
      return 5;
    case ErrorKind::kUnsafe:
      return 6;
    case ErrorKind::kMismatch:
      return 7;
    case ErrorKind::kIo:
      return 8;
    case ErrorKind::kRuntime:
      return 9;
  }
  return 1;
}

Error::Error(ErrorKind kind, std::string message, std::string file, std::optional<uint64_t> offset)
    : std::runtime_error(render(kind, message, file, offset)),
      kind_(kind),
      message_(std::move(message)),
      file_(std::move(file)),
      offset_(offset) {}

Error Error::with_file(const std::string& file) const {
  if (!file_.empty()) return *this;
  return Error(kind_, message_, file, offset_);
}

}  // namespace yoloxrt
