#!/usr/bin/env bash
# Reproduces the table of docs/distillation.md: per dataset, a teacher (textcnn, or an ensemble
# textcnn + fasttext), the student trained alone, and the same student distilled from the
# teacher (same seed, same data; with the unused rest of the training file as --unlabeled when
# the training file was subsampled). Reports test accuracy and `fenlei test` throughput
# (texts/s, segmentation included, one thread) of teacher and student.
#   bench/distill_bench.sh [BUILD_DIR]
#   DATASETS="trec_en sst2_en" STUDENT=fasttext MAX_TRAIN=8000 MAX_UNLABELED=20000 EPOCHS=5
#   THREADS=2 TEMPERATURE=2 ALPHA=0.5 ENSEMBLE=1 to choose
#   SWEEP=trec_en: instead, dev accuracy of the distilled student over T x alpha on one dataset
set -euo pipefail
BUILD=${1:-build}
FENLEI=$BUILD/fenlei
SHARED=$(cd "$(dirname "$0")/../../shared/data" 2>/dev/null && pwd || echo ../shared/data)
DATASETS=${DATASETS:-"chnsenticorp_htl online_shopping_cats online_shopping_senti thucnews_titles sst2_en trec_en"}
STUDENT=${STUDENT:-seed-cnn}
MAX_TRAIN=${MAX_TRAIN:-8000}          # training rows kept (a seeded shuffle); the rest is unlabelled
MAX_UNLABELED=${MAX_UNLABELED:-20000}
EPOCHS=${EPOCHS:-5}
THREADS=${THREADS:-2}
TEMPERATURE=${TEMPERATURE:-2}
ALPHA=${ALPHA:-0.5}
ENSEMBLE=${ENSEMBLE:-0}               # 1: the teacher is textcnn + fasttext (mean probabilities)
SEED=${SEED:-7}
OUT=${OUT:-/tmp/fenlei_distill_bench}; mkdir -p "$OUT"
echo "# $(uptime); student $STUDENT, T $TEMPERATURE, alpha $ALPHA, epochs $EPOCHS, threads $THREADS" >&2

acc() {
  printf '%.3f' "$("$FENLEI" test "$1" "$2" --json --threads 1 | sed 's/.*"accuracy":\([0-9.]*\).*/\1/')"
}
# Texts per second of `fenlei test` on one thread (segmentation and inference): the time on the
# test split (repeated) minus the time on its first row (model loading, which for a fasttext model
# with a large bigram table outweighs a small test set), each the best of two runs.
best_time() {
  local best=1e9 s e t
  for _ in 1 2; do
    s=$(date +%s.%N); "$FENLEI" test "$1" "$2" --threads 1 > /dev/null; e=$(date +%s.%N)
    best=$(awk -v s="$s" -v e="$e" -v b="$best" 'BEGIN { t = e - s; print (t < b ? t : b) }')
  done
  echo "$best"
}
# The test split repeated to at least SPEED_TEXTS rows, so that timing noise stays small.
SPEED_TEXTS=${SPEED_TEXTS:-50000}
speed() {
  local n all one rows
  rows=$(($(wc -l < "$2") - 1))
  head -1 "$2" > "$OUT/speed.tsv"
  for _ in $(seq $(((SPEED_TEXTS + rows - 1) / rows))); do tail -n +2 "$2" >> "$OUT/speed.tsv"; done
  n=$(($(wc -l < "$OUT/speed.tsv") - 2))
  head -2 "$2" > "$OUT/one_row.tsv"
  all=$(best_time "$1" "$OUT/speed.tsv"); one=$(best_time "$1" "$OUT/one_row.tsv")
  printf '%.0f' "$(echo "$n / ($all - $one)" | bc -l)"
}
train() {  # train OUTPUT PRESET DATA [more flags]
  local out=$1 preset=$2 data=$3; shift 3
  [ -f "$out" ] || "$FENLEI" train -i "$data" --valid "$D/dev.tsv" -m "$preset" --epochs "$EPOCHS" \
      --seed "$SEED" --threads "$THREADS" --checkpoint none -o "$out" -q "$@"
}

