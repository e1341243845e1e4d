#!/usr/bin/env bash
# Benchmarks of the tracker and `yoloxrt track`:
#   1. bench/track_bench: Tracker::update with 10, 30 and 100 detections per frame (target: <= 50 us
#      with 30);
#   2. `yoloxrt track` vs `yoloxrt detect` on the fixture's MOT17-01 video, same model and flags
#      (YOLOX-Nano, 1 thread, conf 0.1), with and without the annotated video: median of N runs
#      each, alternating (target: track within 5 % of detect). Under load, compare the CPU times.
# Usage: scripts/bench_track.sh [BUILD_DIR] [RUNS]   (default build/release, 5; builds, -j2)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build/release}"
runs="${2:-5}"
fixtures="${YOLOXRT_FIXTURES:-$root/../shared/fixtures}"
model="$fixtures/megvii-nano/yolox_nano.onnx"
video="$fixtures/bytetrack-mot17-01/mot17-01-sdp.mp4"
[[ -f "$model" && -f "$video" ]] || { echo "fixtures not found under $fixtures" >&2; exit 1; }

if [[ ! -f "$build/build.ninja" && ! -f "$build/Makefile" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" --target track_bench yoloxrt_cli -j2 >/dev/null

echo "== CPU"
lscpu | grep -E '^(Model name|CPU\(s\)|Flags)' | sed 's/^Flags:\s*/Flags: /'
echo
echo "== Tracker::update (bench/track_bench.cc)"
"$build/bench/track_bench" --benchmark_counters_tabular=true

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
time_run() {  # prints wall seconds and CPU (user + sys) seconds of one run
  /usr/bin/time -f '%e %U %S' -o "$tmp/time.txt" "$@" >/dev/null
  awk '{printf "%s %.2f\n", $1, $2 + $3}' "$tmp/time.txt"
}
median() { sort -n -k"$2" "$1" | awk -v k="$2" '{v[NR] = $k} END {print v[int((NR + 1) / 2)]}'; }
# Both draw (annotated video), then neither draws: the second isolates the tracking itself.
for draw in "" "--no-draw"; do
  common=(--threads 1 --conf 0.1 -q $draw)
  echo
  echo "== yoloxrt track vs detect, YOLOX-Nano, $(basename "$video"), ${common[*]}, median of $runs"
  : >"$tmp/detect" && : >"$tmp/track"
  for ((i = 0; i < runs; i++)); do
    time_run "$build/yoloxrt" detect "$model" "$video" -o "$tmp/d" "${common[@]}" >>"$tmp/detect"
    time_run "$build/yoloxrt" track "$model" "$video" -o "$tmp/t" --mot "$tmp/t.txt" \
      --json "$tmp/t.json" "${common[@]}" >>"$tmp/track"
  done
  dw="$(median "$tmp/detect" 1)"; dc="$(median "$tmp/detect" 2)"
  tw="$(median "$tmp/track" 1)"; tc="$(median "$tmp/track" 2)"
  printf 'detect: wall %.2f s  cpu %.2f s\n' "$dw" "$dc"
  printf 'track:  wall %.2f s  cpu %.2f s  (MOT + JSON too)\n' "$tw" "$tc"
  printf 'track / detect: wall %+.1f %%  cpu %+.1f %%  (target within 5 %%)\n' \
    "$(echo "($tw / $dw - 1) * 100" | bc -l)" "$(echo "($tc / $dc - 1) * 100" | bc -l)"
done
