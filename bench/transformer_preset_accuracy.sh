#!/usr/bin/env bash
# Accuracy of the from-scratch `transformer` preset (docs/accuracy.md, issue #15): trains with
# the preset's defaults on each dataset's train.tsv (best epoch on dev.tsv), tests on test.tsv
# and prints one Markdown row per dataset: accuracy / macro-F1, best epoch, wall and CPU seconds.
#   bench/transformer_preset_accuracy.sh [BUILD_DIR] [DATASETS...]
#   THREADS=1 OUT=/tmp/dir EXTRA="--seed 1" SUBSET="online_shopping_senti:2" to vary the run;
#   SUBSET=name:k trains on every k-th training row of that dataset (dev/test stay whole).
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

echo "| dataset | train texts | transformer acc / F1 | best epoch / run | train wall s (CPU s) |"
echo "|---|---|---|---|---|"
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
  printf "| %s | %d | %.4f / %.4f | %s / %s | %.0f (%.0f) |\n" "$ds" "$n" "$acc" "$f1" "$best_epoch" "$run" "$wall" "$cpu"

done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