if [ -n "${SWEEP:-}" ]; then
  D=$SHARED/$SWEEP; p=$OUT/$SWEEP
  head -1 "$D/train.tsv" > "$p.train.tsv"
  tail -n +2 "$D/train.tsv" | shuf --random-source=<(yes) > "$p.shuffled"
  head -n "$MAX_TRAIN" "$p.shuffled" >> "$p.train.tsv"
  train "$p.textcnn.fenlei" textcnn "$p.train.tsv"
  train "$p.$STUDENT.alone.fenlei" "$STUDENT" "$p.train.tsv"
  echo "$SWEEP dev accuracy: teacher $(acc "$p.textcnn.fenlei" "$D/dev.tsv"), $STUDENT alone $(acc "$p.$STUDENT.alone.fenlei" "$D/dev.tsv")"
  echo "| T \\ alpha | 0.3 | 0.5 | 0.9 |"
  echo "|---|---:|---:|---:|"
  for t in 1 2 4; do
    row="| $t |"
    for a in 0.3 0.5 0.9; do
      m=$p.$STUDENT.T$t.a$a.fenlei
      [ -f "$m" ] || "$FENLEI" distill --teacher "$p.textcnn.fenlei" --student "$STUDENT" \
          -i "$p.train.tsv" --valid "$D/dev.tsv" --epochs "$EPOCHS" --seed "$SEED" \
          --threads "$THREADS" --temperature "$t" --alpha "$a" --checkpoint none -o "$m" -q
      row="$row $(acc "$m" "$D/dev.tsv") |"
    done
    echo "$row"
  done
  exit 0
fi

echo "| dataset | train rows (unlabelled) | teacher | teacher acc | $STUDENT alone | distilled | distilled + unlabelled | teacher texts/s | student texts/s |"
echo "|---|---|---|---:|---:|---:|---:|---:|---:|"
for ds in $DATASETS; do
  D=$SHARED/$ds
  p=$OUT/$ds
  total=$(($(wc -l < "$D/train.tsv") - 1))
  # A seeded shuffle: the first MAX_TRAIN rows train, the next MAX_UNLABELED are unlabelled.
  head -1 "$D/train.tsv" > "$p.train.tsv"
  tail -n +2 "$D/train.tsv" | shuf --random-source=<(yes) > "$p.shuffled"
  head -n "$MAX_TRAIN" "$p.shuffled" >> "$p.train.tsv"
  # (awk, not head: head closing the pipe early would end the script under pipefail)
  awk -F'\t' -v a="$MAX_TRAIN" -v b="$((MAX_TRAIN + MAX_UNLABELED))" 'NR > a && NR <= b { print $2 }' \
      "$p.shuffled" > "$p.unlabeled.txt"
  rows=$(($(wc -l < "$p.train.tsv") - 1)); unl=$(wc -l < "$p.unlabeled.txt")
  train "$p.textcnn.fenlei" textcnn "$p.train.tsv"
  teachers=(--teacher "$p.textcnn.fenlei"); tname=textcnn
  if [ "$ENSEMBLE" = 1 ]; then
    train "$p.fasttext.fenlei" fasttext "$p.train.tsv"
    teachers+=(--teacher "$p.fasttext.fenlei"); tname="textcnn+fasttext"
  fi
  train "$p.$STUDENT.alone.fenlei" "$STUDENT" "$p.train.tsv"
  d=$p.$STUDENT.distilled.$tname.fenlei
  [ -f "$d" ] || "$FENLEI" distill "${teachers[@]}" --student "$STUDENT" -i "$p.train.tsv" \
      --valid "$D/dev.tsv" --epochs "$EPOCHS" --seed "$SEED" --threads "$THREADS" \
      --temperature "$TEMPERATURE" --alpha "$ALPHA" --checkpoint none -o "$d" -q
  du=-
  if [ "$unl" -gt 0 ]; then
    u=$p.$STUDENT.distilled_unlabeled.$tname.fenlei
    [ -f "$u" ] || "$FENLEI" distill "${teachers[@]}" --student "$STUDENT" -i "$p.train.tsv" \
        --unlabeled "$p.unlabeled.txt" --valid "$D/dev.tsv" --epochs "$EPOCHS" --seed "$SEED" \
        --threads "$THREADS" --temperature "$TEMPERATURE" --alpha "$ALPHA" --checkpoint none \
        -o "$u" -q
    du=$(acc "$u" "$D/test.tsv")
  fi
  ts=$(speed "$p.textcnn.fenlei" "$D/test.tsv")
  if [ "$ENSEMBLE" = 1 ]; then
    ta="$(acc "$p.textcnn.fenlei" "$D/test.tsv") / $(acc "$p.fasttext.fenlei" "$D/test.tsv")"
    # An ensemble runs both members on every text.
    fs=$(speed "$p.fasttext.fenlei" "$D/test.tsv")
    ts="$(printf '%.0f' "$(echo "1 / (1 / $ts + 1 / $fs)" | bc -l)") ($ts / $fs)"
  else
    ta=$(acc "$p.textcnn.fenlei" "$D/test.tsv")
  fi
  echo "| $ds | $rows of $total ($unl) | $tname | $ta | $(acc "$p.$STUDENT.alone.fenlei" "$D/test.tsv") | $(acc "$d" "$D/test.tsv") | $du | $ts | $(speed "$d" "$D/test.tsv") |"
done
