#include "cli/commands.h"

namespace yoloxrt::cli {

void register_info(CLI::App& app, int& /*exit_code*/) {
  app.add_subcommand("info", "(not yet available)");
}

}  // namespace yoloxrt::cli
