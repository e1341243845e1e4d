// export/graph_ops.h - the graph-building primitives shared by the network builder
// (graph_builder.cc) and the NMS tail (nms_tail.cc). Private to the export layer.
#pragma once

#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <set>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

namespace yoloxrt::exporter {

// Appends nodes and initializers to one GraphProto. Constants are created once per name (also
// across GraphOps objects on the same graph: the graph's initializers count as created).
class GraphOps {
 public:
  explicit GraphOps(onnx::GraphProto* g) : g_(g) {
    for (const auto& t : g->initializer()) consts_.insert(t.name());
  }

  onnx::NodeProto* node(const std::string& op, std::initializer_list<std::string> inputs,
                        const std::string& output) {
    onnx::NodeProto* n = g_->add_node();
    n->set_op_type(op);
    n->set_name(output + "/" + op);
    for (const auto& i : inputs) n->add_input(i);
    n->add_output(output);
    return n;
  }
  std::string op(const std::string& op, std::initializer_list<std::string> inputs,
                 const std::string& output) {
    node(op, inputs, output);
    return output;
  }
  static void attr(onnx::NodeProto* n, const std::string& name, int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void attr(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
  }
  static void attr(onnx::NodeProto* n, const std::string& name, const std::string& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v);
  }

  void initializer(const std::string& name, const std::vector<int64_t>& shape,
                   const std::vector<float>& data) {
    onnx::TensorProto* t = g_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : shape) t->add_dims(d);
    // raw_data is little-endian float32, which is this machine's layout.
    t->mutable_raw_data()->assign(reinterpret_cast<const char*>(data.data()), data.size() * 4);
  }
  // A named constant, created once.
  std::string constant_f(const std::string& name, const std::vector<int64_t>& shape,
                         const std::vector<float>& data) {
    if (consts_.insert(name).second) initializer(name, shape, data);
    return name;
  }
  std::string constant_i64(const std::string& name, const std::vector<int64_t>& shape,
                           const std::vector<int64_t>& data) {
    if (!consts_.insert(name).second) return name;
    onnx::TensorProto* t = g_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    for (int64_t d : shape) t->add_dims(d);
    t->set_raw_data(std::string(reinterpret_cast<const char*>(data.data()), data.size() * 8));
    return name;
  }
  std::string scalar_f(float v) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "const/f%.9g", v);
    return constant_f(buf, {}, {v});
  }
  std::string scalar_i64(int64_t v) { return constant_i64("const/i" + std::to_string(v), {}, {v}); }
  std::string ints(const std::string& tag, const std::vector<int64_t>& v) {
    return constant_i64("const/" + tag, {static_cast<int64_t>(v.size())}, v);
  }

  std::string concat(const std::vector<std::string>& xs, const std::string& name, int64_t axis) {
    onnx::NodeProto* n = g_->add_node();
    n->set_op_type("Concat");
    n->set_name(name + "/Concat");
    for (const auto& x : xs) n->add_input(x);
    n->add_output(name);
    attr(n, "axis", axis);
    return name;
  }
  // x[begin:end] along `axis` (Slice with constant starts, ends and axes).
  std::string slice(const std::string& x, int64_t begin, int64_t end, int64_t axis,
                    const std::string& name) {
    const std::string s = ints("start" + std::to_string(begin), {begin});
    const std::string e = ints("end" + std::to_string(end), {end});
    const std::string a = ints("axis" + std::to_string(axis), {axis});
    onnx::NodeProto* n = g_->add_node();
    n->set_op_type("Slice");
    n->set_name(name + "/Slice");
    for (const auto& i : {x, s, e, a}) n->add_input(i);
    n->add_output(name);
    return name;
  }

  onnx::GraphProto* graph() { return g_; }

 protected:
  onnx::GraphProto* g_;

 private:
  std::set<std::string> consts_;
};

// Names `v` and gives it a tensor type: `elem_type` (onnx::TensorProto::DataType) and dims that are
// numbers ("3") or symbolic names ("batch").
inline void set_tensor_value_info(onnx::ValueInfoProto* v, const std::string& name, int elem_type,
                                  const std::vector<std::string>& dims) {
  v->set_name(name);
  auto* tt = v->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(elem_type);
  auto* shape = tt->mutable_shape();
  for (const auto& d : dims) {
    auto* dim = shape->add_dim();
    if (!d.empty() && d[0] >= '0' && d[0] <= '9')
      dim->set_dim_value(std::stoll(d));
    else
      dim->set_dim_param(d);
  }
}

}  // namespace yoloxrt::exporter
