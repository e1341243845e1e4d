// yoloxrt/error.h - the one exception type of yoloxrt.
//
// Every failure that yoloxrt reports is a yoloxrt::Error carrying a kind (what went wrong, mapped
// to the CLI's exit code), a human-readable message, and the data context: the file, and where
// useful a byte offset or a tensor/entry name. Foreign exceptions (Ort::Exception, protobuf,
// OpenCV) are translated into Error at the layer that calls the foreign library.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace yoloxrt {

enum class ErrorKind {
  kInvalidArgument,  // the caller asked for something impossible (bad flag value, bad size)
  kNotFound,         // a file, key, entry or class that should exist does not
  kCorrupt,          // bytes that do not parse: truncated, inconsistent, malformed
  kUnsupported,      // well-formed but not handled (legacy format, compression, unknown op)
  kUnsafe,           // refused for safety: a pickle global outside the allow-list, a path escape
  kMismatch,         // two consistent inputs disagree (missing/unexpected keys, class count)
  kIo,               // the OS refused: unreadable, unwritable, disk full
  kRuntime,          // a backend failed at run time (ONNX Runtime, OpenCV)
};

// Returns a stable lower-case name of the kind: "invalid argument", "not found", "corrupt",
// "unsupported", "unsafe", "mismatch", "i/o error", "runtime error". what() embeds it.
std::string_view error_kind_name(ErrorKind kind);

// Returns the process exit code the CLI uses for this kind (see README "Exit codes").
int exit_code_for(ErrorKind kind);

class Error : public std::runtime_error {
 public:
  // `message` says what was expected and what was found. `file` names the input or output the
  // problem is about (may be empty). The rendered what() is "<file>: <kind>: <message>[ (at byte
  // N)]".
  Error(ErrorKind kind, std::string message, std::string file = {},
        std::optional<uint64_t> offset = std::nullopt);

  ErrorKind kind() const noexcept { return kind_; }
  const std::string& message() const noexcept { return message_; }
  const std::string& file() const noexcept { return file_; }
  std::optional<uint64_t> offset() const noexcept { return offset_; }

  // Returns a copy of this error whose file is `file` if it had none yet. Readers that take bytes
  // throw without a file; the layer that knows the path attaches it.
  Error with_file(const std::string& file) const;

 private:
  ErrorKind kind_;
  std::string message_;
  std::string file_;
  std::optional<uint64_t> offset_;
};

}  // namespace yoloxrt
