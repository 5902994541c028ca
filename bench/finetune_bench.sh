#!/usr/bin/env bash
# Does fine-tuning pay? Reproduces the transfer table of docs/compression.md:
#   base:      seed-cnn trained on online_shopping_senti (train.tsv, validated on dev.tsv)
#   finetuned: the base fine-tuned on the first 500 rows of chnsenticorp_htl/train.tsv
#   scratch:   seed-cnn trained on the same 500 rows from scratch
# Both small runs get the same epoch budget and validate (best epoch) on chnsenticorp dev.tsv;
# all are tested on chnsenticorp test.tsv. The small runs repeat for each seed in SEEDS.
#   bench/finetune_bench.sh [BUILD_DIR] [BASE_EPOCHS] [EPOCHS]   (SEEDS="1 2 3")
set -euo pipefail
BUILD=${1:-build}; BASE_EPOCHS=${2:-2}; EPOCHS=${3:-5}
SEEDS=${SEEDS:-"1 2 3"}
SHARED=$(cd "$(dirname "$0")/../../shared/data" 2>/dev/null && pwd || echo ../shared/data)
FENLEI=$BUILD/fenlei
OUT=${OUT:-/tmp/fenlei_finetune_bench}; mkdir -p "$OUT"
SRC=$SHARED/online_shopping_senti; DST=$SHARED/chnsenticorp_htl
echo "# $(uptime)" >&2
head -n 501 "$DST/train.tsv" > "$OUT/htl_500.tsv"  # header + the first 500 data rows
acc() { "$FENLEI" test "$1" "$DST/test.tsv" --json | sed 's/.*"accuracy":\([0-9.]*\).*/\1/'; }
base=$OUT/shopping.seed-cnn.fenlei
if [ ! -f "$base" ]; then
  s=$(date +%s)
  "$FENLEI" train -i "$SRC/train.tsv" --valid "$SRC/dev.tsv" -m seed-cnn --epochs "$BASE_EPOCHS" \
      -o "$base" --checkpoint none -q
  echo "# base trained in $(( $(date +%s) - s )) s" >&2
fi
echo "| epochs | seed | base (no htl data) | from scratch (500) | fine-tuned (500) | difference |"
echo "|---|---|---:|---:|---:|---:|"
b=$(printf %.4f "$(acc "$base")"); sum_s=0; sum_f=0; k=0
for seed in $SEEDS; do
  "$FENLEI" train -i "$OUT/htl_500.tsv" --valid "$DST/dev.tsv" -m seed-cnn --epochs "$EPOCHS" \
      --seed "$seed" -o "$OUT/scratch.$EPOCHS.$seed.fenlei" --checkpoint none -q
  "$FENLEI" finetune "$base" -i "$OUT/htl_500.tsv" --valid "$DST/dev.tsv" --epochs "$EPOCHS" \
      --seed "$seed" -o "$OUT/finetuned.$EPOCHS.$seed.fenlei" -q
  as=$(acc "$OUT/scratch.$EPOCHS.$seed.fenlei"); af=$(acc "$OUT/finetuned.$EPOCHS.$seed.fenlei")
  printf "| %s | %s | %s | %.4f | %.4f | %+.2f points |\n" "$EPOCHS" "$seed" "$b" "$as" "$af" "$(echo "100 * ($af - $as)" | bc -l)"
  sum_s=$(echo "$sum_s + $as" | bc -l); sum_f=$(echo "$sum_f + $af" | bc -l); k=$((k + 1))
done
ms=$(echo "$sum_s / $k" | bc -l); mf=$(echo "$sum_f / $k" | bc -l)
printf "| %s | mean | %s | %.4f | %.4f | %+.2f points |\n" "$EPOCHS" "$b" "$ms" "$mf" "$(echo "100 * ($mf - $ms)" | bc -l)"
