// Writing torch.save archives that torch.load(weights_only=True) accepts. The layout follows what
// torch>=1.6 writes: "<name>/data.pkl" (protocol-2 pickle), "<name>/byteorder", "<name>/data/<k>"
// (raw little-endian storages, 64-byte aligned) and "<name>/version".
#include <string>
#include <unordered_map>

#include "core/zip_reader.h"
#include "yoloxrt/checkpoint.h"
#include "yoloxrt/error.h"

namespace yoloxrt {
namespace {

// Emits the subset of protocol-2 pickle opcodes a state dict needs. Globals are memoised so each
// is spelled out once, as CPython's pickler does.
class PickleWriter {
 public:
  PickleWriter() { out_ += "\x80\x02"; }

  void global(const std::string& module, const std::string& name) {
    const std::string full = module + "\n" + name + "\n";
    auto it = memo_.find(full);
    if (it != memo_.end()) return get(it->second);
    out_ += 'c';
    out_ += full;
    put(full);
  }
  void str(const std::string& s) {
    out_ += 'X';
    u32(static_cast<uint32_t>(s.size()));
    out_ += s;
  }
  void integer(int64_t v) {
    if (v >= 0 && v < 0x100) {
      out_ += 'K';
      out_ += static_cast<char>(v);
    } else if (v >= 0 && v < 0x10000) {
      out_ += 'M';
      out_ += static_cast<char>(v & 0xff);
      out_ += static_cast<char>(v >> 8);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      out_ += 'J';
      u32(static_cast<uint32_t>(static_cast<int32_t>(v)));
    } else {
      out_ += "\x8a\x08";  // LONG1, 8 bytes little-endian two's complement
      u32(static_cast<uint32_t>(static_cast<uint64_t>(v) & 0xffffffffu));
      u32(static_cast<uint32_t>(static_cast<uint64_t>(v) >> 32));
    }
  }
  void int_tuple(const std::vector<int64_t>& v) {
    if (v.empty()) {
      out_ += ')';
      return;
    }
    mark();
    for (int64_t x : v) integer(x);
    op('t');
  }
  void mark() { out_ += '('; }
  void op(char c) { out_ += c; }
  std::string finish() {
    out_ += '.';
    return std::move(out_);
  }

 private:
  void u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) out_ += static_cast<char>((v >> (8 * i)) & 0xff);
  }
  void put(const std::string& key) {
    const uint32_t index = next_memo_++;
    memo_.emplace(key, index);
    if (index < 0x100) {
      out_ += 'q';
      out_ += static_cast<char>(index);
    } else {
      out_ += 'r';
      u32(index);
    }
  }
  void get(uint32_t index) {
    if (index < 0x100) {
      out_ += 'h';
      out_ += static_cast<char>(index);
    } else {
      out_ += 'j';
      u32(index);
    }
  }

  std::string out_;
  std::unordered_map<std::string, uint32_t> memo_;
  uint32_t next_memo_ = 0;
};

}  // namespace

std::string write_torch_checkpoint(const StateDict& state, const std::string& archive_name,
                                   const std::string& wrap_key) {
  if (archive_name.empty() || archive_name == "." || archive_name == ".." ||
      archive_name.find_first_of("/\\") != std::string::npos)
    throw Error(ErrorKind::kInvalidArgument,
                "archive name '" + archive_name + "' must be a single non-empty path component");
  for (const std::string& name : state.names()) {
    const Tensor& t = state.at(name);
    int64_t numel = 1;
    for (int64_t d : t.shape) {
      if (d < 0 || __builtin_mul_overflow(numel, d, &numel))
        throw Error(ErrorKind::kInvalidArgument,
                    "tensor '" + name + "' has an invalid shape " + t.shape_string());
    }
    if (static_cast<uint64_t>(numel) != t.data.size())
      throw Error(ErrorKind::kInvalidArgument, "tensor '" + name + "' has shape " +
                                                   t.shape_string() + " but " +
                                                   std::to_string(t.data.size()) + " values");
  }

  // data.pkl: [{wrap_key:] OrderedDict(name -> _rebuild_tensor_v2(storage, 0, size, stride, False,
  // OrderedDict())) [}]
  PickleWriter p;
  if (!wrap_key.empty()) {
    p.op('}');
    p.str(wrap_key);
  }
  p.global("collections", "OrderedDict");
  p.op(')');
  p.op('R');
  if (!state.empty()) {
    p.mark();
    size_t key = 0;
    for (const std::string& name : state.names()) {
      const Tensor& t = state.at(name);
      std::vector<int64_t> stride(t.shape.size());
      int64_t s = 1;
      for (size_t d = t.shape.size(); d-- > 0;) {
        stride[d] = s;
        s *= std::max<int64_t>(t.shape[d], 1);
      }
      p.str(name);
      p.global("torch._utils", "_rebuild_tensor_v2");
      p.mark();
      p.mark();  // persistent id ('storage', torch.FloatStorage, key, 'cpu', numel)
      p.str("storage");
      p.global("torch", "FloatStorage");
      p.str(std::to_string(key++));
      p.str("cpu");
      p.integer(static_cast<int64_t>(t.data.size()));
      p.op('t');
      p.op('Q');  // BINPERSID
      p.integer(0);
      p.int_tuple(t.shape);
      p.int_tuple(stride);
      p.op('\x89');  // False: requires_grad
      p.global("collections", "OrderedDict");
      p.op(')');
      p.op('R');  // backward_hooks
      p.op('t');
      p.op('R');
    }
    p.op('u');  // SETITEMS
  }
  if (!wrap_key.empty()) p.op('s');
  const std::string pkl = p.finish();

  const std::string dir = archive_name + "/";
  core::ZipWriter zip;
  zip.reserve(state.byte_size() + pkl.size() + state.size() * 200 + 4096);
  zip.add(dir + "data.pkl", pkl);
  zip.add(dir + "byteorder", std::string_view("little"));
  size_t key = 0;
  for (const std::string& name : state.names()) {
    const auto& data = state.at(name).data;
    zip.add(dir + "data/" + std::to_string(key++),
            std::span(reinterpret_cast<const uint8_t*>(data.data()), data.size() * sizeof(float)));
  }
  zip.add(dir + "version", std::string_view("3\n"));
  return zip.finish();
}

}  // namespace yoloxrt
