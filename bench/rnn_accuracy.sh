#!/usr/bin/env bash
# Issue 15: test accuracy of the recurrent presets (bilstm, gru, rcnn) on the shared datasets,
# one thread, fixed seed, each preset with its own default flags (model selection on dev.tsv,
# accuracy on the full test.tsv). On the shared 2-core VM the training set may be subsampled:
# MAX_TRAIN=N keeps a fixed random N lines of train.tsv (shuf with a fixed seed; the files go to
# $OUT, never into the repository); EXTRA adds flags (e.g. "--epochs 5").
#   bench/rnn_accuracy.sh [BUILD_DIR] [DATASETS...]
#   PRESETS="bilstm gru rcnn" MAX_TRAIN=8000 EXTRA="--epochs 5" OUT=/tmp/dir
set -euo pipefail
BUILD=${1:-build}; shift $(( $# > 0 ? 1 : 0 ))
DATASETS=${*:-"chnsenticorp_htl online_shopping_cats online_shopping_senti thucnews_titles sst2_en trec_en"}
PRESETS=${PRESETS:-"bilstm gru rcnn"}
MAX_TRAIN=${MAX_TRAIN:-0}
EXTRA=${EXTRA:-}
DATA=${DATA:-$(cd "$(dirname "$0")/../../shared/data" 2>/dev/null && pwd || echo ../shared/data)}
OUT=${OUT:-/tmp/fenlei_rnn_accuracy}; mkdir -p "$OUT"
for ds in $DATASETS; do
  train=$DATA/$ds/train.tsv
  n=$(( $(wc -l < "$train") - 1 ))  # less the header
  if [ "$MAX_TRAIN" -gt 0 ] && [ "$n" -gt "$MAX_TRAIN" ]; then
    { head -n 1 "$train"; tail -n +2 "$train" | shuf -n "$MAX_TRAIN" --random-source=<(yes 15); } \
      > "$OUT/$ds.train.tsv"
    train=$OUT/$ds.train.tsv; n=$MAX_TRAIN
  fi
  for p in $PRESETS; do
    m=$OUT/$ds.$p.fenlei
    s=$(date +%s.%N)
    # shellcheck disable=SC2086
    /usr/bin/time -f "%e %U %M" -o "$OUT/$ds.$p.time" "$BUILD/fenlei" train -i "$train" \
        --valid "$DATA/$ds/dev.tsv" -m "$p" -o "$m" --threads 1 --seed 1 --checkpoint none \
        --log "$OUT/$ds.$p.log.jsonl" -q $EXTRA 2> "$OUT/$ds.$p.stderr"
    "$BUILD/fenlei" test "$m" "$DATA/$ds/test.tsv" --json > "$OUT/$ds.$p.test.json"
    read -r wall user rss < "$OUT/$ds.$p.time"
    printf "| %s | %s | %d | %.4f | %.4f | %.0f | %.0f |\n" "$ds" "$p" "$n" \
      "$(jq -r .accuracy "$OUT/$ds.$p.test.json")" "$(jq -r .macro_f1 "$OUT/$ds.$p.test.json")" \
      "$user" "$((rss / 1024))"
  done
done
