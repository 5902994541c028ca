#!/usr/bin/env bash
# Does MLM pretraining pay, with the compute a shared 2-core VM has? docs/pretraining.md:
#   corpus:     LINES unlabelled texts drawn (fixed seed) from the text column of every Chinese
#               dataset's train.tsv (chnsenticorp_htl, online_shopping_*, thucnews_titles)
#   pretrained: `fenlei pretrain --size tiny` on the corpus, PT_EPOCHS epochs
#   random:     the same encoder (same vocabulary) untrained (`--epochs 0`)
#   both fine-tuned with `fenlei train --init` on chnsenticorp_htl train (validated on dev.tsv,
#   best epoch kept) with identical options, tested on test.tsv.
#   bench/pretrain_bench.sh [BUILD_DIR]   (LINES=6000 PT_EPOCHS=2 FT_EPOCHS=3 THREADS=2)
set -euo pipefail
BUILD=${1:-build}
LINES=${LINES:-6000}; PT_EPOCHS=${PT_EPOCHS:-2}; FT_EPOCHS=${FT_EPOCHS:-3}; THREADS=${THREADS:-2}
FT_LR=${FT_LR:-5e-4}; PT_LR=${PT_LR:-5e-4}
SHARED=$(cd "$(dirname "$0")/../../shared/data" 2>/dev/null && pwd || echo ../shared/data)
FENLEI=$BUILD/fenlei
OUT=${OUT:-/tmp/fenlei_pretrain_bench}; mkdir -p "$OUT"
DST=$SHARED/chnsenticorp_htl
echo "# $(uptime)" >&2
for d in chnsenticorp_htl online_shopping_cats online_shopping_senti thucnews_titles; do
  tail -n +2 "$SHARED/$d/train.tsv" | cut -f2-
done | sort -u | shuf -n "$LINES" --random-source=<(yes 42) > "$OUT/corpus.txt"
echo "# corpus: $(wc -l < "$OUT/corpus.txt") lines, $(wc -c < "$OUT/corpus.txt") bytes" >&2
s=$(date +%s)
"$FENLEI" pretrain --size tiny -i "$OUT/corpus.txt" -o "$OUT/pretrained.fenlei" \
    --epochs "$PT_EPOCHS" --lr "$PT_LR" -t "$THREADS" 2> "$OUT/pretrain.log"
echo "# pretrained in $(( $(date +%s) - s )) s: $(tr '\r' '\n' < "$OUT/pretrain.log" | grep -E 'masked-token accuracy|saved' | tr '\n' ' ')" >&2
"$FENLEI" pretrain --size tiny -i "$OUT/corpus.txt" -o "$OUT/random.fenlei" --epochs 0 2> /dev/null
acc() { "$FENLEI" test "$1" "$DST/test.tsv" --json | sed 's/.*"accuracy":\([0-9.]*\).*/\1/'; }
f1() { "$FENLEI" test "$1" "$DST/test.tsv" --json | sed 's/.*"macro_f1":\([0-9.]*\).*/\1/'; }
echo "| encoder | fine-tune s | test accuracy | macro-F1 |"
echo "|---|---:|---:|---:|"
for init in random pretrained; do
  s=$(date +%s)
  "$FENLEI" train --init "$OUT/$init.fenlei" -i "$DST/train.tsv" --valid "$DST/dev.tsv" \
      --epochs "$FT_EPOCHS" --lr "$FT_LR" --warmup-ratio 0.1 -t "$THREADS" \
      -o "$OUT/$init.htl.fenlei" 2> "$OUT/$init.finetune.log"
  t=$(( $(date +%s) - s ))
  printf "| tiny BERT, %s | %s | %.4f | %.4f |\n" "$init" "$t" "$(acc "$OUT/$init.htl.fenlei")" "$(f1 "$OUT/$init.htl.fenlei")"
done
