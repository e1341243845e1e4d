#!/usr/bin/env bash
# Builds the libFuzzer targets (the `fuzz` preset: clang, ASan+UBSan), makes seed corpora from
# small synthetic inputs and the fixtures, and runs each target for SECONDS_PER_TARGET (default 60),
# JOBS at a time (default 2). Prints executions per target; exits 1 if any target found a crash,
# leaving the reproducer in build/fuzz/findings/<target>/.
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#   YOLOXRT_FUZZ_JOBS=1 scripts/fuzz.sh 600 pickle zip
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
seconds="${1:-60}"
shift || true
targets=("$@")
((${#targets[@]})) || targets=(zip pickle safetensors json coco onnx image)
jobs="${YOLOXRT_FUZZ_JOBS:-2}"
fixtures="${YOLOXRT_FIXTURES:-$root/../shared/fixtures}"

bash scripts/setup.sh --fuzz
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j 2
build="$root/build/fuzz"
# Corpora grow between runs; the seeds are rewritten every time (the generator is cheap).
"$build/fuzz/yoloxrt_fuzz_seeds" "$build/seeds" "$fixtures"

run_one() {
  local t="$1" corpus="$build/corpus/$1" findings="$build/findings/$1" log="$build/logs/$1.log"
  mkdir -p "$corpus" "$findings" "$(dirname "$log")"
  local extra=()
  # OpenCV's codecs and the ONNX checker are uninstrumented system libraries that keep caches
  # alive at exit: leak reports there are not ours (crashes and ASan errors still count).
  [[ "$t" == image || "$t" == onnx ]] && extra+=(-detect_leaks=0)
  local start=$SECONDS
  set +e
  (cd "$findings" && "$build/fuzz/${t}_fuzz" "$corpus" "$build/seeds/$t" -max_total_time="$seconds" \
    -timeout=20 -rss_limit_mb=4096 -max_len=65536 -print_final_stats=1 "${extra[@]}" >"$log" 2>&1)
  local rc=$?
  set -e
  local execs
  execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')"
  printf '%-12s %4ss  %12s execs  %s\n' "$t" "$((SECONDS - start))" "$execs" \
    "$([[ $rc == 0 ]] && echo ok || echo "FOUND A CRASH (rc $rc): $findings, $log")"
  return $rc
}

failed=0
pids=()
for t in "${targets[@]}"; do
  run_one "$t" &
  pids+=($!)
  if ((${#pids[@]} >= jobs)); then
    wait "${pids[0]}" || failed=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || failed=1; done
exit $failed
