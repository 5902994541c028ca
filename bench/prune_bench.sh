#!/usr/bin/env bash
# Reproduces the pruning table of docs/compression.md: for each preset, train a float model on
# a dataset, prune it (`fenlei prune`, recovery fine-tune on train.tsv, validated on dev.tsv),
# then compare file size, model-compute speed (from prune's report), end-to-end `fenlei
# predict` throughput (segmentation included) and test accuracy of the two files.
#   bench/prune_bench.sh [BUILD_DIR] [EPOCHS] [SPARSITY] [DATASET]
#   PRESETS="seed-cnn textcnn" PRUNE_EPOCHS=1 to choose
set -euo pipefail
BUILD=${1:-build}; EPOCHS=${2:-2}; SPARSITY=${3:-0.5}; DS=${4:-chnsenticorp_htl}
PRESETS=${PRESETS:-"seed-cnn textcnn"}
PRUNE_EPOCHS=${PRUNE_EPOCHS:-1}
SHARED=$(cd "$(dirname "$0")/../../shared/data" 2>/dev/null && pwd || echo ../shared/data)
FENLEI=$BUILD/fenlei
OUT=${OUT:-/tmp/fenlei_prune_bench}; mkdir -p "$OUT"
D=$SHARED/$DS
echo "# $(uptime)" >&2
cut -f2- "$D/test.tsv" | tail -n +2 > "$OUT/$DS.txt"
n=$(wc -l < "$OUT/$DS.txt")
acc() { "$FENLEI" test "$1" "$D/test.tsv" --json | sed 's/.*"accuracy":\([0-9.]*\).*/\1/'; }
tput() { local s e; s=$(date +%s.%N); "$FENLEI" predict "$1" < "$OUT/$DS.txt" > /dev/null; e=$(date +%s.%N); echo "$n / ($e - $s)" | bc -l; }
echo "| dataset | preset | filters | float bytes | pruned bytes | ratio | pruned + int8 bytes | parameters | compute (ex/s) | compute pruned | speed-up | predict (texts/s) | predict pruned | test acc | test acc pruned | dev acc right after the cut |"
echo "|---|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for preset in $PRESETS; do
  m=$OUT/$DS.$preset
  [ -f "$m.fenlei" ] || "$FENLEI" train -i "$D/train.tsv" --valid "$D/dev.tsv" -m "$preset" \
      --epochs "$EPOCHS" -o "$m.fenlei" --checkpoint none -q
  r=$("$FENLEI" prune "$m.fenlei" --sparsity "$SPARSITY" --train "$D/train.tsv" --valid "$D/dev.tsv" \
      --epochs "$PRUNE_EPOCHS" -o "$m.pruned.fenlei" -q)
  echo "$r" >&2
  fb=$(stat -c %s "$m.fenlei"); pb=$(stat -c %s "$m.pruned.fenlei")
  params=$(echo "$r" | awk -F'\t' '/^parameters/{split($2,a," "); print a[1] " → " a[3]}')
  filters=$(echo "$r" | awk -F'\t' '/^filters/{split($2,a," "); print a[1] " → " a[3]}')
  sp=$(echo "$r" | awk -F'\t' '/^speed/{split($2,a," "); print a[1], a[3]}')
  after_cut=$(echo "$r" | awk -F'\t' '/^accuracy/{match($2,/; [0-9.]+ right/); print substr($2,RSTART+2,RLENGTH-8)}')
  "$FENLEI" quantize "$m.pruned.fenlei" -o "$m.pruned.int8.fenlei" > /dev/null
  qb=$(stat -c %s "$m.pruned.int8.fenlei")
  tf=$(tput "$m.fenlei"); tp=$(tput "$m.pruned.fenlei")
  printf "| %s | %s | %s | %d | %d | %.2fx | %d | %s | %s | %s | %.2fx | %.0f | %.0f | %.4f | %.4f | %s |\n" \
    "$DS" "$preset" "$filters" "$fb" "$pb" "$(echo "$fb / $pb" | bc -l)" "$qb" "$params" ${sp% *} ${sp#* } \
    "$(echo "${sp#* } / ${sp% *}" | bc -l)" "$tf" "$tp" "$(acc "$m.fenlei")" "$(acc "$m.pruned.fenlei")" \
    "$after_cut"
done
