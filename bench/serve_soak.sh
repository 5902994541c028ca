#!/usr/bin/env bash
# Soak test for `fenlei serve`: N minutes of mixed load (good single and pipelined predictions,
# malformed requests, over-limit bodies by Content-Length and chunked, slow trickling clients,
# :reload and SIGHUP reloads), then SIGTERM while a slow client is still sending. Reports errors
# (answers other than what each request deserved), lost requests (good ones without an answer),
# p50/p99 of good requests, RSS over time, and how SIGTERM ended.
#
#   bench/serve_soak.sh [MINUTES] [FENLEI_BINARY]      # default 1 minute
#
# Environment: BENCH_DATA (train.tsv; default ../shared/data/chnsenticorp_htl/train.tsv),
# BENCH_OUT (default bench/out/serve), SOAK_SLOW (slow clients, default 50), SOAK_GOOD (good
# clients, default 4), FENLEI_SERVE_ARGS (extra flags). Needs python3 (standard library only).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=bench/bench_lib.sh
source "$here/bench_lib.sh"
minutes=${1:-1}
fenlei=${2:-$root/build/fenlei}
bench_serve_paths
bench_small_model "$fenlei" "$data" "$out"

: >"$out/soak.out"
# shellcheck disable=SC2086
"$fenlei" serve "$out/small.fenlei" --name soak --port 0 --log-level warning --threads 1 \
  --drain-timeout-s 5 ${FENLEI_SERVE_ARGS:-} >"$out/soak.out" 2>"$out/soak.log" &
pid=$!
trap 'kill -KILL $pid 2>/dev/null || true' EXIT
bench_wait_serving "$pid" "$out/soak.out" "$out/soak.log" || exit 1

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), nproc=$(nproc); $(date -u +%FT%TZ); $minutes min"
python3 "$here/hostile_load.py" soak "$url" --model soak --pid "$pid" \
  --seconds "$(( minutes * 60 ))" --slow "${SOAK_SLOW:-50}" --good "${SOAK_GOOD:-4}" \
  --reload-every 10
echo "metrics at the end:"
curl -s "$url/metrics" | grep -E '^fenlei_http_requests_total' | sed 's/^/  /'

# SIGTERM while one client is still trickling a request: the drain must end at its timeout.
python3 "$here/hostile_load.py" slow "$url" --connections 1 --seconds 30 >/dev/null &
slow=$!
sleep 1
start=$(date +%s.%N)
kill -TERM "$pid"
code=0
wait "$pid" || code=$?
trap - EXIT
kill "$slow" 2>/dev/null || true
echo "SIGTERM: exit code $code after $(echo "$(date +%s.%N) - $start" | bc) s (--drain-timeout-s 5)"
