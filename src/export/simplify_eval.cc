#include "export/simplify_eval.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <numeric>
#include <string>
#include <string_view>
#include <unordered_map>

#include "yoloxrt/error.h"

namespace yoloxrt::simplify {
namespace {

using onnx::TensorProto;
using Dims = std::vector<int64_t>;

int64_t product(const Dims& dims) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0) return -1;
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d) return -1;
    n *= d;
  }
  return n;
}

size_t elem_size(int32_t dtype) {
  switch (dtype) {
    case TensorProto::FLOAT:
    case TensorProto::INT32:
      return 4;
    case TensorProto::DOUBLE:
    case TensorProto::INT64:
      return 8;
    case TensorProto::BOOL:
      return 1;
    default:
      return 0;
  }
}

// Rounds a double to the precision the dtype stores.
double round_to(int32_t dtype, double x) {
  return dtype == TensorProto::FLOAT ? static_cast<double>(static_cast<float>(x)) : x;
}

int64_t wrap_int(int32_t dtype, int64_t x) {
  if (dtype == TensorProto::INT32) return static_cast<int32_t>(x);
  if (dtype == TensorProto::BOOL) return x != 0;
  return x;
}

Dims strides_of(const Dims& dims) {
  Dims s(dims.size(), 1);
  for (int k = static_cast<int>(dims.size()) - 2; k >= 0; --k) s[k] = s[k + 1] * dims[k + 1];
  return s;
}

std::optional<Dims> broadcast_dims(const std::vector<const Dims*>& all) {
  size_t rank = 0;
  for (const Dims* d : all) rank = std::max(rank, d->size());
  Dims out(rank, 1);
  for (const Dims* d : all) {
    const size_t off = rank - d->size();
    for (size_t k = 0; k < d->size(); ++k) {
      const int64_t v = (*d)[k];
      if (v == out[off + k] || v == 1) continue;
      if (out[off + k] != 1) return std::nullopt;
      out[off + k] = v;
    }
  }
  return out;
}

// For every element of `out` (row-major), the linear index of the element of `in` it reads under
// numpy broadcasting. REQUIRES: `in` broadcasts to `out`.
std::vector<int64_t> broadcast_map(const Dims& in, const Dims& out) {
  const int64_t n = product(out);
  std::vector<int64_t> map(static_cast<size_t>(n));
  const size_t off = out.size() - in.size();
  const Dims in_strides = strides_of(in);
  Dims idx(out.size(), 0);
  for (int64_t e = 0; e < n; ++e) {
    int64_t src = 0;
    for (size_t k = 0; k < in.size(); ++k)
      if (in[k] != 1) src += idx[off + k] * in_strides[k];
    map[static_cast<size_t>(e)] = src;
    for (int k = static_cast<int>(out.size()) - 1; k >= 0; --k) {
      if (++idx[k] < out[k]) break;
      idx[k] = 0;
    }
  }
  return map;
}

// Builds a value of `v`'s dtype from selected elements of `v`.
Value take(const Value& v, Dims dims, const std::vector<int64_t>& index) {
  Value r;
  r.dtype = v.dtype;
  r.dims = std::move(dims);
  if (v.is_float()) {
    r.f.reserve(index.size());
    for (int64_t k : index) r.f.push_back(v.f[static_cast<size_t>(k)]);
  } else {
    r.i.reserve(index.size());
    for (int64_t k : index) r.i.push_back(v.i[static_cast<size_t>(k)]);
  }
  return r;
}

double as_double(const Value& v, size_t k) {
  return v.is_float() ? v.f[k] : static_cast<double>(v.i[k]);
}

int64_t attr_int(const onnx::NodeProto& n, const char* name, int64_t def) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return a.i();
  return def;
}

