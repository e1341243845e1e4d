#!/usr/bin/env bash
# Accuracy of the mixed-precision rules on official YOLOX-Nano@416 (issue 10): COCO AP via
# `yoloxrt eval` of INT8 models quantized with each rule, calibrated on all 64 shared photos or on
# one half, and evaluated on all 64 or on the other half only (no shared photos). Prints one row per
# rule. The half annotations are written by /usr/bin/python3 into a temporary folder.
#   scripts/bench_quantize_rules.sh ["RULE FLAGS" ...]   (YOLOXRT_FIXTURES for weights and photos)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD:-$root/build/release}"
fixtures="${YOLOXRT_FIXTURES:-$root/../shared/fixtures}"
coco="$fixtures/coco-val2017"
[[ -f "$fixtures/megvii-nano/yolox_nano.pth" ]] || { echo "nano weights not found (YOLOXRT_FIXTURES)"; exit 1; }
cmake --build "$build" --target yoloxrt_cli >/dev/null
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
y="$build/yoloxrt"
# Halves: the first and last 32 photos in name order, each a folder of links + its annotations.
/usr/bin/python3 - "$coco" "$tmp" <<'PY'
import json, os, sys
coco, tmp = sys.argv[1], sys.argv[2]
gt = json.load(open(os.path.join(coco, "instances.json")))
files = sorted(os.listdir(os.path.join(coco, "images")))
for name, part in (("first", files[:32]), ("last", files[32:])):
    os.makedirs(os.path.join(tmp, name))
    for f in part:
        os.symlink(os.path.join(coco, "images", f), os.path.join(tmp, name, f))
    keep = set(part)
    images = [i for i in gt["images"] if i["file_name"] in keep]
    ids = {i["id"] for i in images}
    sub = dict(gt, images=images, annotations=[a for a in gt["annotations"] if a["image_id"] in ids])
    json.dump(sub, open(os.path.join(tmp, name + ".json"), "w"))
PY
ap() {  # ap MODEL IMAGES ANNOTATIONS -> AP with 3 decimals
  "$y" eval "$1" "$2" --annotations "$3" --json "$tmp/m.json" -q >/dev/null
  /usr/bin/python3 -c "import json; print('%.3f' % json.load(open('$tmp/m.json'))['metrics']['AP'])"
}
"$y" export "$fixtures/megvii-nano/yolox_nano.pth" -o "$tmp/nano.onnx" -q 2>/dev/null
all="$coco/images"; ann="$coco/instances.json"
echo "rule | 64 -> 64 | first 32 -> 64 | first 32 -> last 32 | last 32 -> first 32"
fp32="$(ap "$tmp/nano.onnx" "$all" "$ann")"
echo "FP32 | $fp32 | $fp32 | $(ap "$tmp/nano.onnx" "$tmp/last" "$tmp/last.json") | $(ap "$tmp/nano.onnx" "$tmp/first" "$tmp/first.json")"
rules=("$@")
[[ ${#rules[@]} -gt 0 ]] || rules=("" "--float-below-db 0" "--float-below-db 20" "--float-below-db 25" \
  "--float-leading 9 --float-below-db 0")
for rule in "${rules[@]}"; do
  q() { "$y" quantize "$tmp/nano.onnx" --calib "$1" -o "$2" -q $rule; }
  q "$all" "$tmp/a.onnx"; q "$tmp/first" "$tmp/f.onnx"; q "$tmp/last" "$tmp/l.onnx"
  echo "${rule:-defaults} | $(ap "$tmp/a.onnx" "$all" "$ann") | $(ap "$tmp/f.onnx" "$all" "$ann") |" \
    "$(ap "$tmp/f.onnx" "$tmp/last" "$tmp/last.json") | $(ap "$tmp/l.onnx" "$tmp/first" "$tmp/first.json")"
done
