#!/usr/bin/env bash
# Export benchmark: wall time and peak RSS of `yoloxrt export` on a random-weight yolox_s folder.
# Targets (issue 2): <= 0.5 s and <= 3 x checkpoint size + 50 MB. Prints median of N runs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD:-$root/build/release}"
runs="${RUNS:-5}"
type="${1:-yolox_s}"
cmake --build "$build" --target yoloxrt_cli make_checkpoint >/dev/null
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
"$build/bench/make_checkpoint" "$tmp/ckpt" "$type"
size=$(stat -c %s "$tmp/ckpt/$type.pth")
walls=(); rss=()
for ((i = 0; i < runs; i++)); do
  /usr/bin/time -f "%e %M" -o "$tmp/t" "$build/yoloxrt" export "$tmp/ckpt" -o "$tmp/out.onnx" -q
  read -r w m <"$tmp/t"; walls+=("$w"); rss+=("$m")
done
med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
wall=$(med "${walls[@]}"); peak_kb=$(med "${rss[@]}")
budget_mb=$(awk -v s="$size" 'BEGIN {printf "%.1f", 3*s/1e6 + 50}')
printf 'export %s: checkpoint %.1f MB, median wall %.3f s (target 0.5 s), median peak RSS %.1f MB (target %s MB), %d runs\n' \
  "$type" "$(awk -v s="$size" 'BEGIN{print s/1e6}')" "$wall" "$(awk -v k="$peak_kb" 'BEGIN{print k/1024}')" "$budget_mb" "$runs"
