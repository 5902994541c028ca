#!/usr/bin/env bash
# Issue 15: test accuracy of the PyTorch references of fenlei's presets (bilstm, gru, rcnn:
# reference/torch_textrnn.py; dpcnn: reference/dpcnn.py) with the presets' training recipe
# (vocab 10k jieba words, Adam 1e-3, batch 32, best epoch on dev loss, patience 2), one thread,
# train.tsv -> best epoch on dev.tsv -> test.tsv. Prints one Markdown row per dataset and
# network: accuracy / macro-F1, best epoch / epochs run, CPU seconds of the whole process.
#   bench/torch_accuracy.sh [DATASETS...]
#   PRESETS="bilstm gru rcnn dpcnn" EPOCHS=10 (the cap; match the fenlei run compared with)
#   MAXLEN=N (padding length; default 128, 32 for the titles) OUT=/tmp/dir PY=python SEED=1
set -euo pipefail
DATASETS=${*:-"trec_en sst2_en"}
PRESETS=${PRESETS:-"bilstm gru rcnn"}
EPOCHS=${EPOCHS:-10}
SEED=${SEED:-1}
PY=${PY:-/work/benchvenv/bin/python}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/fenlei_torch_accuracy}; mkdir -p "$OUT"
for ds in $DATASETS; do
  for p in $PRESETS; do
    script=$HERE/reference/torch_textrnn.py
    [ "$p" = dpcnn ] && script=$HERE/reference/dpcnn.py
    # shellcheck disable=SC2086
    OMP_NUM_THREADS=1 /usr/bin/time -f "%e %U" -o "$OUT/$ds.$p.time" "$PY" "$script" --accuracy \
        --model "$p" --dataset "$ds" --threads 1 --seed "$SEED" --epochs "$EPOCHS" \
        --monitor valid_loss --patience 2 ${MAXLEN:+--maxlen "$MAXLEN"} \
        > "$OUT/$ds.$p.json" 2> "$OUT/$ds.$p.err"
    read -r wall cpu < "$OUT/$ds.$p.time"
    jq -r --arg cpu "$cpu" --arg wall "$wall" '"| \(.dataset) | \(.model) | \(.n_train) | " +
        "\(.test_accuracy * 10000 | round / 10000) / \(.test_macro_f1 * 10000 | round / 10000) | " +
        "\(.best_epoch) / \(.epochs_run) | \($cpu) (\($wall) wall) |"' \
        "$OUT/$ds.$p.json"
  done
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
