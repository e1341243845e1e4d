#!/usr/bin/env bash
# Load benchmark of `yoloxrt serve` with wrk (Debian's `wrk`; not installed by scripts/setup.sh:
# `apt-get install wrk`) posting dog.jpg to /v1/detect on loopback:
#   1. offline throughput of `yoloxrt detect` on the same photo (N copies in one run, minus the
#      start-up measured with one copy);
#   2. wrk: requests/s, p50/p99 latency, non-2xx count, for the given connection counts;
#   3. server RSS after 1,000 and after 10,000 requests (target: within 5 MB).
# Usage: scripts/bench_serve.sh [BUILD_DIR]   (default build/release; builds the CLI, -j2)
# Environment: MODEL (default: YOLOX-Nano exported by yoloxrt, dynamic batch), THREADS (ORT
# intra-op threads, default 1), MAX_BATCH (8), DELAY_MS (2), CONNECTIONS ("1 2 4 8"), DURATION (seconds per wrk run, 15).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build/release}"
fixtures="${YOLOXRT_FIXTURES:-$root/../shared/fixtures}"
nano="$fixtures/megvii-nano"
photo="$nano/dog.jpg"
[[ -f "$photo" ]] || { echo "fixtures not found: $nano" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 1; }
threads="${THREADS:-1}"
max_batch="${MAX_BATCH:-8}"
delay_ms="${DELAY_MS:-2}"
connections="${CONNECTIONS:-1 2 4 8}"
seconds="${DURATION:-15}"

if [[ ! -f "$build/build.ninja" && ! -f "$build/Makefile" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" --target yoloxrt_cli -j2 >/dev/null
cli="$build/yoloxrt"

tmp="$(mktemp -d)"
server_pid=""
wrk_pid=""
cleanup() {
  [[ -n "$wrk_pid" ]] && kill "$wrk_pid" 2>/dev/null
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

model="${MODEL:-}"
if [[ -z "$model" ]]; then
  model="$tmp/yolox_nano.onnx"
  "$cli" export "$nano/yolox_nano.pth" -o "$model" >/dev/null 2>&1
fi

echo "== machine"
lscpu | grep -E '^(Model name|CPU\(s\)|Thread|Flags)' | cut -c1-200
echo "model $model, ORT threads $threads, max-batch $max_batch, max-queue-delay-ms $delay_ms"

echo
echo "== offline: yoloxrt detect on dog.jpg (same model, --threads $threads)"
n=200
args=()
for ((i = 0; i < n; i++)); do args+=("$photo"); done
t1=$( { /usr/bin/time -f %e "$cli" detect "$model" "$photo" --no-draw -q --threads "$threads" \
          >/dev/null; } 2>&1 | tail -1)
tn=$( { /usr/bin/time -f %e "$cli" detect "$model" "${args[@]}" --no-draw -q --threads "$threads" \
          >/dev/null; } 2>&1 | tail -1)
offline=$(echo "($n - 1) / ($tn - $t1)" | bc -l)
printf 'offline: %d images in %.2f s (start-up %.2f s): %.1f images/s\n' "$n" "$tn" "$t1" "$offline"

start_server() {
  "$cli" serve "$model" --port "$port" --threads "$threads" --max-batch "$max_batch" \
    --max-queue-delay-ms "$delay_ms" -q 2>"$tmp/serve.log" &
  server_pid=$!
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/v2/health/ready" >/dev/null 2>&1 && break
    sleep 0.1
  done
}

echo
echo "== serve"
port=$((20000 + RANDOM % 20000))
start_server

cat >"$tmp/post.lua" <<EOF
local f = assert(io.open("$photo", "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "image/jpeg"
EOF
rss_mb() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$server_pid/status"; }

# Warm-up.
wrk -t1 -c1 -d3s -s "$tmp/post.lua" "http://127.0.0.1:$port/v1/detect" >/dev/null
for c in $connections; do
  t=$((c < 2 ? 1 : 2))
  out=$(wrk -t"$t" -c"$c" -d"${seconds}s" --latency -s "$tmp/post.lua" \
          "http://127.0.0.1:$port/v1/detect")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  errors=$(grep -E 'Socket errors' <<<"$out" || true)
  printf 'connections %2d: %7.1f req/s (%.2fx offline)  p50 %s  p99 %s  non-2xx %s %s\n' "$c" \
    "$rps" "$(echo "$rps / $offline" | bc -l)" "$p50" "$p99" "${non2xx:-0}" "$errors"
done

echo
echo "== RSS (fresh server, 4 connections)"
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
start_server
# wrk runs until stopped; /metrics says how many requests were answered.
served() {
  curl -fs "http://127.0.0.1:$port/metrics" |
    awk '/^yoloxrt_requests_total\{endpoint="\/v1\/detect",status="200"\}/ {print $2}'
}
wrk -t2 -c4 -d3600s -s "$tmp/post.lua" "http://127.0.0.1:$port/v1/detect" >/dev/null &
wrk_pid=$!
rss1=""
while :; do
  n=$(served)
  n=${n:-0}
  if [[ -z "$rss1" && "$n" -ge 1000 ]]; then rss1=$(rss_mb); n1=$n; fi
  if [[ "$n" -ge 10000 ]]; then rss10=$(rss_mb); n10=$n; break; fi
  sleep 0.5
done
kill "$wrk_pid"
wait "$wrk_pid" 2>/dev/null || true
served=$(served)
printf 'RSS after %s requests %s MB, after %s: %s MB (difference %.1f MB, target <= 5); %s answered 200\n' \
  "$n1" "$rss1" "$n10" "$rss10" "$(echo "$rss10 - $rss1" | bc -l)" "$served"
