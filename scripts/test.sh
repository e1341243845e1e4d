#!/usr/bin/env bash
# The test command: installs what is missing, builds (Release preset) and runs every test with CTest.
# Tests that need ../shared/fixtures (or $YOLOXRT_FIXTURES) report themselves skipped without them.
#   scripts/test.sh                 all tests
#   scripts/test.sh -L export       only one label (core, export, inference, cli)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release
ctest --preset release "$@"
