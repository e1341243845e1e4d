// The one checkpoint-format sniffer (yoloxrt/checkpoint.h), used by every reader of weights files.
#include <cstdio>

#include "yoloxrt/checkpoint.h"
#include "yoloxrt/error.h"
#include "yoloxrt/file_io.h"

namespace yoloxrt {

CheckpointFormat sniff_checkpoint_format(std::span<const uint8_t> bytes) {
  if (bytes.size() >= 2 && bytes[0] == 'P' && bytes[1] == 'K') return CheckpointFormat::kTorchZip;
  if (!bytes.empty() && bytes[0] == 0x80) return CheckpointFormat::kTorchPickle;
  // safetensors: u64 little-endian header length, then the JSON header, which starts with '{'.
  if (bytes.size() >= 9 && bytes[8] == '{') return CheckpointFormat::kSafetensors;
  return CheckpointFormat::kUnknown;
}

StateDict read_state_dict(std::span<const uint8_t> bytes, const ReadLimits& limits) {
  switch (sniff_checkpoint_format(bytes)) {
    case CheckpointFormat::kTorchZip:
    case CheckpointFormat::kTorchPickle:
      return read_torch_checkpoint(bytes, limits);
    case CheckpointFormat::kSafetensors:
      return read_safetensors(bytes, limits);
    case CheckpointFormat::kUnknown:
      break;
  }
  if (bytes.empty()) throw Error(ErrorKind::kCorrupt, "the checkpoint file is empty", {}, 0);
  std::string head;
  for (size_t k = 0; k < bytes.size() && k < 4; ++k) {
    char hex[4];
    std::snprintf(hex, sizeof hex, "%02x", bytes[k]);
    if (k) head += ' ';
    head += hex;
  }
  std::string message =
      "not a checkpoint: neither a torch.save zip archive ('PK'), a pickle (0x80) nor "
      "safetensors (8-byte length, then '{'); the file starts with ";
  message += head;
  throw Error(ErrorKind::kCorrupt, std::move(message), {}, 0);
}

StateDict read_state_dict_file(const std::filesystem::path& path, const ReadLimits& limits) {
  const std::vector<uint8_t> bytes = read_file_bytes(path);
  try {
    return read_state_dict(bytes, limits);
  } catch (const Error& e) {
    throw e.with_file(path.string());
  }
}

}  // namespace yoloxrt