const onnx::AttributeProto* find_attr(const onnx::NodeProto& n, const char* name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

std::optional<Dims> attr_ints(const onnx::NodeProto& n, const char* name) {
  const auto* a = find_attr(n, name);
  if (!a) return std::nullopt;
  return Dims(a->ints().begin(), a->ints().end());
}

// Integer contents of a rank <= 1 integer tensor (axes, shapes, indices).
std::optional<Dims> ints_of(const Value* v) {
  if (!v || v->is_float() || v->dims.size() > 1) return std::nullopt;
  return v->i;
}

bool normalize_axis(int64_t& axis, int64_t rank) {
  if (axis < -rank || axis >= rank) return false;
  if (axis < 0) axis += rank;
  return true;
}

using Result = std::optional<std::vector<Value>>;

Result one(Value v) { return std::vector<Value>{std::move(v)}; }

// Elementwise op over broadcast inputs. `ff` for float dtypes, `fi` for integer dtypes; either may
// return nullopt to decline (division by zero). `out_dtype` 0 = same as the first input.
using FloatFn = std::function<std::optional<double>(const std::vector<double>&)>;
using IntFn = std::function<std::optional<int64_t>(const std::vector<int64_t>&)>;

Result elementwise(const std::vector<const Value*>& in, int32_t out_dtype, const FloatFn& ff,
                   const IntFn& fi, int64_t max_elements, bool mixed_ok = false) {
  std::vector<const Dims*> dims;
  for (const Value* v : in) {
    if (!v) return std::nullopt;
    if (!mixed_ok && v->dtype != in[0]->dtype) return std::nullopt;
    dims.push_back(&v->dims);
  }
  auto out_dims = broadcast_dims(dims);
  if (!out_dims) return std::nullopt;
  const int64_t n = product(*out_dims);
  if (n < 0 || n > max_elements) return std::nullopt;
  std::vector<std::vector<int64_t>> maps;
  for (const Value* v : in) maps.push_back(broadcast_map(v->dims, *out_dims));
  const bool use_float = in[0]->is_float();
  Value r;
  r.dtype = out_dtype ? out_dtype : in[0]->dtype;
  r.dims = *out_dims;
  std::vector<double> fa(in.size());
  std::vector<int64_t> ia(in.size());
  for (int64_t e = 0; e < n; ++e) {
    if (use_float) {
      for (size_t k = 0; k < in.size(); ++k) fa[k] = as_double(*in[k], maps[k][e]);
      auto x = ff(fa);
      if (!x) return std::nullopt;
      if (r.is_float())
        r.f.push_back(round_to(r.dtype, *x));
      else
        r.i.push_back(static_cast<int64_t>(*x));
    } else {
      for (size_t k = 0; k < in.size(); ++k) ia[k] = in[k]->i[maps[k][e]];
      auto x = fi(ia);
      if (!x) return std::nullopt;
      if (r.is_float())
        r.f.push_back(round_to(r.dtype, static_cast<double>(*x)));
      else
        r.i.push_back(wrap_int(r.dtype, *x));
    }
  }
  return one(std::move(r));
}

Result eval_cast(const Value& x, int32_t to) {
  if (!is_supported_dtype(to)) return std::nullopt;
  Value r;
  r.dtype = to;
  r.dims = x.dims;
  const size_t n = static_cast<size_t>(x.size());
  for (size_t k = 0; k < n; ++k) {
    if (r.is_float()) {
      r.f.push_back(round_to(to, as_double(x, k)));
    } else if (x.is_float()) {
      const double d = x.f[k];
      if (!std::isfinite(d)) return std::nullopt;
      if (to == TensorProto::BOOL) {
        r.i.push_back(d != 0);
      } else {
        // Out-of-range float->int casts are undefined behaviour in C++ and ORT alike: decline.
        if (std::fabs(d) >= 9.2e18) return std::nullopt;
        r.i.push_back(wrap_int(to, static_cast<int64_t>(d)));
      }
    } else {
      r.i.push_back(wrap_int(to, x.i[k]));
    }
  }
  return one(std::move(r));
}

Result eval_gather(const Value& data, const Value& indices, int64_t axis) {
  if (indices.is_float()) return std::nullopt;
  const int64_t rank = static_cast<int64_t>(data.dims.size());
  if (!normalize_axis(axis, rank)) return std::nullopt;
  const int64_t axis_len = data.dims[axis];
  Dims out_dims(data.dims.begin(), data.dims.begin() + axis);
  out_dims.insert(out_dims.end(), indices.dims.begin(), indices.dims.end());
  out_dims.insert(out_dims.end(), data.dims.begin() + axis + 1, data.dims.end());
  int64_t outer = 1, inner = 1;
  for (int64_t k = 0; k < axis; ++k) outer *= data.dims[k];
  for (int64_t k = axis + 1; k < rank; ++k) inner *= data.dims[k];
  std::vector<int64_t> index;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t g : indices.i) {
      if (g < -axis_len || g >= axis_len) return std::nullopt;
      if (g < 0) g += axis_len;
      for (int64_t in = 0; in < inner; ++in) index.push_back((o * axis_len + g) * inner + in);
    }
  return one(take(data, out_dims, index));
}

Result eval_unsqueeze(const Value& x, Dims axes) {
  const int64_t out_rank = static_cast<int64_t>(x.dims.size() + axes.size());
  for (auto& a : axes)
    if (!normalize_axis(a, out_rank)) return std::nullopt;
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end()) return std::nullopt;
  Dims out;
  size_t src = 0;
  for (int64_t k = 0; k < out_rank; ++k) {
    if (std::binary_search(axes.begin(), axes.end(), k))
      out.push_back(1);
    else
      out.push_back(x.dims[src++]);
  }
  Value r = x;
  r.dims = out;
  return one(std::move(r));
}

