#!/usr/bin/env bash
# INT8 benchmark: ONNX Runtime median Run time (1 intra-op thread) of FP32 exports vs their INT8
# (yoloxrt quantize), for random-weight yolox_s@640 and yolox_tiny@416 and official YOLOX-Nano@416,
# run interleaved in one harness (bench/quantize_speed.cc). Targets (issue 10): >= 2.0x for s and
# tiny, >= 1.3x for nano. Prints the CPU flags the numbers belong to.
#   scripts/bench_quantize.sh [RUNS]        (YOLOXRT_FIXTURES for the nano weights and photos)
#   OP_TABLE=1 scripts/bench_quantize.sh    also ORT's per-op-type profile of the nano models
#                                           (a second, profiled run; quantize_speed --op-table)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD:-$root/build/release}"
runs="${1:-30}"
fixtures="${YOLOXRT_FIXTURES:-$root/../shared/fixtures}"
calib="$fixtures/coco-val2017/images"
cmake --build "$build" --target yoloxrt_cli make_checkpoint quantize_speed >/dev/null
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p')"
echo "flags: $(lscpu | sed -n 's/^Flags: *//p' | tr ' ' '\n' | grep -E '^(avx|avx2|fma|avx512f|avx512bw|avx512_vnni|avx_vnni|amx)' | tr '\n' ' ')"
q() { "$build/yoloxrt" quantize "$1" --calib "$calib" -o "$2" --calib-count "${3:-8}" -q "${@:4}"; }
for spec in yolox_s:640 yolox_tiny:416; do
  type=${spec%%:*}; size=${spec##*:}
  "$build/bench/make_checkpoint" "$tmp/$type" "$type" megvii >/dev/null
  "$build/yoloxrt" export "$tmp/$type/$type.pth" --model-type "$type" -o "$tmp/$type.onnx" -q 2>/dev/null
  q "$tmp/$type.onnx" "$tmp/$type.int8.onnx"
  "$build/bench/quantize_speed" --size "$size" --runs "$runs" "$tmp/$type.onnx" "$tmp/$type.int8.onnx"
done
if [[ -f "$fixtures/megvii-nano/yolox_nano.pth" ]]; then
  "$build/yoloxrt" export "$fixtures/megvii-nano/yolox_nano.pth" -o "$tmp/nano.onnx" -q 2>/dev/null
  q "$tmp/nano.onnx" "$tmp/nano.int8.onnx" 64                        # default: --float-below-db 25
  q "$tmp/nano.onnx" "$tmp/nano.db0.int8.onnx" 64 --float-below-db 0  # stem float only
  q "$tmp/nano.onnx" "$tmp/nano.fl9.int8.onnx" 64 --float-leading 9 --float-below-db 0  # stem + stage 1
  q "$tmp/nano.onnx" "$tmp/nano.af5.int8.onnx" 64 --auto-float 5 --float-below-db 0     # 5 measured
  "$build/bench/quantize_speed" --size 416 --runs "$runs" "$tmp/nano.onnx" "$tmp/nano.int8.onnx" \
    "$tmp/nano.db0.int8.onnx" "$tmp/nano.fl9.int8.onnx" "$tmp/nano.af5.int8.onnx"
  if [[ "${OP_TABLE:-0}" == 1 ]]; then
    "$build/bench/quantize_speed" --size 416 --runs "$runs" --op-table "$tmp/nano.onnx" \
      "$tmp/nano.int8.onnx" "$tmp/nano.fl9.int8.onnx"
  fi
else
  echo "nano: fixtures not found (set YOLOXRT_FIXTURES)"
fi
