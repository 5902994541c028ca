#!/usr/bin/env bash
# What TLS and bearer tokens cost `fenlei serve`, in one run: the same wrk load (keep-alive,
# single-review POSTs, 16 connections) against plain HTTP, HTTPS, and HTTPS with --auth-token-file.
#
#   bench/serve_tls_auth.sh [DURATION] [FENLEI_BINARY...]
#
# Each binary given (default build/fenlei) runs the three modes, in turn, so that two builds (say
# before and after a change) are compared in the same run. To keep wrk's own TLS work from being
# counted against the server, the server runs on CPU SERVER_CPU (default 0, `--threads 1`, every
# thread of it pinned there) and wrk with one thread on CPU CLIENT_CPU (default 1), when the
# machine has two CPUs or more. Besides requests/s and latency it reports the server's own CPU time
# per 1000 requests (utime + stime from /proc/PID/stat over the measured run): that is the cost of
# TLS to the server, whatever the client spends.
#
# With `perf` usable (PERF=0 turns it off), it also counts the server's system calls and context
# switches per request (perf stat -e raw_syscalls:sys_enter,context-switches -p PID), which, unlike
# requests/s, do not depend on what else the machine is running.
#
# Environment: BENCH_DATA, BENCH_OUT (as bench/serve_slowloris.sh), CONNECTIONS (default 16),
# SERVER_CPU, CLIENT_CPU, PIN=0 to run unpinned, PERF=0. Needs wrk (built with OpenSSL, as Debian's is),
# the openssl command and taskset (util-linux).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=bench/bench_lib.sh
source "$here/bench_lib.sh"
duration=${1:-10s}
shift || true
binaries=("$@")
[[ ${#binaries[@]} -gt 0 ]] || binaries=("$root/build/fenlei")
bench_serve_paths
connections=${CONNECTIONS:-16}
server_cpu=${SERVER_CPU:-0}
client_cpu=${CLIENT_CPU:-1}
pin=${PIN:-1}
[[ $(nproc) -ge 2 ]] || pin=0
ticks=$(getconf CLK_TCK)
use_perf=${PERF:-1}
if [[ $use_perf == 1 ]] && ! perf stat -e raw_syscalls:sys_enter,context-switches -- true >/dev/null 2>&1; then
  use_perf=0
fi
bench_small_model "${binaries[0]}" "$data" "$out"
if [[ ! -s $out/tls_key.pem ]]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -sha256 -days 30 -nodes \
    -keyout "$out/tls_key.pem" -out "$out/tls_cert.pem" -subj /CN=localhost 2>/dev/null
fi
token=bench-token-$(openssl rand -hex 12)
echo "$token" >"$out/tokens.txt"

server_pin=()
client_pin=()
if [[ $pin == 1 ]]; then
  server_pin=(taskset -c "$server_cpu")
  client_pin=(taskset -c "$client_cpu")
fi

pid=""
cleanup() { [[ -n $pid ]] && { kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }; pid=""; }
trap cleanup EXIT

# utime + stime of process $1 in clock ticks (fields 14 and 15 of /proc/PID/stat, after the
# parenthesised command name, which may contain spaces).
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), nproc=$(nproc); $(date -u +%FT%TZ)"
echo "uptime at start: $(uptime)"
if [[ $pin == 1 ]]; then
  echo "server on CPU $server_cpu (--threads 1), wrk -t1 -c$connections on CPU $client_cpu"
else
  echo "unpinned: server --threads 1, wrk -t1 -c$connections share the CPUs"
fi
printf '%-16s %-9s %6s %9s %7s %8s %9s %9s %12s %9s %8s\n' binary mode conns requests errors rps \
  p50_ms p99_ms cpu_ms/1k_req sys/req cs/req
for fenlei in "${binaries[@]}"; do
  label=$(basename "$fenlei")
  for mode in plain tls tls+auth; do
    args=()
    header=""
    case $mode in
      tls) args=(--tls-cert "$out/tls_cert.pem" --tls-key "$out/tls_key.pem") ;;
      tls+auth) args=(--tls-cert "$out/tls_cert.pem" --tls-key "$out/tls_key.pem"
                      --auth-token-file "$out/tokens.txt")
                header="Bearer $token" ;;
    esac
    : >"$out/tls.out"
    "${server_pin[@]}" "$fenlei" serve "$out/small.fenlei" --name bench --port 0 \
      --log-level warning --threads 1 "${args[@]}" \
      >"$out/tls.out" 2>"$out/tls.log" &
    pid=$!
    bench_wait_serving "$pid" "$out/tls.out" "$out/tls.log" || exit 1
    FENLEI_BENCH_MODEL=bench FENLEI_BENCH_AUTH=$header "${client_pin[@]}" \
      wrk -t1 -c4 -d2s -s "$here/serve_predict.lua" "$url" >/dev/null
    before=$(cpu_ticks "$pid")
    perf_pid=""
    if [[ $use_perf == 1 ]]; then
      perf stat -x, -o "$out/perf.txt" -e raw_syscalls:sys_enter,context-switches -p "$pid" &
      perf_pid=$!
    fi
    line=$(FENLEI_BENCH_MODEL=bench FENLEI_BENCH_AUTH=$header "${client_pin[@]}" \
      wrk -t1 -c"$connections" -d"$duration" --timeout 10s -s "$here/serve_predict.lua" "$url" |
      tail -n1)
    after=$(cpu_ticks "$pid")
    eval "$(tr ' ' '\n' <<<"$line" | sed -n 's/^\(requests\|non2xx\|rps\|p50_ms\|p99_ms\)=/\1=/p;s/^errors(socket)=/socket=/p')"
    sys_per="-"
    cs_per="-"
    if [[ -n $perf_pid ]]; then
      kill -INT "$perf_pid" 2>/dev/null || true
      wait "$perf_pid" 2>/dev/null || true
      syscalls=$(awk -F, '$3 ~ /sys_enter/ {print $1}' "$out/perf.txt")
      switches=$(awk -F, '$3 ~ /context-switches/ {print $1}' "$out/perf.txt")
      sys_per=$(awk -v a="${syscalls:-0}" -v n="$requests" 'BEGIN { printf "%.2f", (n > 0 ? a / n : 0) }')
      cs_per=$(awk -v a="${switches:-0}" -v n="$requests" 'BEGIN { printf "%.2f", (n > 0 ? a / n : 0) }')
    fi
    cpu_per_1k=$(awk -v t=$((after - before)) -v hz="$ticks" -v n="$requests" \
      'BEGIN { printf "%.1f", (n > 0 ? t / hz * 1000 / (n / 1000) : 0) }')
    printf '%-16s %-9s %6d %9d %7d %8d %9.3f %9.3f %12s %9s %8s\n' "$label" "$mode" \
      "$connections" "$requests" $(( socket + non2xx )) "$rps" "$p50_ms" "$p99_ms" "$cpu_per_1k" \
      "$sys_per" "$cs_per"
    cleanup
  done
done
echo "uptime at end: $(uptime)"