Result eval_squeeze(const Value& x, std::optional<Dims> axes) {
  const int64_t rank = static_cast<int64_t>(x.dims.size());
  std::vector<bool> drop(x.dims.size(), false);
  if (axes) {
    for (int64_t a : *axes) {
      if (!normalize_axis(a, rank) || x.dims[a] != 1) return std::nullopt;
      drop[a] = true;
    }
  } else {
    for (int64_t k = 0; k < rank; ++k) drop[k] = x.dims[k] == 1;
  }
  Value r = x;
  r.dims.clear();
  for (int64_t k = 0; k < rank; ++k)
    if (!drop[k]) r.dims.push_back(x.dims[k]);
  return one(std::move(r));
}

Result eval_concat(const std::vector<const Value*>& in, int64_t axis) {
  if (in.empty() || !in[0]) return std::nullopt;
  const int64_t rank = static_cast<int64_t>(in[0]->dims.size());
  if (!normalize_axis(axis, rank)) return std::nullopt;
  Dims out = in[0]->dims;
  out[axis] = 0;
  for (const Value* v : in) {
    if (!v || v->dtype != in[0]->dtype || v->dims.size() != in[0]->dims.size()) return std::nullopt;
    for (int64_t k = 0; k < rank; ++k)
      if (k != axis && v->dims[k] != in[0]->dims[k]) return std::nullopt;
    out[axis] += v->dims[axis];
  }
  int64_t outer = 1, inner = 1;
  for (int64_t k = 0; k < axis; ++k) outer *= out[k];
  for (int64_t k = axis + 1; k < rank; ++k) inner *= out[k];
  Value r;
  r.dtype = in[0]->dtype;
  r.dims = out;
  for (int64_t o = 0; o < outer; ++o)
    for (const Value* v : in) {
      const int64_t chunk = v->dims[axis] * inner;
      const size_t begin = static_cast<size_t>(o * chunk), end = begin + static_cast<size_t>(chunk);
      if (v->is_float())
        r.f.insert(r.f.end(), v->f.begin() + begin, v->f.begin() + end);
      else
        r.i.insert(r.i.end(), v->i.begin() + begin, v->i.begin() + end);
    }
  return one(std::move(r));
}

Result eval_reshape(const Value& x, const Dims& shape, bool allow_zero) {
  Dims out = shape;
  int64_t infer = -1, known = 1;
  for (size_t k = 0; k < out.size(); ++k) {
    if (out[k] == 0 && !allow_zero) {
      if (k >= x.dims.size()) return std::nullopt;
      out[k] = x.dims[k];
    }
    if (out[k] == -1) {
      if (infer >= 0) return std::nullopt;
      infer = static_cast<int64_t>(k);
    } else if (out[k] < 0) {
      return std::nullopt;
    } else {
      known *= out[k];
    }
  }
  if (infer >= 0) {
    if (known == 0 || x.size() % known != 0) return std::nullopt;
    out[infer] = x.size() / known;
  }
  if (product(out) != x.size()) return std::nullopt;
  Value r = x;
  r.dims = out;
  return one(std::move(r));
}

Result eval_slice(const Value& x, const Dims& starts, const Dims& ends, std::optional<Dims> axes,
                  std::optional<Dims> steps) {
  const int64_t rank = static_cast<int64_t>(x.dims.size());
  if (starts.size() != ends.size()) return std::nullopt;
  if (!axes) {
    axes = Dims(starts.size());
    std::iota(axes->begin(), axes->end(), 0);
  }
  if (!steps) steps = Dims(starts.size(), 1);
  if (axes->size() != starts.size() || steps->size() != starts.size()) return std::nullopt;
  Dims begin(rank, 0), step(rank, 1), count = x.dims;
  std::vector<bool> seen(rank, false);
  for (size_t k = 0; k < starts.size(); ++k) {
    int64_t a = (*axes)[k];
    if (!normalize_axis(a, rank) || seen[a]) return std::nullopt;
    seen[a] = true;
    const int64_t len = x.dims[a], st = (*steps)[k];
    if (st == 0) return std::nullopt;
    int64_t s = starts[k], e = ends[k];
    if (s < 0) s += len;
    if (e < 0 && e > std::numeric_limits<int64_t>::min() / 2) e += len;
    if (st > 0) {
      s = std::clamp<int64_t>(s, 0, len);
      e = std::clamp<int64_t>(e, 0, len);
      count[a] = e > s ? (e - s + st - 1) / st : 0;
    } else {
      s = std::clamp<int64_t>(s, 0, len - 1);
      e = std::clamp<int64_t>(e, -1, len - 1);
      count[a] = s > e ? (s - e + (-st) - 1) / (-st) : 0;
    }
    begin[a] = s;
    step[a] = st;
  }
  const int64_t n = product(count);
  const Dims in_strides = strides_of(x.dims);
  std::vector<int64_t> index;
  index.reserve(static_cast<size_t>(n));
  Dims idx(rank, 0);
  for (int64_t e = 0; e < n; ++e) {
    int64_t src = 0;
    for (int64_t k = 0; k < rank; ++k) src += (begin[k] + idx[k] * step[k]) * in_strides[k];
    index.push_back(src);
    for (int64_t k = rank - 1; k >= 0; --k) {
      if (++idx[k] < count[k]) break;
      idx[k] = 0;
    }
  }
  return one(take(x, count, index));
}

