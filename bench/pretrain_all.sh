#!/usr/bin/env bash
# Issue #12 item 4 at the issue's scale (docs/pretraining.md, "Pretraining on all the datasets"):
#   corpus:     every unique non-empty text of the train splits of all seven shared datasets
#               (online_shopping_multi's fastText lines without their __label__ prefixes); no
#               dev/test texts, no labels
#   pretrained: `fenlei pretrain --size tiny` (2 x 128, 2 heads, FFN 512) on it, PT_EPOCHS epochs
#   random:     the same encoder with the same vocabulary, untrained (`--epochs 0`)
#   both fine-tuned on every single-label dataset with the `transformer` preset's training
#   defaults (src/train/transformer_preset.cc) through `fenlei train --init`, best epoch on
#   dev.tsv, tested on test.tsv; one Markdown row per (dataset, encoder) with CPU seconds.
#   bench/pretrain_all.sh [BUILD_DIR]
# Knobs: DATASETS="chnsenticorp_htl ..." THREADS=1 (fine-tuning) PT_THREADS=2 PT_EPOCHS=3
#   OUT=/tmp/fenlei_pretrain_all SKIP_PRETRAIN=path/pretrained.fenlei (reuse one; the corpus is
#   still rebuilt for the random baseline's vocabulary) SUBSET="online_shopping_senti:2" (every
#   k-th training row of that dataset, as bench/transformer_preset_accuracy.sh; default none)
#   INITS="pretrained random" (which encoders to fine-tune; "pretrained" alone with SKIP_PRETRAIN
#   finishes a table whose random rows exist).
# online_shopping_multi is in the corpus but not fine-tuned: transformer fine-tuning is
# single-label only ("multi-label data; transformer fine-tuning is single-label (softmax) only").
set -euo pipefail
# shellcheck source=bench_lib.sh
source "$(dirname "$0")/bench_lib.sh"
BUILD=${1:-build}
DATASETS=${DATASETS:-"chnsenticorp_htl online_shopping_senti online_shopping_cats thucnews_titles sst2_en trec_en"}
THREADS=${THREADS:-1}; PT_THREADS=${PT_THREADS:-2}; PT_EPOCHS=${PT_EPOCHS:-3}
SUBSET=${SUBSET:-}; INITS=${INITS:-"pretrained random"}
DATA=${DATA:-$(cd "$(dirname "$0")/../../shared/data" 2>/dev/null && pwd || echo ../shared/data)}
FENLEI=$BUILD/fenlei
OUT=${OUT:-/tmp/fenlei_pretrain_all}; mkdir -p "$OUT"
echo "# start: $(uptime)" >&2

# The corpus: train texts only, one a line, de-duplicated (LC_ALL=C: a byte order, so it repeats).
{
  for d in chnsenticorp_htl online_shopping_cats online_shopping_senti thucnews_titles sst2_en trec_en; do
    tail -n +2 "$DATA/$d/train.tsv" | cut -f2-
  done
  sed -E 's/^(__label__[^ ]+ )+//' "$DATA/online_shopping_multi/train.txt"
} | awk 'NF' | LC_ALL=C sort -u > "$OUT/corpus.txt"
echo "# corpus: $(wc -l < "$OUT/corpus.txt") lines, $(wc -c < "$OUT/corpus.txt") bytes" >&2

if [ -n "${SKIP_PRETRAIN:-}" ]; then
  cp "$SKIP_PRETRAIN" "$OUT/pretrained.fenlei"
else
  /usr/bin/time -f "%e %U %S" -o "$OUT/pretrain.time" "$FENLEI" pretrain --size tiny \
      -i "$OUT/corpus.txt" -o "$OUT/pretrained.fenlei" --epochs "$PT_EPOCHS" -t "$PT_THREADS" \
      --seed 42 2> "$OUT/pretrain.log"
  read -r wall user sys < "$OUT/pretrain.time"
  echo "# pretrained: wall ${wall} s, CPU $(echo "$user + $sys" | bc) s, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  tr '\r' '\n' < "$OUT/pretrain.log" | grep -vE '^epoch .*%' | sed 's/^/#   /' >&2
fi
"$FENLEI" pretrain --size tiny -i "$OUT/corpus.txt" -o "$OUT/random.fenlei" --epochs 0 \
    --seed 42 2> /dev/null

# The `transformer` preset's training defaults (transformer_preset_flag_defaults()), spelt out.
PRESET_FLAGS="--epochs 6 --batch-size 32 --lr 1e-3 --warmup-ratio 0.1 --lr-schedule linear
  --weight-decay 0.01 --patience 2 --monitor valid_loss --max-len 128"

echo "| dataset | training rows | encoder | acc / macro-F1 | best epoch / run | fine-tune wall s (CPU s) |"
echo "|---|---|---|---|---|---|"
for ds in $DATASETS; do
  train=$(bench_train_rows "$DATA" "$ds" "$OUT" "$SUBSET")
  n=$(( $(wc -l < "$train") - 1 ))
  for init in $INITS; do
    m=$OUT/$init.$ds.fenlei
    # shellcheck disable=SC2086
    /usr/bin/time -f "%e %U %S" -o "$OUT/$init.$ds.time" "$FENLEI" train --init "$OUT/$init.fenlei" \
        -i "$train" --valid "$DATA/$ds/dev.tsv" -o "$m" $PRESET_FLAGS --seed 42 -t "$THREADS" \
        2> "$OUT/$init.$ds.stderr"
    "$FENLEI" test "$m" "$DATA/$ds/test.tsv" --json > "$OUT/$init.$ds.test.json"
    acc=$(jq -r '.accuracy' "$OUT/$init.$ds.test.json"); f1=$(jq -r '.macro_f1' "$OUT/$init.$ds.test.json")
    best=$(grep "(saved)" "$OUT/$init.$ds.stderr" | tail -1 | sed -E 's/.*epoch ([0-9]+)\/.*/\1/')
    run=$(grep -E "^epoch [0-9]+/" "$OUT/$init.$ds.stderr" | tail -1 | sed -E 's/^epoch ([0-9]+)\/.*/\1/')
    read -r wall user sys < "$OUT/$init.$ds.time"
    printf "| %s | %d | %s | %.4f / %.4f | %s / %s | %.0f (%.0f) |\n" "$ds" "$n" "$init" "$acc" "$f1" \
        "$best" "$run" "$wall" "$(echo "$user + $sys" | bc)"
  done
done
echo "# end: $(uptime)" >&2
