#!/usr/bin/env bash
# Cost of NMS in the graph (issue 12): YOLOX-Nano end-to-end Run vs plain Run + native
# post-processing (bench/e2e_bench.cc), target ratio <= 1.05. Prints the CPU flags first.
# Usage: scripts/bench_e2e.sh [ITERATIONS]   (BUILD=build dir, default build/release; -j2)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD:-$root/build/release}"
export YOLOXRT_FIXTURES="${YOLOXRT_FIXTURES:-$root/../shared/fixtures}"
cmake --build "$build" --target e2e_bench -j2 >/dev/null
echo "== CPU: $(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2}')"
lscpu | grep -i '^flags' | sed 's/^Flags: */flags: /'
echo
"$build/bench/e2e_bench" "${1:-100}"
