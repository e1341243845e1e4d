#include "export/onnx_writer.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "export/onnx_check.h"
#include "yoloxrt/error.h"
#include "yoloxrt/file_io.h"

namespace yoloxrt::exporter {

void finalize_model(onnx::ModelProto& model, const ModelMetadata& metadata) {
  model.set_producer_name("yoloxrt");
  model.set_producer_version(version_string());
  model.set_doc_string("YOLOX " + metadata.model_type + " exported by yoloxrt");
  model.clear_metadata_props();
  for (const auto& [k, v] : metadata.to_props()) {
    auto* p = model.add_metadata_props();
    p->set_key(k);
    p->set_value(v);
  }
  try {
    check_model_full(model);
  } catch (const Error& e) {
    throw Error(e.kind(),
                "the exported graph fails the ONNX check (a yoloxrt bug): " + e.message());
  }
}

void write_model_file(const onnx::ModelProto& model, const std::filesystem::path& path) {
  AtomicFile file(path);
  {
    std::ofstream out(file.temp_path(), std::ios::binary | std::ios::trunc);
    if (!out || !model.SerializeToOstream(&out) || !out.flush())
      throw Error(ErrorKind::kIo, std::string("cannot write the model: ") + std::strerror(errno),
                  path.string());
  }
  file.commit();
}

}  // namespace yoloxrt::exporter
