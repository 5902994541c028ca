#!/usr/bin/env bash
# Inference: fenlei predict (one CLI call per text, and one call over the whole test file)
# against PyTorch (single-text latency with ids ready and with python jieba, batch-256
# throughput), in the same run.
#
#   bench/infer_compare.sh [DATASET]        (default online_shopping_cats)
#   env: MODEL=seed-cnn|textcnn  FENLEI_MODEL=existing.fenlei (else one is trained, 1 epoch)
#        RUNS=30 (single-text CLI calls)  LIMIT=N  FENLEI=path/to/fenlei
set -euo pipefail
# shellcheck source=bench/bench_lib.sh
source "$(dirname "$0")/bench_lib.sh"
bench_require_python

dataset=${1:-online_shopping_cats}
model=${MODEL:-seed-cnn}
out=$(bench_out_dir infer_compare)
bench_header "infer_compare $dataset ($model${LIMIT:+; limit $LIMIT})"

limit_args=()
[ -n "${LIMIT:-}" ] && limit_args=(--limit "$LIMIT")
run_logged "$PY" "$REF/torch_textcnn.py" --inference --model "$model" --dataset "$dataset" \
  --threads 2 "${limit_args[@]}" >"$out/torch.inference.json" \
  || echo '{"error": "torch run failed"}' >"$out/torch.inference.json"

# fenlei predict reads one text per line: the test texts without header and labels.
awk -F'\t' -v n="${LIMIT:-0}" 'NR > 1 && (n == 0 || NR <= n + 1) { print $2 }' \
  "$DATA_DIR/$dataset/test.tsv" >"$out/texts.txt"
if fenlei_has predict; then
  fmodel=${FENLEI_MODEL:-}
  if [ -z "$fmodel" ]; then
    if fenlei_has train; then
      fmodel=$out/$model.fenlei
      run_logged "$FENLEI" train --input "$DATA_DIR/$dataset/train.tsv" \
        --valid "$DATA_DIR/$dataset/dev.tsv" --output "$fmodel" --model "$model" --epochs 1 \
        --threads 2 --seed 1 >"$out/fenlei.train.log" 2>&1 \
        || { echo "fenlei train failed: see $out/fenlei.train.log"; fmodel=; }
    else
      fenlei_why_missing train
    fi
  fi
  if [ -n "$fmodel" ]; then
    run_logged "$PY" "$REF/cli_latency.py" --texts "$out/texts.txt" --runs "${RUNS:-30}" \
      -- "$FENLEI" predict "$fmodel" >"$out/fenlei.inference.json"
    echo "fenlei model: $fmodel ($(stat -c %s "$fmodel") bytes)"
  fi
else
  fenlei_why_missing predict
fi

"$PY" "$REF/report.py" infer "$out" | tee "$out/table.md"
echo
echo "raw results: $out"
