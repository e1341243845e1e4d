#!/usr/bin/env bash
# The test command: installs what is missing, builds (Release preset) and runs every test with CTest.
# Tests that need ../shared/fixtures (or $YOLOXRT_FIXTURES) report themselves skipped without them.
#   scripts/test.sh                 all tests
#   scripts/test.sh -L export       only one label (core, export, inference, track, cli)
# Then, on CI (CI=true) or with YOLOXRT_SANITIZERS=1, the sanitizer runs (scripts/sanitize.sh:
# ASan+UBSan over the tests, TSan over the concurrency tests); YOLOXRT_SANITIZERS=0 skips them.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
start=$SECONDS
cmake --preset release >/dev/null
cmake --build --preset release
ctest --preset release "$@"
echo "[test] release: $((SECONDS - start)) s" >&2
case "${YOLOXRT_SANITIZERS:-${CI:-0}}" in
  1 | true | yes) bash scripts/sanitize.sh ;;
esac