Result eval_transpose(const Value& x, std::optional<Dims> perm) {
  const int64_t rank = static_cast<int64_t>(x.dims.size());
  if (!perm) {
    perm = Dims(rank);
    for (int64_t k = 0; k < rank; ++k) (*perm)[k] = rank - 1 - k;
  }
  if (static_cast<int64_t>(perm->size()) != rank) return std::nullopt;
  Dims out(rank);
  std::vector<bool> used(rank, false);
  for (int64_t k = 0; k < rank; ++k) {
    const int64_t p = (*perm)[k];
    if (p < 0 || p >= rank || used[p]) return std::nullopt;
    used[p] = true;
    out[k] = x.dims[p];
  }
  const Dims in_strides = strides_of(x.dims);
  const int64_t n = x.size();
  std::vector<int64_t> index;
  index.reserve(static_cast<size_t>(n));
  Dims idx(rank, 0);
  for (int64_t e = 0; e < n; ++e) {
    int64_t src = 0;
    for (int64_t k = 0; k < rank; ++k) src += idx[k] * in_strides[(*perm)[k]];
    index.push_back(src);
    for (int64_t k = rank - 1; k >= 0; --k) {
      if (++idx[k] < out[k]) break;
      idx[k] = 0;
    }
  }
  return one(take(x, out, index));
}

Result eval_range(const Value& start, const Value& limit, const Value& delta,
                  int64_t max_elements) {
  if (start.size() != 1 || limit.size() != 1 || delta.size() != 1) return std::nullopt;
  if (start.dtype != limit.dtype || start.dtype != delta.dtype) return std::nullopt;
  const double s = as_double(start, 0), l = as_double(limit, 0), d = as_double(delta, 0);
  if (d == 0 || !std::isfinite(s) || !std::isfinite(l) || !std::isfinite(d)) return std::nullopt;
  const double count = std::max(std::ceil((l - s) / d), 0.0);
  if (count > static_cast<double>(max_elements)) return std::nullopt;
  Value r;
  r.dtype = start.dtype;
  r.dims = {static_cast<int64_t>(count)};
  for (int64_t k = 0; k < r.dims[0]; ++k) {
    if (r.is_float())
      // ORT computes start + k * delta per element (no running sum), in the tensor's type.
      r.f.push_back(round_to(r.dtype, s + static_cast<double>(k) * d));
    else
      r.i.push_back(start.i[0] + k * delta.i[0]);
  }
  return one(std::move(r));
}

Result eval_expand(const Value& x, const Dims& shape, int64_t max_elements) {
  auto out = broadcast_dims({&x.dims, &shape});
  if (!out) return std::nullopt;
  const int64_t n = product(*out);
  if (n < 0 || n > max_elements) return std::nullopt;
  return one(take(x, *out, broadcast_map(x.dims, *out)));
}

Result eval_tile(const Value& x, const Dims& repeats, int64_t max_elements) {
  const int64_t rank = static_cast<int64_t>(x.dims.size());
  if (static_cast<int64_t>(repeats.size()) != rank) return std::nullopt;
  Dims out(rank);
  for (int64_t k = 0; k < rank; ++k) {
    if (repeats[k] < 0) return std::nullopt;
    out[k] = x.dims[k] * repeats[k];
  }
  const int64_t n = product(out);
  if (n < 0 || n > max_elements) return std::nullopt;
  const Dims in_strides = strides_of(x.dims);
  std::vector<int64_t> index;
  Dims idx(rank, 0);
  for (int64_t e = 0; e < n; ++e) {
    int64_t src = 0;
    for (int64_t k = 0; k < rank; ++k) src += (idx[k] % x.dims[k]) * in_strides[k];
    index.push_back(src);
    for (int64_t k = rank - 1; k >= 0; --k) {
      if (++idx[k] < out[k]) break;
      idx[k] = 0;
    }
  }
  return one(take(x, out, index));
}

}  // namespace

bool Value::is_float() const { return dtype == TensorProto::FLOAT || dtype == TensorProto::DOUBLE; }

int64_t Value::size() const { return product(dims); }

bool is_supported_dtype(int32_t dtype) { return elem_size(dtype) != 0; }

