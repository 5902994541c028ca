#!/usr/bin/env bash
# Float vs int8 speed and accuracy, same run, for every <dataset>.<preset>.fenlei in MODELS_DIR
# (quantised here when its .int8.fenlei is missing): bench/quant_speed (library API: model
# compute on pre-encoded texts, and Classifier::predict with segmentation; the test texts
# repeated to 24,000; best of ROUNDS interleaved rounds) and `fenlei predict` end to end on the
# same 24,000 texts (one process each, model load included; best of ROUNDS). Markdown table.
# All times are CPU time (user + sys): on a shared, oversubscribed machine wall time measures
# the queue for a core more than the program.
#   bench/quant_speed.sh MODELS_DIR [BUILD_DIR]      env: ROUNDS=3 TEXTS=24000
#   BUILD_DIR needs -DFENLEI_BUILD_BENCHMARKS=ON (targets fenlei quant_speed).
set -euo pipefail
MODELS=${1:?usage: bench/quant_speed.sh MODELS_DIR [BUILD_DIR]}
BUILD=${2:-build}
ROUNDS=${ROUNDS:-3}; TEXTS=${TEXTS:-24000}
DATA=${DATA:-$(cd "$(dirname "$0")/../../shared/data" && pwd)}
best_predict_ms() {  # model texts_file: best CPU time (user + sys) of ROUNDS runs, in ms
  local best=1e18 t
  for _ in $(seq "$ROUNDS"); do
    t=$( { /usr/bin/time -f "%U %S" "$BUILD/fenlei" predict "$1" < "$2" > /dev/null; } 2>&1 | tail -1)
    best=$(python3 -c "u, s = '$t'.split(); print(min($best, (float(u) + float(s)) * 1e3))")
  done
  echo "$best"
}
echo "| dataset | preset | float acc | int8 acc | Δ points | compute float (ms CPU) | compute int8 | ratio | Classifier::predict float (ms CPU) | int8 | ratio | fenlei predict float (ms CPU) | int8 | ratio |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for model in "$MODELS"/*.fenlei; do
  base=$(basename "$model" .fenlei)
  case "$base" in *.int8) continue ;; esac
  dataset=${base%%.*}; preset=${base#*.}
  int8="$MODELS/$base.int8.fenlei"
  [ -f "$int8" ] || "$BUILD/fenlei" quantize "$model" -o "$int8" -q > /dev/null
  test_tsv=$DATA/$dataset/test.tsv
  texts=$(mktemp); tail -n +2 "$test_tsv" | cut -f2- > "$texts.one"
  while [ "$(wc -l < "$texts" 2>/dev/null || echo 0)" -lt "$TEXTS" ]; do cat "$texts.one" >> "$texts"; done
  head -n "$TEXTS" "$texts" > "$texts.n"
  json=$("$BUILD/bench/quant_speed" "$model" "$int8" "$test_tsv" --texts "$TEXTS" --rounds "$ROUNDS")
  pf=$(best_predict_ms "$model" "$texts.n"); pq=$(best_predict_ms "$int8" "$texts.n")
  rm -f "$texts" "$texts.one" "$texts.n"
  python3 - "$dataset" "$preset" "$json" "$pf" "$pq" <<'PY'
import json, sys
d, p, j, pf, pq = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
f, q = j["float"], j["int8"]
print(f"| {d} | {p} | {f['accuracy']:.4f} | {q['accuracy']:.4f} | {j['accuracy_delta_points']:+.2f} | "
      f"{f['compute_ms']:.0f} | {q['compute_ms']:.0f} | {f['compute_ms']/q['compute_ms']:.2f}× | "
      f"{f['predict_ms']:.0f} | {q['predict_ms']:.0f} | {f['predict_ms']/q['predict_ms']:.2f}× | "
      f"{pf:.0f} | {pq:.0f} | {pf/pq:.2f}× |")
PY
done
