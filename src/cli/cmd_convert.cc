#include "cli/commands.h"

namespace yoloxrt::cli {

void register_convert(CLI::App& app, int& /*exit_code*/) {
  app.add_subcommand("convert", "(not yet available)");
}

}  // namespace yoloxrt::cli
