#!/usr/bin/env bash
# Reproduces the int8 table of docs/compression.md: for each dataset and preset, train a float
# model, quantise it (accuracy before/after on test.tsv), and time `fenlei predict` end to end
# (segmentation included) on the test texts with the float and the int8 model.
#   bench/quant_bench.sh [BUILD_DIR] [EPOCHS] [DATASETS...] ; PRESETS="seed-cnn textcnn" to choose
set -euo pipefail
BUILD=${1:-build}; EPOCHS=${2:-3}; shift $(( $# > 2 ? 2 : $# )) || true
DATASETS=${*:-"chnsenticorp_htl thucnews_titles online_shopping_senti online_shopping_cats"}
PRESETS=${PRESETS:-"seed-cnn textcnn fasttext"}
SHARED=$(cd "$(dirname "$0")/../../shared/data" 2>/dev/null && pwd || echo ../shared/data)
FENLEI=$BUILD/fenlei
OUT=${OUT:-/tmp/fenlei_quant_bench}; mkdir -p "$OUT"
echo "| dataset | preset | float bytes | int8 bytes | ratio | float acc | int8 acc | predict float (texts/s) | predict int8 (texts/s) | speed-up |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for ds in $DATASETS; do
  cut -f2- "$SHARED/$ds/test.tsv" | tail -n +2 > "$OUT/$ds.txt"
  n=$(wc -l < "$OUT/$ds.txt")
  for preset in $PRESETS; do
    m=$OUT/$ds.$preset
    [ -f "$m.fenlei" ] || "$FENLEI" train -i "$SHARED/$ds/train.tsv" --valid "$SHARED/$ds/dev.tsv" \
        -m "$preset" --epochs "$EPOCHS" -o "$m.fenlei" --checkpoint none -q
    q=$("$FENLEI" quantize "$m.fenlei" -o "$m.int8.fenlei" --test "$SHARED/$ds/test.tsv")
    fb=$(stat -c %s "$m.fenlei"); qb=$(stat -c %s "$m.int8.fenlei")
    acc=$(echo "$q" | awk -F'\t' '/^accuracy/{split($2,a," "); print a[1], a[3]}')
    t() { local s e; s=$(date +%s.%N); "$FENLEI" predict "$1" < "$OUT/$ds.txt" > /dev/null; e=$(date +%s.%N); echo "$n / ($e - $s)" | bc -l; }
    tf=$(t "$m.fenlei"); tq=$(t "$m.int8.fenlei")
    printf "| %s | %s | %d | %d | %.2fx | %s | %s | %.0f | %.0f | %.2fx |\n" "$ds" "$preset" "$fb" "$qb" \
      "$(echo "$fb / $qb" | bc -l)" ${acc% *} ${acc#* } "$tf" "$tq" "$(echo "$tq / $tf" | bc -l)"
  done
done