std::optional<Value> value_from_tensor(const TensorProto& t) {
  if (t.data_location() == TensorProto::EXTERNAL)
    throw Error(ErrorKind::kUnsupported,
                "tensor '" + t.name() + "' keeps its data in an external file (models > 2 GB)");
  if (!is_supported_dtype(t.data_type())) return std::nullopt;
  Value v;
  v.dtype = t.data_type();
  v.dims.assign(t.dims().begin(), t.dims().end());
  const int64_t n = product(v.dims);
  if (n < 0) throw Error(ErrorKind::kCorrupt, "tensor '" + t.name() + "' has invalid dims");
  const size_t count = static_cast<size_t>(n);
  auto mismatch = [&](size_t have) {
    return Error(ErrorKind::kCorrupt, "tensor '" + t.name() + "' holds " + std::to_string(have) +
                                          " elements but its dims need " + std::to_string(count));
  };
  if (t.has_raw_data()) {
    const std::string& raw = t.raw_data();
    const size_t es = elem_size(v.dtype);
    if (raw.size() != count * es) throw mismatch(raw.size() / es);
    const char* p = raw.data();
    // ONNX raw_data is little-endian; this code assumes a little-endian host (x86, arm64).
    for (size_t k = 0; k < count; ++k, p += es) {
      switch (v.dtype) {
        case TensorProto::FLOAT: {
          float x;
          std::memcpy(&x, p, 4);
          v.f.push_back(x);
          break;
        }
        case TensorProto::DOUBLE: {
          double x;
          std::memcpy(&x, p, 8);
          v.f.push_back(x);
          break;
        }
        case TensorProto::INT32: {
          int32_t x;
          std::memcpy(&x, p, 4);
          v.i.push_back(x);
          break;
        }
        case TensorProto::INT64: {
          int64_t x;
          std::memcpy(&x, p, 8);
          v.i.push_back(x);
          break;
        }
        case TensorProto::BOOL:
          v.i.push_back(*p != 0);
          break;
      }
    }
    return v;
  }
  switch (v.dtype) {
    case TensorProto::FLOAT:
      if (static_cast<size_t>(t.float_data_size()) != count) throw mismatch(t.float_data_size());
      v.f.assign(t.float_data().begin(), t.float_data().end());
      break;
    case TensorProto::DOUBLE:
      if (static_cast<size_t>(t.double_data_size()) != count) throw mismatch(t.double_data_size());
      v.f.assign(t.double_data().begin(), t.double_data().end());
      break;
    case TensorProto::INT64:
      if (static_cast<size_t>(t.int64_data_size()) != count) throw mismatch(t.int64_data_size());
      v.i.assign(t.int64_data().begin(), t.int64_data().end());
      break;
    default:  // INT32, BOOL live in int32_data
      if (static_cast<size_t>(t.int32_data_size()) != count) throw mismatch(t.int32_data_size());
      for (int32_t x : t.int32_data()) v.i.push_back(v.dtype == TensorProto::BOOL ? x != 0 : x);
      break;
  }
  return v;
}

TensorProto tensor_from_value(const Value& v, const std::string& name) {
  TensorProto t;
  t.set_name(name);
  t.set_data_type(v.dtype);
  for (int64_t d : v.dims) t.add_dims(d);
  const size_t n = static_cast<size_t>(v.size());
  const size_t es = elem_size(v.dtype);
  std::string raw(n * es, '\0');
  char* p = raw.data();
  for (size_t k = 0; k < n; ++k, p += es) {
    switch (v.dtype) {
      case TensorProto::FLOAT: {
        const float x = static_cast<float>(v.f[k]);
        std::memcpy(p, &x, 4);
        break;
      }
      case TensorProto::DOUBLE:
        std::memcpy(p, &v.f[k], 8);
        break;
      case TensorProto::INT32: {
        const int32_t x = static_cast<int32_t>(v.i[k]);
        std::memcpy(p, &x, 4);
        break;
      }
      case TensorProto::INT64:
        std::memcpy(p, &v.i[k], 8);
        break;
      case TensorProto::BOOL:
        *p = v.i[k] != 0;
        break;
    }
  }
  t.set_raw_data(std::move(raw));
  return t;
}

namespace {

// What an op's evaluator gets: the node (attributes, output count), its inputs (nullptr for an
// absent optional input), the default-domain opset and the element budget.
struct OpCall {
  const onnx::NodeProto& node;
  const std::vector<const Value*>& in;
  int opset;
  int64_t max_elements;

