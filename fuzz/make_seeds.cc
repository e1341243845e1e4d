// yoloxrt_fuzz_seeds OUT_DIR [FIXTURES_DIR]: writes seed corpora for the fuzz targets into
// OUT_DIR/<target>/: small synthetic inputs made here, plus (with FIXTURES_DIR) inputs derived from
// the fixtures: the pickles inside the .pth files, the JSON side files, and the photos scaled down
// (small seeds keep every execution cheap; the fuzzer grows them as it needs).
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/zip_reader.h"
#include "yoloxrt/checkpoint.h"
#include "yoloxrt/file_io.h"

namespace fs = std::filesystem;
using namespace yoloxrt;

namespace {

void put(const fs::path& dir, const std::string& name, std::string_view bytes) {
  fs::create_directories(dir);
  write_file_atomic(dir / name, bytes);
}

std::string as_string(const std::vector<uint8_t>& v) { return {v.begin(), v.end()}; }

StateDict tiny_state() {
  StateDict sd;
  sd.set("backbone.stem.conv.weight", Tensor{{2, 3, 1, 1}, {1, 2, 3, 4, 5, 6}});
  sd.set("backbone.stem.bn.running_var", Tensor{{2}, {0.5f, 1.5f}});
  sd.set("head.scalar", Tensor{{}, {42}});
  return sd;
}

void zip_and_pickle_seeds(const fs::path& out, const fs::path* fixtures) {
  const std::string plain = write_torch_checkpoint(tiny_state(), "tiny");
  const std::string wrapped = write_torch_checkpoint(tiny_state(), "tiny", "model");
  put(out / "zip", "plain.pth", plain);
  put(out / "zip", "wrapped.pth", wrapped);
  core::ZipWriter z64(true);
  z64.add("a/data.pkl", std::string_view("\x80\x02}q\x00.", 6));
  z64.add("a/version", std::string_view("3\n"));
  put(out / "zip", "zip64.zip", z64.finish());
  put(out / "pickle", "plain.pth", plain);
  auto add_pickles = [&](const std::string& archive, const std::string& stem) {
    const core::ZipReader zip(
        std::span(reinterpret_cast<const uint8_t*>(archive.data()), archive.size()));
    for (const auto& e : zip.entries())
      if (e.name.ends_with("data.pkl")) {
        const auto d = zip.data(e);
        put(out / "pickle", stem + ".pkl", std::string(d.begin(), d.end()));
      }
  };
  add_pickles(plain, "plain");
  add_pickles(wrapped, "wrapped");
  if (!fixtures) return;
  for (const char* rel : {"megvii-nano/yolox_nano.pth", "cjm-tiny-hagrid/yolox_tiny.pth"}) {
    const fs::path p = *fixtures / rel;
    if (fs::exists(p)) add_pickles(as_string(read_file_bytes(p)), p.parent_path().filename());
  }
}

void safetensors_seeds(const fs::path& out) {
  auto st = [](const std::string& header, const std::string& data) {
    std::string s(8, '\0');
    for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
    return s + header + data;
  };
  put(out / "safetensors", "f32.safetensors",
      st(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", std::string(8, '\x01')));
  put(out / "safetensors", "mixed.safetensors",
      st(R"({"__metadata__":{"format":"pt"},"h":{"dtype":"F16","shape":[1,2],"data_offsets":[0,4]},)"
         R"("b":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]},)"
         R"("n":{"dtype":"I64","shape":[],"data_offsets":[8,16]}})",
         std::string(16, '\x3c')));
  put(out / "safetensors", "empty.safetensors", st("{}", ""));
}

void json_seeds(const fs::path& out, const fs::path* fixtures) {
  // First byte mod 3: 0 colormap, 1 norm stats, 2 labels file (see json_fuzz.cc).
  put(out / "json", "colormap.json",
      std::string("\0", 1) +
          R"({"items":[{"label":"call","color":[0.1,0.2,0.3]},{"label":"no_gesture","color":[255,0,3]}]})");
  put(out / "json", "norm_stats.json", R"(1{"mean":[0.5,0.5,0.5],"std_dev":[0.2,0.3,0.25]})");
  put(out / "json", "norm_std.json", R"(1{"mean":[0.5,0.5,0.5],"std":[1,1,1]})");
  put(out / "json", "labels.txt", "2cat\ndog \n\nbird\n");
  put(out / "json", "labels_colormap.json", R"(2{"items":[{"label":"a","color":[200,100,0]}]})");
  if (!fixtures) return;
  const fs::path dir = *fixtures / "cjm-tiny-hagrid";
  if (fs::exists(dir / "norm_stats.json"))
    put(out / "json", "fixture_norm_stats.json",
        "1" + as_string(read_file_bytes(dir / "norm_stats.json")));
  if (fs::exists(dir / "hagrid-sample-30k-384p-colormap.json"))
    put(out / "json", "fixture_colormap.json",
        std::string("\0", 1) +
            as_string(read_file_bytes(dir / "hagrid-sample-30k-384p-colormap.json")));
}

void onnx_seeds(const fs::path& out) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.set_producer_name("yoloxrt-fuzz-seed");
  m.add_opset_import()->set_version(17);
  onnx::GraphProto& g = *m.mutable_graph();
  g.set_name("seed");
  auto value = [](onnx::ValueInfoProto* vi, const char* name, std::vector<int64_t> dims) {
    vi->set_name(name);
    auto* t = vi->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) {
      if (d < 0)
        t->mutable_shape()->add_dim()->set_dim_param("h");
      else
        t->mutable_shape()->add_dim()->set_dim_value(d);
    }
  };
  value(g.add_input(), "x", {1, 3, -1, 8});
  value(g.add_output(), "y", {1, 2, -1, 8});
  auto* w = g.add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : {2, 3, 1, 1}) w->add_dims(d);
  for (int i = 0; i < 6; ++i) w->add_float_data(0.5f * i);
  auto* bn_scale = g.add_initializer();
  bn_scale->set_name("s");
  bn_scale->set_data_type(onnx::TensorProto::FLOAT);
  bn_scale->add_dims(2);
  bn_scale->add_float_data(1.f);
  bn_scale->add_float_data(2.f);
  auto node = [&](const char* op, std::vector<const char*> in, const char* o) {
    auto* n = g.add_node();
    n->set_op_type(op);
    for (const char* i : in) n->add_input(i);
    n->add_output(o);
    return n;
  };
  node("Conv", {"x", "w"}, "c");
  node("BatchNormalization", {"c", "s", "s", "s", "s"}, "b");
  node("Identity", {"b"}, "i");
  node("Relu", {"i"}, "y");
  put(out / "onnx", "conv_bn_relu.onnx", m.SerializeAsString());
}

