#include "cli/commands.h"

namespace yoloxrt::cli {

void register_simplify(CLI::App& app, int& /*exit_code*/) {
  app.add_subcommand("simplify", "(not yet available)");
}

}  // namespace yoloxrt::cli
