#!/usr/bin/env bash
# Throughput and latency of `fenlei serve` with wrk: single-review POSTs at 1, 16 and 64
# connections, then the server's resident memory. Needs a built `fenlei` binary and a model file.
#
#   bench/serve_bench.sh MODEL.fenlei [FENLEI_BINARY] [DURATION]
#
# Prints one line per connection count (requests, errors, rps, p50/p99/max latency) and RSS.
# Targets (docs/serving.md): 0 errors, p99 < 5 ms at 16 connections, RSS < 100 MB.
set -euo pipefail

model=${1:?usage: serve_bench.sh MODEL.fenlei [FENLEI_BINARY] [DURATION]}
fenlei=${2:-build/fenlei}
duration=${3:-10s}
here=$(cd "$(dirname "$0")" && pwd)

if ! command -v wrk >/dev/null; then
  echo "wrk is not installed: sudo apt-get install wrk" >&2
  exit 1
fi

log=$(mktemp)
out=$(mktemp)
name=bench
"$fenlei" serve "$model" --name "$name" --port 0 --log-level warning "${@:4}" >"$out" 2>"$log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -f "$log" "$out"' EXIT

# Wait (at most 30 s) for "serving on http://HOST:PORT".
url=""
for _ in $(seq 300); do
  url=$(sed -n 's/^serving on //p' "$out" | head -n1)
  [[ -n $url ]] && break
  kill -0 $pid 2>/dev/null || { echo "server exited:" >&2; cat "$log" >&2; exit 1; }
  sleep 0.1
done
[[ -n $url ]] || { echo "server did not start in 30 s" >&2; cat "$log" >&2; exit 1; }
echo "server: $url (pid $pid)"

# Warm up, then measure.
FENLEI_BENCH_MODEL=$name wrk -t1 -c4 -d2s -s "$here/serve_predict.lua" "$url" >/dev/null
for connections in 1 16 64; do
  threads=$(( connections < 4 ? connections : 4 ))
  echo -n "connections=$connections "
  FENLEI_BENCH_MODEL=$name wrk -t"$threads" -c"$connections" -d"$duration" --latency \
    -s "$here/serve_predict.lua" "$url" | tail -n1
done
rss_kb=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
echo "rss_mb=$(( rss_kb / 1024 ))"
curl -s "$url/metrics" | grep -E '^fenlei_batch_size_(sum|count)' || true
