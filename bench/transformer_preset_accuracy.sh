#!/usr/bin/env bash
# Accuracy of the from-scratch `transformer` preset (docs/accuracy.md, issue #15): trains with
# the preset's defaults on each dataset's train.tsv (best epoch on dev.tsv), tests on test.tsv
# and prints one Markdown row per dataset: accuracy / macro-F1, best epoch, wall and CPU seconds.
#   bench/transformer_preset_accuracy.sh [BUILD_DIR] [DATASETS...]
#   THREADS=1 OUT=/tmp/dir EXTRA="--seed 1" SUBSET="online_shopping_senti:2" to vary the run;
#   SUBSET=name:k trains on every k-th training row of that dataset (dev/test stay whole).
#   TORCH=1 also trains the same network in PyTorch on the same rows: the model is
#   exported (`fenlei export --to hf`) and reference/transformer_finetune_ref.py --scratch
#   trains that config and vocabulary from a random init with the preset's recipe (AdamW 1e-3,
#   10 % warm-up, batch 32, 128 tokens, 6 epochs, patience 2 on dev loss), one thread.
set -euo pipefail
# shellcheck source=bench_lib.sh
source "$(dirname "$0")/bench_lib.sh"
BUILD=${1:-build}; shift $(( $# > 0 ? 1 : 0 ))
DATASETS=${*:-"chnsenticorp_htl online_shopping_senti thucnews_titles sst2_en trec_en"}
THREADS=${THREADS:-1}
EXTRA=${EXTRA:-}
SUBSET=${SUBSET:-online_shopping_senti:2}
DATA=${DATA:-$(cd "$(dirname "$0")/../../shared/data" 2>/dev/null && pwd || echo ../shared/data)}
FENLEI=$BUILD/fenlei
OUT=${OUT:-/tmp/fenlei_transformer_preset}; mkdir -p "$OUT"
TORCH=${TORCH:-0}
# PY: the Python with torch and transformers; bench_lib.sh's default, bench/.venv (made by
# bench/setup_venv.sh), unless PY is set. (A default here never took effect: bench_lib.sh had
# already set PY.)
[ "$TORCH" != 1 ] || bench_require_python

echo "| dataset | train texts | transformer acc / F1 | best epoch / run | train wall s (CPU s) |$([ "$TORCH" = 1 ] && echo " PyTorch acc / F1 | best epoch / run | CPU s |")"
echo "|---|---|---|---|---|$([ "$TORCH" = 1 ] && echo "---|---|---|")"
for ds in $DATASETS; do
  train=$(bench_train_rows "$DATA" "$ds" "$OUT" "$SUBSET")
  n=$(( $(wc -l < "$train") - 1 ))
  m=$OUT/$ds.transformer.fenlei
  # shellcheck disable=SC2086
  /usr/bin/time -f "%e %U" -o "$OUT/$ds.time" "$FENLEI" train --model transformer -i "$train" \
      --valid "$DATA/$ds/dev.tsv" -o "$m" --threads "$THREADS" $EXTRA 2> "$OUT/$ds.stderr"
  "$FENLEI" test "$m" "$DATA/$ds/test.tsv" --json > "$OUT/$ds.test.json"
  acc=$(jq -r '.accuracy' "$OUT/$ds.test.json"); f1=$(jq -r '.macro_f1' "$OUT/$ds.test.json")

  best_epoch=$(grep "(saved)" "$OUT/$ds.stderr" | tail -1 | sed -E 's/.*epoch ([0-9]+)\/.*/\1/')
  run=$(grep -E "epoch [0-9]+/" "$OUT/$ds.stderr" | grep -v step | tail -1 | sed -E 's/.*epoch ([0-9]+)\/.*/\1/')
  read -r wall cpu < "$OUT/$ds.time"
  printf "| %s | %d | %.4f / %.4f | %s / %s | %.0f (%.0f) |" "$ds" "$n" "$acc" "$f1" "$best_epoch" "$run" "$wall" "$cpu"
  if [ "$TORCH" = 1 ]; then
    "$FENLEI" export "$m" --to hf "$OUT/$ds.hf" --force -q > /dev/null
    OMP_NUM_THREADS=1 /usr/bin/time -f "%U" -o "$OUT/$ds.torch.time" "$PY" \
        "$(dirname "$0")/reference/transformer_finetune_ref.py" "$OUT/$ds.hf" "$train" --scratch \
        --valid "$DATA/$ds/dev.tsv" --test "$DATA/$ds/test.tsv" --threads 1 --batch 32 \
        --max-len 128 --lr 1e-3 --warmup-ratio 0.1 --epochs 6 --patience 2 \
        > "$OUT/$ds.torch.json" 2> "$OUT/$ds.torch.stderr"
    jq -j --arg cpu "$(cat "$OUT/$ds.torch.time")" '" \(.test_accuracy * 10000 | round / 10000) / " +
        "\(.test_macro_f1 * 10000 | round / 10000) | \(.best_epoch) / \(.epochs_run) | \($cpu) |"' \
        "$OUT/$ds.torch.json"
  fi
  echo

done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
