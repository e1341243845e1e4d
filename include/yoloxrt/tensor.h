// yoloxrt/tensor.h - float32 tensors and ordered state dicts, as read from checkpoints.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace yoloxrt {

// A dense, C-ordered float32 tensor. Checkpoint readers convert float16/bfloat16/float64 to
// float32.
struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> data;

  // Product of `shape` (1 for a scalar).
  int64_t numel() const;
  // "[a, b, c]"
  std::string shape_string() const;
};

// A state dict: tensors by parameter name, remembering the order in which they were read.
class StateDict {
 public:
  // Adds or replaces `name`. Order is the order of first insertion.
  void set(const std::string& name, Tensor tensor);
  bool contains(const std::string& name) const { return tensors_.count(name) != 0; }
  // REQUIRES: contains(name). Throws Error(kNotFound) naming the key otherwise.
  const Tensor& at(const std::string& name) const;
  Tensor& at(const std::string& name);
  // Removes `name` if present.
  void erase(const std::string& name);
  const std::vector<std::string>& names() const { return order_; }
  size_t size() const { return order_.size(); }
  bool empty() const { return order_.empty(); }
  // Sum of the tensors' byte sizes as float32.
  uint64_t byte_size() const;

 private:
  std::map<std::string, Tensor> tensors_;
  std::vector<std::string> order_;
};

}  // namespace yoloxrt