void image_seeds(const fs::path& out, const fs::path* fixtures) {
  cv::Mat bgr(12, 16, CV_8UC3);
  cv::randu(bgr, cv::Scalar::all(0), cv::Scalar::all(255));
  cv::Mat gray, bgra, deep;
  cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
  cv::cvtColor(bgr, bgra, cv::COLOR_BGR2BGRA);
  bgr.convertTo(deep, CV_16UC3, 257);
  auto save = [&](const cv::Mat& m, const std::string& name) {
    std::vector<uint8_t> buf;
    const std::string ext = fs::path(name).extension().string();
    if (cv::haveImageWriter("x" + ext) && cv::imencode(ext, m, buf))
      put(out / "image", name, as_string(buf));
  };
  for (const char* ext : {".jpg", ".png", ".bmp", ".tiff", ".webp", ".ppm"})
    save(bgr, std::string("bgr") + ext);
  save(gray, "gray.png");
  save(gray, "gray.pgm");
  save(bgra, "bgra.png");
  save(deep, "deep.png");
  save(deep, "deep.tiff");
  cv::Mat larger;  // OpenJPEG's default 6 resolution levels need 32 px a side
  cv::resize(bgr, larger, cv::Size(64, 48), 0, 0, cv::INTER_NEAREST);
  save(larger, "bgr.jp2");
  if (!fixtures) return;
  for (const char* rel : {"megvii-nano/dog.jpg", "images/rock-9017563.jpg"}) {
    const fs::path p = *fixtures / rel;
    if (!fs::exists(p)) continue;
    cv::Mat photo = cv::imread(p.string());
    if (photo.empty()) continue;
    cv::resize(photo, photo, cv::Size(48, 48 * photo.rows / photo.cols), 0, 0, cv::INTER_AREA);
    save(photo, p.stem().string() + ".jpg");
    save(photo, p.stem().string() + ".png");
  }
}

}  // namespace

void coco_seeds(const fs::path& out, const fs::path* fixtures) {
  // First byte: even = results file, odd = ground truth (see coco_fuzz.cc).
  put(out / "coco", "results.json",
      std::string("\0", 1) +
          R"([{"image_id": 1, "category_id": 1, "bbox": [0, 0, 20, 20], "score": 0.9},)"
          R"( {"image_id": 2, "category_id": 3, "bbox": [10, 10, 40, 40], "score": 0.5,)"
          R"( "segmentation": [[1, 2]]}, {"image_id": 2, "category_id": 3, "bbox": [5, 5,)"
          R"( 120, 100], "score": 0.5}])");
  put(out / "coco", "instances.json",
      R"(1{"images": [{"id": 7, "file_name": "7.jpg", "width": 9, "height": 9}],)"
      R"( "categories": [{"id": 2, "name": "x"}], "annotations": [{"id": 1, "image_id": 7,)"
      R"( "category_id": 2, "bbox": [1, 1, 30, 40], "area": 1000, "iscrowd": 0},)"
      R"( {"id": 2, "image_id": 7, "category_id": 2, "bbox": [0, 0, 99, 99], "iscrowd": 1,)"
      R"( "segmentation": {"counts": "ab", "size": [9, 9]}}]})");
  if (!fixtures) return;
  const fs::path dir = *fixtures / "coco-val2017";
  if (fs::exists(dir / "instances.json"))
    put(out / "coco", "fixture_instances.json",
        "1" + as_string(read_file_bytes(dir / "instances.json")));
  if (fs::exists(dir / "detections_nano_fp32.json")) {
    // The first ~60 detections (max_len is 64 KiB), closed into a list.
    std::string text = as_string(read_file_bytes(dir / "detections_nano_fp32.json"));
    size_t cut = text.find("},", 8000);
    if (cut != std::string::npos) text = text.substr(0, cut + 1) + "]";
    put(out / "coco", "fixture_results.json", std::string("\0", 1) + text);
  }
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR [FIXTURES_DIR]\n", argv[0]);
    return 2;
  }
  const fs::path out = argv[1];
  const fs::path fixtures = argc > 2 ? fs::path(argv[2]) : fs::path();
  const fs::path* fx = argc > 2 && fs::is_directory(fixtures) ? &fixtures : nullptr;
  zip_and_pickle_seeds(out, fx);
  safetensors_seeds(out);
  json_seeds(out, fx);
  coco_seeds(out, fx);
  onnx_seeds(out);
  image_seeds(out, fx);
  return 0;
}
