#!/usr/bin/env bash
# Benchmarks of `yoloxrt eval` (COCOeval bbox metrics):
#   1. bench/coco_eval_bench: read + evaluate the shared 64-image fixture (target <= 50 ms);
#   2. a synthetic COCO-val-sized set (5,000 images, 35,000 GT boxes, 500,000 detections, written
#      by bench/coco_eval_synth from a fixed seed): wall time and peak RSS of
#      `yoloxrt eval --detections` under /usr/bin/time -v (targets <= 5 s, <= 1 GB; pycocotools
#      took 104 s and 2.5 GB on such a set here).
# Usage: scripts/bench_eval.sh [BUILD_DIR]   (default build/release; builds the targets, -j2)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build/release}"
fixtures="${YOLOXRT_FIXTURES:-$root/../shared/fixtures}"

if [[ ! -f "$build/build.ninja" && ! -f "$build/Makefile" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
targets=(yoloxrt_cli coco_eval_synth)
if grep -q coco_eval_bench "$build/build.ninja" 2>/dev/null; then targets+=(coco_eval_bench); fi
cmake --build "$build" --target "${targets[@]}" -j2 >/dev/null

echo "== CPU"
lscpu | grep -E 'Model name|^CPU\(s\)|Flags' | sed 's/^Flags:\s*/Flags: /'
echo "(load average: $(cut -d' ' -f1-3 /proc/loadavg))"

if [[ -x "$build/bench/coco_eval_bench" && -d "$fixtures/coco-val2017" ]]; then
  echo
  echo "== 64-image fixture (bench/coco_eval_bench.cc; target <= 50 ms read + evaluate)"
  YOLOXRT_FIXTURES="$fixtures" "$build/bench/coco_eval_bench"
fi

echo
echo "== synthetic COCO-val-sized set: yoloxrt eval --detections (GNU time -v)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$build/bench/coco_eval_synth" "$tmp"
ls -l "$tmp"/*.json | awk '{printf "  %s %.1f MB\n", $NF, $5 / 1e6}'
for run in 1 2 3; do
  /usr/bin/time -v "$build/yoloxrt" eval --detections "$tmp/results.json" \
    --annotations "$tmp/instances.json" -q --json "$tmp/metrics.json" \
    >"$tmp/out.txt" 2>"$tmp/time.txt"
  rss_kb="$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$tmp/time.txt")"
  wall="$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$tmp/time.txt")"
  user="$(awk -F': ' '/User time/ {print $2}' "$tmp/time.txt")"
  sys="$(awk -F': ' '/System time/ {print $2}' "$tmp/time.txt")"
  printf 'run %s: wall %s  user %ss  sys %ss  peak RSS %.1f MB  (targets <= 5 s, <= 1024 MB)\n' \
    "$run" "$wall" "$user" "$sys" "$(echo "$rss_kb / 1024" | bc -l)"
done
head -1 "$tmp/out.txt"
echo
echo "== in-process phases (coco_eval_synth --time)"
"$build/bench/coco_eval_synth" "$tmp/again" --time | sed -n 2p