  const Value* arg(size_t k) const { return k < in.size() ? in[k] : nullptr; }
  // The first input; the table is only consulted when it is present.
  const Value& x() const { return *in[0]; }
};

// Returns the outputs, or nullopt to leave the node alone.
using OpFn = Result (*)(const OpCall&);

// --- elementwise families ---------------------------------------------------------------------

template <typename F, typename I>
Result binary(const OpCall& c, F ff, I fi) {
  return elementwise({c.arg(0), c.arg(1)}, 0, ff, fi, c.max_elements);
}

template <typename Cmp>
Result compare(const OpCall& c, Cmp cmp) {
  return elementwise(
      {c.arg(0), c.arg(1)}, TensorProto::BOOL,
      [cmp](const std::vector<double>& a) -> std::optional<double> { return cmp(a[0], a[1]); },
      [cmp](const std::vector<int64_t>& a) -> std::optional<int64_t> { return cmp(a[0], a[1]); },
      c.max_elements);
}

template <double (*Fn)(double)>
Result unary_float(const OpCall& c) {
  if (!c.x().is_float()) return std::nullopt;
  return elementwise(
      {&c.x()}, 0, [](const std::vector<double>& a) -> std::optional<double> { return Fn(a[0]); },
      nullptr, c.max_elements);
}

double reciprocal(double a) { return 1.0 / a; }
double sqrt_(double a) { return std::sqrt(a); }
double exp_(double a) { return std::exp(a); }
double log_(double a) { return std::log(a); }
double floor_(double a) { return std::floor(a); }
double ceil_(double a) { return std::ceil(a); }

// Integer Add/Sub/Mul wrap around (two's complement), as ONNX Runtime's do.
template <typename Op>
Result wrapping_arithmetic(const OpCall& c, Op op) {
  return binary(
      c, [op](const std::vector<double>& a) -> std::optional<double> { return op(a[0], a[1]); },
      [op](const std::vector<int64_t>& a) -> std::optional<int64_t> {
        return static_cast<int64_t>(op(static_cast<uint64_t>(a[0]), static_cast<uint64_t>(a[1])));
      });
}

Result op_add(const OpCall& c) {
  return wrapping_arithmetic(c, [](auto a, auto b) { return a + b; });
}
Result op_sub(const OpCall& c) {
  return wrapping_arithmetic(c, [](auto a, auto b) { return a - b; });
}
Result op_mul(const OpCall& c) {
  return wrapping_arithmetic(c, [](auto a, auto b) { return a * b; });
}

Result op_div(const OpCall& c) {
  return binary(
      c, [](const std::vector<double>& a) -> std::optional<double> { return a[0] / a[1]; },
      [](const std::vector<int64_t>& a) -> std::optional<int64_t> {
        // Integer Div truncates toward zero in ORT, like C++.
        if (a[1] == 0 || (a[1] == -1 && a[0] == std::numeric_limits<int64_t>::min()))
          return std::nullopt;
        return a[0] / a[1];
      });
}

Result op_pow(const OpCall& c) {
  const Value* y = c.arg(1);
  if (!y || !c.x().is_float()) return std::nullopt;
  return elementwise(
      {&c.x(), y}, 0,
      [](const std::vector<double>& a) -> std::optional<double> { return std::pow(a[0], a[1]); },
      nullptr, c.max_elements, /*mixed_ok=*/true);
}

template <bool kMax>
Result op_min_max(const OpCall& c) {
  return elementwise(
      c.in, 0,
      [](const std::vector<double>& a) -> std::optional<double> {
        double r = a[0];
        for (double v : a) r = kMax ? std::max(r, v) : std::min(r, v);
        return r;
      },
      [](const std::vector<int64_t>& a) -> std::optional<int64_t> {
        int64_t r = a[0];
        for (int64_t v : a) r = kMax ? std::max(r, v) : std::min(r, v);
        return r;
      },
      c.max_elements);
}

Result op_neg(const OpCall& c) {
  return elementwise(
      {&c.x()}, 0, [](const std::vector<double>& a) -> std::optional<double> { return -a[0]; },
      [](const std::vector<int64_t>& a) -> std::optional<int64_t> { return -a[0]; },
      c.max_elements);
}

Result op_abs(const OpCall& c) {
  return elementwise(
      {&c.x()}, 0,
      [](const std::vector<double>& a) -> std::optional<double> { return std::fabs(a[0]); },
      [](const std::vector<int64_t>& a) -> std::optional<int64_t> {
        return a[0] < 0 ? -a[0] : a[0];
      },
      c.max_elements);
}

Result op_not(const OpCall& c) {
  if (c.x().dtype != TensorProto::BOOL) return std::nullopt;
  return elementwise(
      {&c.x()}, 0, nullptr,
      [](const std::vector<int64_t>& a) -> std::optional<int64_t> { return a[0] == 0; },
      c.max_elements);
}

template <bool kAnd>
Result op_and_or(const OpCall& c) {
  if (c.x().dtype != TensorProto::BOOL) return std::nullopt;
  return elementwise(
      {c.arg(0), c.arg(1)}, 0, nullptr,
      [](const std::vector<int64_t>& a) -> std::optional<int64_t> {
        return kAnd ? (a[0] && a[1]) : (a[0] || a[1]);
      },
      c.max_elements);
}

Result op_where(const OpCall& c) {
  const Value *cond_in = c.arg(0), *a = c.arg(1), *b = c.arg(2);
  if (!a || !b || cond_in->dtype != TensorProto::BOOL || a->dtype != b->dtype) return std::nullopt;
  // Evaluate as one 3-input elementwise op over (cond, a, b), in the dtype of a.
  Value cond = *cond_in;
  cond.dtype = a->dtype;
  if (a->is_float()) {
    cond.f.assign(cond_in->i.begin(), cond_in->i.end());
    cond.i.clear();
  }
  return elementwise(
      {&cond, a, b}, 0,
      [](const std::vector<double>& v) -> std::optional<double> { return v[0] != 0 ? v[1] : v[2]; },
      [](const std::vector<int64_t>& v) -> std::optional<int64_t> {
        return v[0] != 0 ? v[1] : v[2];
      },
      c.max_elements);
}

// --- shape and data movement ------------------------------------------------------------------

Result op_identity(const OpCall& c) { return one(c.x()); }

Result op_cast(const OpCall& c) {
  return eval_cast(c.x(), static_cast<int32_t>(attr_int(c.node, "to", 0)));
}

Result op_shape(const OpCall& c) {
  const Value& x = c.x();
  const int64_t rank = static_cast<int64_t>(x.dims.size());
  int64_t start = attr_int(c.node, "start", 0), end = attr_int(c.node, "end", rank);
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, 0, rank);
  Value r;
  r.dtype = TensorProto::INT64;
  if (end > start) r.i.assign(x.dims.begin() + start, x.dims.begin() + end);
  r.dims = {static_cast<int64_t>(r.i.size())};
  return one(std::move(r));
}

