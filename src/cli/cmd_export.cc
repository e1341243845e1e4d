#include "cli/commands.h"

namespace yoloxrt::cli {

void register_export(CLI::App& app, int& /*exit_code*/) {
  app.add_subcommand("export", "(not yet available)");
}

}  // namespace yoloxrt::cli
