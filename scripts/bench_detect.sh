#!/usr/bin/env bash
# Benchmarks of the inference layer and `yoloxrt detect`:
#   1. bench/detect_bench (decode + NMS, pre-processing, time outside ORT Run for nano on dog.jpg);
#   2. peak RSS and wall time of `yoloxrt detect` with YOLOX-Nano on dog.jpg (GNU time -v).
# Usage: scripts/bench_detect.sh [BUILD_DIR]   (default build/release; builds the targets, -j2)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build/release}"
fixtures="${YOLOXRT_FIXTURES:-$root/../shared/fixtures}"
nano="$fixtures/megvii-nano"
[[ -f "$nano/yolox_nano.onnx" ]] || { echo "fixtures not found: $nano" >&2; exit 1; }

if [[ ! -f "$build/build.ninja" && ! -f "$build/Makefile" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" --target detect_bench yoloxrt_cli -j2 >/dev/null

echo "== micro-benchmarks (bench/detect_bench.cc)"
YOLOXRT_FIXTURES="$fixtures" "$build/bench/detect_bench" --benchmark_counters_tabular=true

echo
echo "== yoloxrt detect, YOLOX-Nano, dog.jpg (peak RSS via /usr/bin/time -v)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for threads in 1 2; do
  /usr/bin/time -v "$build/yoloxrt" detect "$nano/yolox_nano.onnx" "$nano/dog.jpg" -o "$tmp/out" \
    --threads "$threads" -q 2>"$tmp/time.txt" >/dev/null
  rss_kb="$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$tmp/time.txt")"
  wall="$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$tmp/time.txt")"
  printf 'threads=%s  peak RSS %.1f MB  wall %s  (target <= 150 MB)\n' "$threads" \
    "$(echo "$rss_kb / 1024" | bc -l)" "$wall"
done