Result op_size(const OpCall& c) {
  Value r;
  r.dtype = TensorProto::INT64;
  r.i = {c.x().size()};
  return one(std::move(r));
}

Result op_gather(const OpCall& c) {
  if (!c.arg(1)) return std::nullopt;
  auto r = eval_gather(c.x(), *c.arg(1), attr_int(c.node, "axis", 0));
  if (r && (*r)[0].size() > c.max_elements) return std::nullopt;
  return r;
}

// Unsqueeze/Squeeze axes: an input since opset 13, an attribute before. Returns false if the
// axes input is present but not constant.
bool squeeze_axes(const OpCall& c, std::optional<Dims>& axes) {
  if (c.opset < 13) {
    axes = attr_ints(c.node, "axes");
    return true;
  }
  if (c.arg(1)) {
    axes = ints_of(c.arg(1));
    return axes.has_value();
  }
  return !(c.node.input_size() > 1 && !c.node.input(1).empty());
}

Result op_unsqueeze(const OpCall& c) {
  std::optional<Dims> axes;
  if (!squeeze_axes(c, axes) || !axes) return std::nullopt;
  return eval_unsqueeze(c.x(), *axes);
}

Result op_squeeze(const OpCall& c) {
  std::optional<Dims> axes;
  if (!squeeze_axes(c, axes)) return std::nullopt;
  return eval_squeeze(c.x(), axes);
}

Result op_concat(const OpCall& c) {
  if (!find_attr(c.node, "axis")) return std::nullopt;
  return eval_concat(c.in, attr_int(c.node, "axis", 0));
}

Result op_reshape(const OpCall& c) {
  std::optional<Dims> shape = c.opset >= 5 ? ints_of(c.arg(1)) : attr_ints(c.node, "shape");
  if (!shape) return std::nullopt;
  return eval_reshape(c.x(), *shape, attr_int(c.node, "allowzero", 0) != 0);
}

Result op_flatten(const OpCall& c) {
  const Value& x = c.x();
  const int64_t rank = static_cast<int64_t>(x.dims.size());
  int64_t axis = attr_int(c.node, "axis", 1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis > rank) return std::nullopt;
  int64_t a = 1, b = 1;
  for (int64_t k = 0; k < rank; ++k) (k < axis ? a : b) *= x.dims[k];
  Value r = x;
  r.dims = {a, b};
  return one(std::move(r));
}

Result op_slice(const OpCall& c) {
  std::optional<Dims> starts, ends, axes, steps;
  if (c.opset >= 10) {
    starts = ints_of(c.arg(1));
    ends = ints_of(c.arg(2));
    const size_t n_in = static_cast<size_t>(c.node.input_size());
    if (n_in > 3 && !c.node.input(3).empty() && !(axes = ints_of(c.arg(3)))) return std::nullopt;
    if (n_in > 4 && !c.node.input(4).empty() && !(steps = ints_of(c.arg(4)))) return std::nullopt;
  } else {
    starts = attr_ints(c.node, "starts");
    ends = attr_ints(c.node, "ends");
    axes = attr_ints(c.node, "axes");
  }
  if (!starts || !ends) return std::nullopt;
  return eval_slice(c.x(), *starts, *ends, axes, steps);
}

