#!/usr/bin/env bash
# What TLS and bearer tokens cost `fenlei serve`, in one run: the same wrk load (keep-alive,
# single-review POSTs, 16 connections) against plain HTTP, HTTPS, and HTTPS with --auth-token-file.
#
#   bench/serve_tls_auth.sh [DURATION] [FENLEI_BINARY]
#
# Environment: BENCH_DATA, BENCH_OUT (as bench/serve_slowloris.sh), CONNECTIONS (default 16).
# Needs wrk (built with OpenSSL, as Debian's is) and the openssl command.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
duration=${1:-10s}
fenlei=${2:-$root/build/fenlei}
data=${BENCH_DATA:-$root/../shared/data/chnsenticorp_htl/train.tsv}
out=${BENCH_OUT:-$here/out/serve}
connections=${CONNECTIONS:-16}
mkdir -p "$out"
if [[ ! -s $out/small.fenlei ]]; then
  head -n 3000 "$data" >"$out/small.tsv"
  "$fenlei" train --input "$out/small.tsv" -o "$out/small.fenlei" --epochs 1 --checkpoint none -q
fi
if [[ ! -s $out/tls_key.pem ]]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -sha256 -days 30 -nodes \
    -keyout "$out/tls_key.pem" -out "$out/tls_cert.pem" -subj /CN=localhost 2>/dev/null
fi
token=bench-token-$(openssl rand -hex 12)
echo "$token" >"$out/tokens.txt"

pid=""
cleanup() { [[ -n $pid ]] && { kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }; pid=""; }
trap cleanup EXIT

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), nproc=$(nproc); $(date -u +%FT%TZ); load $(cut -d' ' -f1 /proc/loadavg)"
printf '%-10s %6s %9s %7s %8s %9s %9s\n' mode conns requests errors rps p50_ms p99_ms
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
  "$fenlei" serve "$out/small.fenlei" --name bench --port 0 --log-level warning --threads 1 \
    "${args[@]}" >"$out/tls.out" 2>"$out/tls.log" &
  pid=$!
  url=""
  for _ in $(seq 600); do
    url=$(sed -n 's/^serving on //p' "$out/tls.out" | head -n1)
    [[ -n $url ]] && break
    sleep 0.1
  done
  [[ -n $url ]] || { echo "server did not start" >&2; cat "$out/tls.log" >&2; exit 1; }
  FENLEI_BENCH_MODEL=bench FENLEI_BENCH_AUTH=$header wrk -t1 -c4 -d2s -s "$here/serve_predict.lua" "$url" >/dev/null
  line=$(FENLEI_BENCH_MODEL=bench FENLEI_BENCH_AUTH=$header wrk -t2 -c"$connections" -d"$duration" \
    --timeout 10s -s "$here/serve_predict.lua" "$url" | tail -n1)
  eval "$(tr ' ' '\n' <<<"$line" | sed -n 's/^\(requests\|non2xx\|rps\|p50_ms\|p99_ms\)=/\1=/p;s/^errors(socket)=/socket=/p')"
  printf '%-10s %6d %9d %7d %8d %9.3f %9.3f\n' "$mode" "$connections" "$requests" \
    $(( socket + non2xx )) "$rps" "$p50_ms" "$p99_ms"
  cleanup
done
