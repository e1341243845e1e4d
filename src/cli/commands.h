// The CLI's commands. Each lives in its own cmd_<name>.cc and registers a CLI11 subcommand whose
// callback does the work; main() maps yoloxrt::Error kinds to exit codes (README "Exit codes").
#pragma once

#include <CLI/CLI.hpp>

namespace yoloxrt::cli {

// Each register_* adds a subcommand to `app`. The subcommand's callback throws yoloxrt::Error on
// failure and may set `exit_code` to a non-zero value for partial failures (e.g. some images
// unreadable).
void register_export(CLI::App& app, int& exit_code);
void register_info(CLI::App& app, int& exit_code);
void register_detect(CLI::App& app, int& exit_code);
void register_simplify(CLI::App& app, int& exit_code);
void register_convert(CLI::App& app, int& exit_code);
void register_track(CLI::App& app, int& exit_code);
void register_eval(CLI::App& app, int& exit_code);
void register_triton_repo(CLI::App& app, int& exit_code);

// Exit code for "completed, but some inputs failed" (detect).
constexpr int kExitPartialFailure = 10;

}  // namespace yoloxrt::cli