Result op_split(const OpCall& c) {
  const Value& x = c.x();
  const int64_t rank = static_cast<int64_t>(x.dims.size());
  int64_t axis = attr_int(c.node, "axis", 0);
  if (!normalize_axis(axis, rank)) return std::nullopt;
  const int64_t len = x.dims[axis];
  const int64_t parts = c.node.output_size();
  std::optional<Dims> split =
      c.opset >= 13 ? (c.arg(1) ? ints_of(c.arg(1)) : std::nullopt) : attr_ints(c.node, "split");
  if (c.opset >= 13 && !c.arg(1) && c.node.input_size() > 1 && !c.node.input(1).empty())
    return std::nullopt;
  if (!split) {
    // Equal parts; since opset 18 the last part may be smaller.
    const int64_t chunk = (len + parts - 1) / std::max<int64_t>(parts, 1);
    split = Dims();
    for (int64_t k = 0, left = len; k < parts; ++k, left -= chunk)
      split->push_back(std::clamp<int64_t>(left, 0, chunk));
  }
  if (static_cast<int64_t>(split->size()) != parts) return std::nullopt;
  if (std::accumulate(split->begin(), split->end(), int64_t{0}) != len) return std::nullopt;
  std::vector<Value> outs;
  int64_t begin = 0;
  for (int64_t size : *split) {
    if (size < 0) return std::nullopt;
    auto r = eval_slice(x, {begin}, {begin + size}, Dims{axis}, std::nullopt);
    if (!r) return std::nullopt;
    outs.push_back(std::move((*r)[0]));
    begin += size;
  }
  return outs;
}

Result op_transpose(const OpCall& c) { return eval_transpose(c.x(), attr_ints(c.node, "perm")); }

// --- generators -------------------------------------------------------------------------------

Result op_range(const OpCall& c) {
  if (!c.arg(1) || !c.arg(2)) return std::nullopt;
  return eval_range(c.x(), *c.arg(1), *c.arg(2), c.max_elements);
}

Result op_constant_of_shape(const OpCall& c) {
  auto shape = ints_of(&c.x());
  if (!shape) return std::nullopt;
  Value fill;
  fill.dtype = TensorProto::FLOAT;
  fill.f = {0.0};
  if (const auto* a = find_attr(c.node, "value")) {
    auto v = value_from_tensor(a->t());
    if (!v || v->size() != 1) return std::nullopt;
    fill = *v;
  }
  fill.dims = {1};
  return eval_expand(fill, *shape, c.max_elements);
}

Result op_expand(const OpCall& c) {
  auto shape = ints_of(c.arg(1));
  if (!shape) return std::nullopt;
  return eval_expand(c.x(), *shape, c.max_elements);
}

Result op_tile(const OpCall& c) {
  auto repeats = ints_of(c.arg(1));
  if (!repeats) return std::nullopt;
  return eval_tile(c.x(), *repeats, c.max_elements);
}

// The ops the evaluator knows (simplify_eval.h lists them), by default-domain op type.
const std::unordered_map<std::string_view, OpFn>& op_table() {
  static const std::unordered_map<std::string_view, OpFn> kOps = {
      {"Identity", op_identity},
      {"Add", op_add},
      {"Sub", op_sub},
      {"Mul", op_mul},
      {"Div", op_div},
      {"Pow", op_pow},
      {"Min", op_min_max<false>},
      {"Max", op_min_max<true>},
      {"Sqrt", unary_float<sqrt_>},
      {"Exp", unary_float<exp_>},
      {"Log", unary_float<log_>},
      {"Floor", unary_float<floor_>},
      {"Ceil", unary_float<ceil_>},
      {"Reciprocal", unary_float<reciprocal>},
      {"Neg", op_neg},
      {"Abs", op_abs},
      {"Not", op_not},
      {"And", op_and_or<true>},
      {"Or", op_and_or<false>},
      {"Equal", [](const OpCall& c) { return compare(c, [](auto a, auto b) { return a == b; }); }},
      {"Less", [](const OpCall& c) { return compare(c, [](auto a, auto b) { return a < b; }); }},
      {"Greater", [](const OpCall& c) { return compare(c, [](auto a, auto b) { return a > b; }); }},
      {"LessOrEqual",
       [](const OpCall& c) { return compare(c, [](auto a, auto b) { return a <= b; }); }},
      {"GreaterOrEqual",
       [](const OpCall& c) { return compare(c, [](auto a, auto b) { return a >= b; }); }},
      {"Where", op_where},
      {"Cast", op_cast},
      {"Shape", op_shape},
      {"Size", op_size},
      {"Gather", op_gather},
      {"Unsqueeze", op_unsqueeze},
      {"Squeeze", op_squeeze},
      {"Concat", op_concat},
      {"Reshape", op_reshape},
      {"Flatten", op_flatten},
      {"Slice", op_slice},
      {"Split", op_split},
      {"Transpose", op_transpose},
      {"Range", op_range},
      {"ConstantOfShape", op_constant_of_shape},
      {"Expand", op_expand},
      {"Tile", op_tile},
  };
  return kOps;
}

}  // namespace

std::optional<std::vector<Value>> evaluate_node(const onnx::NodeProto& node,
                                                const std::vector<const Value*>& in, int opset,
                                                int64_t max_elements) {
  if (!node.domain().empty() && node.domain() != "ai.onnx") return std::nullopt;
  const auto it = op_table().find(node.op_type());
  // Every op in the table needs its first input.
  if (it == op_table().end() || in.empty() || !in[0]) return std::nullopt;
  return it->second(OpCall{node, in, opset, max_elements});
}

}  // namespace yoloxrt::simplify
