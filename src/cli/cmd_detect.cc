#include "cli/commands.h"

namespace yoloxrt::cli {

void register_detect(CLI::App& app, int& /*exit_code*/) {
  app.add_subcommand("detect", "(not yet available)");
}

}  // namespace yoloxrt::cli
