#!/usr/bin/env bash
# int8 accuracy and size on every dataset: quantises float models trained with each preset's
# defaults (e.g. the ones bench/accuracy_table.sh leaves in its OUT directory) and evaluates
# float and int8 on the same test split, printing a Markdown table.
#   bench/quant_accuracy.sh MODELS_DIR [BUILD_DIR]
#   MODELS_DIR holds <dataset>.<preset>.fenlei files (OUT=... bench/accuracy_table.sh build).
set -euo pipefail
MODELS=${1:?usage: bench/quant_accuracy.sh MODELS_DIR [BUILD_DIR]}
FENLEI=${2:-build}/fenlei
DATA=${DATA:-$(cd "$(dirname "$0")/../../shared/data" && pwd)}
echo "| dataset | preset | float bytes | int8 bytes | ratio | float acc | int8 acc | Δ points |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
for model in "$MODELS"/*.fenlei; do
  base=$(basename "$model" .fenlei)
  dataset=${base%%.*}
  preset=${base#*.}
  case "$base" in *.int8) continue ;; esac
  out="$MODELS/$base.int8.fenlei"
  "$FENLEI" quantize "$model" -o "$out" -q >/dev/null
  f_acc=$("$FENLEI" test "$model" "$DATA/$dataset/test.tsv" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["accuracy"])')
  q_acc=$("$FENLEI" test "$out" "$DATA/$dataset/test.tsv" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["accuracy"])')
  f_bytes=$(stat -c %s "$model")
  q_bytes=$(stat -c %s "$out")
  python3 - "$dataset" "$preset" "$f_bytes" "$q_bytes" "$f_acc" "$q_acc" <<'PY'
import sys
d, p, fb, qb, fa, qa = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
print(f"| {d} | {p} | {fb:,} | {qb:,} | {fb/qb:.2f}× | {fa:.4f} | {qa:.4f} | {100*(qa-fa):+.2f} |")
PY
done
