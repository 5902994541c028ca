#!/usr/bin/env bash
# Throughput and latency of `fenlei serve` (float and int8 seed-cnn) against a Flask + PyTorch
# server of the same network, in the same run, with wrk on loopback: single-review POSTs at 1, 16
# and 64 keep-alive connections, then each server's resident memory.
#
#   bench/serve_bench.sh [DURATION] [FENLEI_BINARY]
#
# Environment: BENCH_DATA (train.tsv for the model and the Flask vocabulary; default
# ../shared/data/chnsenticorp_htl/train.tsv), BENCH_EPOCHS (default 2: accuracy does not change
# serving speed), BENCH_SYSTEMS (default "fenlei-float fenlei-int8 flask"), BENCH_OUT (bench/out/serve,
# where the models are kept between runs), FENLEI_SERVE_ARGS (extra `fenlei serve` flags).
# Needs wrk (apt-get install wrk) and, for the reference, bench/.venv with torch plus Debian's
# python3-flask and python3-jieba (see bench/reference/flask_server.py).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=bench/bench_lib.sh
source "$here/bench_lib.sh"
duration=${1:-10s}
fenlei=${2:-$root/build/fenlei}
bench_serve_paths
epochs=${BENCH_EPOCHS:-2}
systems=${BENCH_SYSTEMS:-fenlei-float fenlei-int8 flask}
python=${BENCH_PYTHON:-$here/.venv/bin/python}
bench_require_wrk

# The models: trained once (seed-cnn defaults except --epochs), kept for later runs.
if [[ ! -s $out/float.fenlei ]]; then
  echo "training seed-cnn on $data ($epochs epochs)..." >&2
  "$fenlei" train --input "$data" -o "$out/float.fenlei" --epochs "$epochs" --checkpoint none -q
fi
if [[ ! -s $out/int8.fenlei ]]; then
  "$fenlei" quantize "$out/float.fenlei" -o "$out/int8.fenlei" >/dev/null
fi
info=$("$fenlei" info --json "$out/float.fenlei")
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)" <<<"$info"; }
vocab_size=$(field 'd["vocab_size"]')
max_len=$(field 'd["max_len"]')
labels=$(field '",".join(d["labels"])')

pid=""
stop_server() {
  if [[ -n $pid ]]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  pid=""
}
trap stop_server EXIT

# Starts a server whose stdout prints "serving on URL"; sets pid and url.
start_server() {
  local log=$out/$1.log
  shift
  # Emptied here, not by the background job's redirection, which may run after the first read.
  : >"$log.out"
  "$@" >>"$log.out" 2>"$log" &
  pid=$!
  # 120 s: importing torch on a busy machine is slow.
  bench_wait_serving "$pid" "$log.out" "$log" 1200 || exit 1
  # Werkzeug prints the line before it binds: wait for an answer.
  for _ in $(seq 100); do curl -sf "$url/v2/health/ready" >/dev/null && break; sleep 0.1; done
}

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), nproc=$(nproc); $(date -u +%FT%TZ)"
echo "model: seed-cnn, vocab $vocab_size, max_len $max_len, labels $labels; wrk $duration per row"
printf '%-13s %5s %9s %7s %9s %9s %9s %7s %s\n' system conns requests errors rps p50_ms p99_ms \
  rss_mb load1
for system in $systems; do
  case $system in
    fenlei-float | fenlei-int8)
      model=$out/${system#fenlei-}.fenlei
      # shellcheck disable=SC2086
      start_server "$system" "$fenlei" serve "$model" --name bench --port 0 --log-level warning \
        ${FENLEI_SERVE_ARGS:-} ;;
    flask)
      start_server flask "$python" "$here/reference/flask_server.py" --train "$data" \
        --vocab-size "$vocab_size" --max-len "$max_len" --labels "$labels" --name bench \
        --port "${FLASK_PORT:-18181}" ;;
    *) echo "unknown system $system" >&2; exit 1 ;;
  esac
  FENLEI_BENCH_MODEL=bench wrk -t1 -c4 -d2s -s "$here/serve_predict.lua" "$url" >/dev/null  # warm-up
  for connections in 1 16 64; do
    threads=$(( connections < 2 ? 1 : 2 ))  # 2 cores: more wrk threads only steal the server's
    line=$(FENLEI_BENCH_MODEL=bench wrk -t"$threads" -c"$connections" -d"$duration" --timeout 10s \
      -s "$here/serve_predict.lua" "$url" | tail -n1)
    rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
    load1=$(cut -d' ' -f1 /proc/loadavg)
    # line: requests=N errors(socket)=N non2xx=N rps=N p50_ms=N p99_ms=N max_ms=N
    eval "$(tr ' ' '\n' <<<"$line" | sed -n 's/^\(requests\|non2xx\|rps\|p50_ms\|p99_ms\)=/\1=/p;s/^errors(socket)=/socket=/p')"
    printf '%-13s %5d %9d %7d %9d %9.3f %9.3f %7d %s\n' "$system" "$connections" "$requests" \
      $(( socket + non2xx )) "$rps" "$p50_ms" "$p99_ms" $(( rss_kb / 1024 )) "$load1"
  done
  if [[ $system == fenlei-* ]]; then
    curl -s "$url/metrics" | grep -E '^fenlei_batch_size_(sum|count)' | tr '\n' ' ' >&2
    echo >&2
  fi
  stop_server
done
