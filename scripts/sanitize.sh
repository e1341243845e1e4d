#!/usr/bin/env bash
# Sanitizer runs, after the release tests (scripts/test.sh runs this on CI, or when asked with
# YOLOXRT_SANITIZERS=1):
#   asan  AddressSanitizer + UndefinedBehaviorSanitizer (+ LeakSanitizer) over the core, export,
#         track, inference and cli tests (the `asan` test preset; the install test is excluded: it
#         rebuilds an example against the installed tree, which says nothing about memory safety).
#   tsan  ThreadSanitizer over the concurrency tests (the `tsan` test preset: one Detector called
#         from many threads).
# Suppressions: tests/sanitizers/{lsan,tsan}.supp (ONNX Runtime's own frames only).
#   scripts/sanitize.sh            both
#   scripts/sanitize.sh asan|tsan  one
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
presets=("$@")
((${#presets[@]})) || presets=(asan tsan)
jobs="${YOLOXRT_JOBS:-2}"

for preset in "${presets[@]}"; do
  start=$SECONDS
  echo "[sanitize] $preset: configure and build" >&2
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  built=$SECONDS
  echo "[sanitize] $preset: test" >&2
  ctest --preset "$preset"
  echo "[sanitize] $preset: build $((built - start)) s, tests $((SECONDS - built)) s" >&2
done
