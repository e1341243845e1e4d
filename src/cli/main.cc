// yoloxrt: export, simplify, inspect and run YOLOX models.
#include <cstdio>
#include <exception>

#include "cli/commands.h"
#include "yoloxrt/error.h"
#include "yoloxrt/model_metadata.h"

int main(int argc, char** argv) {
  CLI::App app{"yoloxrt - YOLOX from PyTorch checkpoints to fast ONNX Runtime inference"};
  app.set_version_flag("--version", std::string("yoloxrt ") + yoloxrt::version_string());
  app.require_subcommand(1);
  int exit_code = 0;
  yoloxrt::cli::register_export(app, exit_code);
  yoloxrt::cli::register_info(app, exit_code);
  yoloxrt::cli::register_detect(app, exit_code);
  yoloxrt::cli::register_simplify(app, exit_code);
  yoloxrt::cli::register_convert(app, exit_code);
  yoloxrt::cli::register_serve(app, exit_code);
  yoloxrt::cli::register_track(app, exit_code);
  yoloxrt::cli::register_eval(app, exit_code);
  yoloxrt::cli::register_triton_repo(app, exit_code);
  yoloxrt::cli::register_quantize(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const yoloxrt::Error& e) {
    std::fprintf(stderr, "yoloxrt: error: %s\n", e.what());
    return yoloxrt::exit_code_for(e.kind());
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "yoloxrt: error: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "yoloxrt: error: %s\n", e.what());
    return 1;
  }
  return exit_code;
}
