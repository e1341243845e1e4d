#!/usr/bin/env bash
# The main job: set up, build, export the official YOLOX-Nano checkpoint to ONNX and run `detect` on
# sample photos into out/ (annotated images + detections.json).
#
# Weights and photos come from $YOLOXRT_DATA if set, else ../shared/fixtures when it exists, else
# they are downloaded from Megvii's YOLOX release page (and checked by parsing them).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="${YOLOXRT_OUT:-$root/out}"

bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target yoloxrt_cli
bin="$root/build/release/yoloxrt"

weights="" ; photos=()
if [[ -n "${YOLOXRT_DATA:-}" ]]; then
  data="$YOLOXRT_DATA"
elif [[ -d "$root/../shared/fixtures" ]]; then
  data="$root/../shared/fixtures"
else
  data=""
fi

if [[ -n "$data" ]]; then
  weights="$(find "$data" -name 'yolox_nano.pth' | head -n 1)"
  mapfile -t photos < <(find "$data" -type f \( -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.png' \) | sort)
  [[ -n "$weights" ]] || { echo "run.sh: no yolox_nano.pth under $data" >&2; exit 3; }
  ((${#photos[@]})) || { echo "run.sh: no photos under $data" >&2; exit 3; }
else
  dl="$root/.cache/data"
  mkdir -p "$dl"
  release="https://github.com/Megvii-BaseDetection/YOLOX/releases/download/0.1.1rc0"
  assets="https://raw.githubusercontent.com/Megvii-BaseDetection/YOLOX/main/assets"
  fetch() {  # url dest: download to a temp file, rename only when complete
    [[ -s "$2" ]] && return 0
    echo "run.sh: downloading $1" >&2
    curl -fL --retry 3 -o "$2.part" "$1" || { rm -f "$2.part"; echo "run.sh: download failed: $1 (no network? set YOLOXRT_DATA to a folder with yolox_nano.pth and photos)" >&2; exit 8; }
    mv "$2.part" "$2"
  }
  fetch "$release/yolox_nano.pth" "$dl/yolox_nano.pth"
  fetch "$assets/dog.jpg" "$dl/dog.jpg"
  weights="$dl/yolox_nano.pth"
  photos=("$dl/dog.jpg")
  # Verify by parsing: a broken or HTML download fails here with a clear error.
  "$bin" info "$weights" >/dev/null
fi

mkdir -p "$out"
"$bin" export "$weights" -o "$out/yolox_nano.onnx"
"$bin" detect "$out/yolox_nano.onnx" "${photos[@]}" -o "$out" --json "$out/detections.json" --conf 0.3
echo "run.sh: annotated images and detections.json are in $out" >&2
