// yoloxrt triton-repo: a Triton Inference Server model repository entry for an ONNX model.
#include <cstdio>
#include <filesystem>
#include <memory>

#include "cli/commands.h"
#include "yoloxrt/error.h"
#include "yoloxrt/triton.h"

namespace yoloxrt::cli {

void register_triton_repo(CLI::App& app, int& /*exit_code*/) {
  struct Args {
    std::string model, repo;
    TritonOptions o;
    bool quiet = false;
  };
  auto a = std::make_shared<Args>();
  CLI::App* c = app.add_subcommand(
      "triton-repo",
      "Write a Triton model repository entry: REPO/NAME/config.pbtxt and REPO/NAME/1/model.onnx");
  c->add_option("MODEL", a->model, "the ONNX model (plain or end-to-end export)")->required();
  c->add_option("-o,--output", a->repo, "the model repository folder (created if missing)")
      ->required();
  c->add_option("--name", a->o.name, "model name (default: the model file's stem)");
  c->add_option("--max-batch", a->o.max_batch,
                "max_batch_size; 0 = no batching (for static-batch models)")
      ->capture_default_str();
  c->add_option("--instances", a->o.instances, "instances (instance_group count)")
      ->capture_default_str();
  c->add_flag("--gpu", a->o.gpu, "KIND_GPU instances (default KIND_CPU)");
  c->add_option("--preferred-batch", a->o.preferred_batch,
                "dynamic_batching preferred batch sizes, e.g. 4,8")
      ->delimiter(',');
  c->add_option("--max-queue-delay-us", a->o.max_queue_delay_us,
                "dynamic_batching max_queue_delay_microseconds")
      ->capture_default_str();
  c->add_flag("--replace", a->o.replace, "replace an existing REPO/NAME entry");
  c->add_flag("-q,--quiet", a->quiet, "print nothing but errors");
  c->callback([a] {
    std::filesystem::path entry;
    try {
      entry = write_triton_repository(a->model, a->repo, a->o);
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::kInvalidArgument &&
          e.message().find("already exists") != std::string::npos)
        throw Error(e.kind(), e.message() + " (--replace replaces it)", e.file());
      throw;
    }
    if (!a->quiet)
      std::printf("wrote %s/config.pbtxt and %s/1/model.onnx\n", entry.c_str(), entry.c_str());
  });
}

}  // namespace yoloxrt::cli
