// yoloxrt/checkpoint.h - reading and writing PyTorch state dicts without PyTorch.
//
// Readers take bytes and distrust them: every size and offset is checked against the bytes that
// remain, and the pickle inside a torch.save archive is run by a restricted unpickler that rebuilds
// only dicts, lists, tuples, scalars, strings and tensors. Any global outside the allow-list
// (collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter and
// the torch.*Storage types) is an Error(kUnsafe) naming it; nothing is ever executed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "yoloxrt/tensor.h"

namespace yoloxrt {

// Resource limits for the readers. Exceeding one is an Error(kCorrupt) naming the limit.
struct ReadLimits {
  uint32_t max_pickle_depth = 256;        // nesting of containers / MARK stack
  uint32_t max_memo_entries = 1u << 20;   // pickle memo size
  uint64_t max_entry_bytes = 8ull << 30;  // one zip entry / tensor storage
  // NaN or Inf in a float tensor is refused (see check_finite_weights) unless this is set: such a
  // checkpoint exports to a model whose every detection is NaN, so it is treated as corrupt.
  bool allow_non_finite = false;
};

// Throws Error(kCorrupt) naming the first tensor (in read order) that holds a NaN or an Inf, with
// how many of its values are non-finite and the index of the first one. Returns normally if every
// value is finite. The readers below call it unless ReadLimits::allow_non_finite.
void check_finite_weights(const StateDict& state);

// Reads a `torch.save` zip archive (entries stored, not compressed; any folder prefix) holding a
// state dict: a plain dict, or a dict holding it under "model", "state_dict" or "ema". Tensors of
// float32/float16/bfloat16/float64 become float32; integer tensors (num_batches_tracked) are
// skipped. Throws Error(kCorrupt) for malformed bytes (with the byte offset where known),
// Error(kUnsupported) for the legacy non-zip format or compressed entries, Error(kUnsafe) for
// disallowed globals, Error(kNotFound) when the archive has no data.pkl or a tensor's storage entry
// is missing, or when the chosen dict holds no tensors at all. Data entries are CRC-checked.
// Offsets are in `bytes`. The returned errors carry no file name: callers attach it with
// Error::with_file.
StateDict read_torch_checkpoint(std::span<const uint8_t> bytes, const ReadLimits& limits = {});

// Reads a .safetensors file (8-byte header length, JSON header, raw data). F32/F16/BF16/F64 become
// float32; integer tensors are skipped. Same error contract as read_torch_checkpoint.
StateDict read_safetensors(std::span<const uint8_t> bytes, const ReadLimits& limits = {});

// What a checkpoint's first bytes say it is. The one format sniffer: the file name plays no part.
enum class CheckpointFormat {
  kTorchZip,     // "PK": a torch.save zip archive
  kTorchPickle,  // 0x80 (pickle PROTO): torch.save's legacy format (read_torch_checkpoint
                 // refuses it with Error(kUnsupported) naming the format)
  kSafetensors,  // an 8-byte header length, then a JSON header starting with '{'
  kUnknown,
};
CheckpointFormat sniff_checkpoint_format(std::span<const uint8_t> bytes);

// Reads a state dict in the sniffed format: read_torch_checkpoint for both torch formats,
// read_safetensors for safetensors. Throws Error(kCorrupt) for empty or unrecognised bytes (the
// message names the formats tried), else as the reader does. No file name in errors.
StateDict read_state_dict(std::span<const uint8_t> bytes, const ReadLimits& limits = {});

// read_file_bytes(path), then read_state_dict. Errors name `path`.
StateDict read_state_dict_file(const std::filesystem::path& path, const ReadLimits& limits = {});

// Serialises `state` as a torch.save zip archive readable by torch.load(weights_only=True): a
// protocol-2 pickle of an OrderedDict of float32 tensors, entries stored and 64-byte aligned under
// "<archive_name>/". If `wrap_key` is not empty the state dict is saved as {wrap_key: state}.
std::string write_torch_checkpoint(const StateDict& state, const std::string& archive_name,
                                   const std::string& wrap_key = {});

}  // namespace yoloxrt
