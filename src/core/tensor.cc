#include "yoloxrt/tensor.h"

#include <algorithm>

#include "core/strings.h"
#include "yoloxrt/error.h"

namespace yoloxrt {

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string Tensor::shape_string() const { return core::shape_to_string(shape); }

void StateDict::set(const std::string& name, Tensor tensor) {
  auto [it, inserted] = tensors_.insert_or_assign(name, std::move(tensor));
  if (inserted) order_.push_back(name);
}

const Tensor& StateDict::at(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) throw Error(ErrorKind::kNotFound, "no tensor named '" + name + "'");
  return it->second;
}

Tensor& StateDict::at(const std::string& name) {
  return const_cast<Tensor&>(static_cast<const StateDict*>(this)->at(name));
}

void StateDict::erase(const std::string& name) {
  if (tensors_.erase(name)) order_.erase(std::find(order_.begin(), order_.end(), name));
}

uint64_t StateDict::byte_size() const {
  uint64_t total = 0;
  for (const auto& [name, t] : tensors_) total += t.data.size() * sizeof(float);
  return total;
}

}  // namespace yoloxrt
