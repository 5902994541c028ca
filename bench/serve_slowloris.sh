#!/usr/bin/env bash
# Normal clients' latency while hundreds of slow clients hold connections open (issue 16: 130
# connections sending a header byte per second used to starve every other client).
#
#   bench/serve_slowloris.sh [DURATION] [FENLEI_BINARY]
#
# Rows, each a wrk run of DURATION (default 10s) with 8 keep-alive connections POSTing one review:
#   none      no slow clients
#   500-open  500 slow clients from 127.0.0.2, all admitted (--max-connections-per-client 1000):
#             each sends one header byte per second and reconnects when cut off (408)
#   500-capped the same 500 under the default per-client cap (256): the rest get 503 at once
# Environment: BENCH_DATA (train.tsv; default ../shared/data/chnsenticorp_htl/train.tsv),
# BENCH_OUT (default bench/out/serve), SLOW_CONNECTIONS (default 500). Needs wrk and python3.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=bench/bench_lib.sh
source "$here/bench_lib.sh"
duration=${1:-10s}
fenlei=${2:-$root/build/fenlei}
bench_serve_paths
slow=${SLOW_CONNECTIONS:-500}
bench_require_wrk
bench_small_model "$fenlei" "$data" "$out"

pid=""
slow_pid=""
cleanup() {
  [[ -n $slow_pid ]] && kill "$slow_pid" 2>/dev/null || true
  [[ -n $pid ]] && { kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
  pid=""
}
trap cleanup EXIT

start_server() {
  : >"$out/slowloris.out"
  "$fenlei" serve "$out/small.fenlei" --name bench --port 0 --log-level warning --threads 1 "$@" \
    >"$out/slowloris.out" 2>"$out/slowloris.log" &
  pid=$!
  bench_wait_serving "$pid" "$out/slowloris.out" "$out/slowloris.log" || exit 1
}

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), nproc=$(nproc); $(date -u +%FT%TZ)"
printf '%-11s %6s %9s %7s %8s %9s %9s %9s  %s\n' row slow requests errors rps p50_ms p99_ms max_ms \
  slow_clients_saw
for row in none 500-open 500-capped; do
  case $row in
    500-capped) start_server ;;
    *) start_server --max-connections-per-client 1000 ;;
  esac
  FENLEI_BENCH_MODEL=bench wrk -t1 -c4 -d2s -s "$here/serve_predict.lua" "$url" >/dev/null
  events="-"
  if [[ $row != none ]]; then
    python3 "$here/hostile_load.py" slow "$url" --connections "$slow" --source 127.0.0.2 \
      --seconds 1000 >"$out/slow_clients.json" &
    slow_pid=$!
    sleep 5  # let them connect and start trickling
    open=$(ss -tn state established "( sport = :${url##*:} )" | grep -c 127.0.0.2 || true)
  else
    open=0
  fi
  line=$(FENLEI_BENCH_MODEL=bench wrk -t1 -c8 -d"$duration" --timeout 10s \
    -s "$here/serve_predict.lua" "$url" | tail -n1)
  eval "$(tr ' ' '\n' <<<"$line" | sed -n 's/^\(requests\|non2xx\|rps\|p50_ms\|p99_ms\|max_ms\)=/\1=/p;s/^errors(socket)=/socket=/p')"
  if [[ -n $slow_pid ]]; then
    kill "$slow_pid" 2>/dev/null || true
    wait "$slow_pid" 2>/dev/null || true
    slow_pid=""
    events=$(curl -s "$url/metrics" | grep -E 'code="(408|503)"' | sed 's/.*code="\([0-9]*\)"} \(.*\)/\1:\2/' | tr '\n' ' ')
  fi
  printf '%-11s %6s %9d %7d %8d %9.3f %9.3f %9.3f  %s\n' "$row" "$open" "$requests" \
    $(( socket + non2xx )) "$rps" "$p50_ms" "$p99_ms" "$max_ms" "$events"
  cleanup
done
