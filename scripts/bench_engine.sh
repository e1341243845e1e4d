#!/usr/bin/env bash
# `yoloxrt eval` and `yoloxrt track` on the detection pipeline (include/yoloxrt/pipeline.h):
#   1. eval: YOLOX-Nano (exported by yoloxrt from the official weights) on the 64 COCO photos of
#      the fixture coco-val2017, results saved (--save-detections);
#   2. track: YOLOX-Nano on the fixture's MOT17-01 video (226 frames, 420x240), annotated video,
#      MOT and JSON written; frames/s = 226 / wall.
# Each command runs under /usr/bin/time -f '%e s %M KB', RUNS times per binary, binaries
# interleaved; the median wall and its peak RSS are printed, with the default threads and with
# --threads 1. Pass several binaries (e.g. one built before a change) to compare them.
# On a shared machine, BENCH_PRIORITY=1 runs each command in its own scheduler autogroup at
# nice -20 (needs root), as scripts/bench_pipeline.sh does.
# Usage: scripts/bench_engine.sh [RUNS] [YOLOXRT_BINARY...]
#   (default 3 runs, build/release/yoloxrt, built with -j2 if needed)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
runs="${1:-3}"
shift || true
bins=("$@")
fixtures="${YOLOXRT_FIXTURES:-$root/../shared/fixtures}"
coco="$fixtures/coco-val2017"
video="$fixtures/bytetrack-mot17-01/mot17-01-sdp.mp4"
[[ -d "$coco/images" && -f "$video" ]] || { echo "fixtures not found under $fixtures" >&2; exit 1; }
if [[ ${#bins[@]} -eq 0 ]]; then
  build="$root/build/release"
  if [[ ! -f "$build/build.ninja" ]]; then
    cmake --preset release -S "$root" >/dev/null
  fi
  cmake --build "$build" --target yoloxrt_cli -j2 >/dev/null
  bins=("$build/yoloxrt")
fi

echo "== CPU"
lscpu | grep -E '^(Model name|CPU\(s\)|Flags)' | sed 's/^Flags:\s*/Flags: /'
echo "(load average: $(cut -d' ' -f1-3 /proc/loadavg))"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"${bins[0]}" export "$fixtures/megvii-nano/yolox_nano.pth" -o "$tmp/nano.onnx" >/dev/null

# run NAME BIN ARGS...: appends "wall rss_kb" of one run to $tmp/NAME.
run() {
  local name="$1" prefix=()
  shift
  [[ "${BENCH_PRIORITY:-0}" == 1 ]] &&
    prefix=(setsid -w bash -c 'echo -20 >/proc/self/autogroup 2>/dev/null; exec nice -n -20 "$@"' _)
  "${prefix[@]}" /usr/bin/time -f '%e s %M KB' -o "$tmp/time.txt" "$@" >/dev/null 2>"$tmp/err.txt" ||
    { cat "$tmp/err.txt" >&2; exit 1; }
  awk '{print $1, $3}' "$tmp/time.txt" >>"$tmp/$name"
}
median() { sort -n -k1 "$1" | awk '{w[NR] = $1; m[NR] = $2} END {k = int((NR + 1) / 2); print w[k], m[k]}'; }

for threads in "" "--threads 1"; do
  for ((r = 0; r < runs; r++)); do
    for ((b = 0; b < ${#bins[@]}; b++)); do
      bin="${bins[$b]}"
      # shellcheck disable=SC2086
      run "eval$b" "$bin" eval "$tmp/nano.onnx" "$coco/images" --annotations \
        "$coco/instances.json" --save-detections "$tmp/dets$b.json" -q $threads
      # shellcheck disable=SC2086
      run "track$b" "$bin" track "$tmp/nano.onnx" "$video" -o "$tmp/out$b" --mot "$tmp/t$b.txt" \
        --json "$tmp/t$b.json" -q $threads
    done
  done
  echo
  echo "== ${threads:-default threads}, median of $runs"
  for ((b = 0; b < ${#bins[@]}; b++)); do
    read -r ew em <<<"$(median "$tmp/eval$b")"
    read -r tw tm <<<"$(median "$tmp/track$b")"
    printf '%s\n  eval  (64 photos): %5.2f s  %6.1f MB  %5.1f images/s\n' "${bins[$b]}" "$ew" \
      "$(echo "$em / 1024" | bc -l)" "$(echo "64 / $ew" | bc -l)"
    printf '  track (226 frames): %5.2f s  %6.1f MB  %5.1f frames/s\n' "$tw" \
      "$(echo "$tm / 1024" | bc -l)" "$(echo "226 / $tw" | bc -l)"
    rm -f "$tmp/eval$b" "$tmp/track$b"
  done
  # Results must not depend on the binary (same model, same settings).
  for ((b = 1; b < ${#bins[@]}; b++)); do
    cmp -s "$tmp/dets0.json" "$tmp/dets$b.json" && cmp -s "$tmp/t0.txt" "$tmp/t$b.txt" &&
      cmp -s "$tmp/t0.json" "$tmp/t$b.json" && echo "  ${bins[$b]}: same detections and tracks" ||
      echo "  ${bins[$b]}: DIFFERENT detections or tracks from ${bins[0]}"
  done
done
