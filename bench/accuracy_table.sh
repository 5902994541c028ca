#!/usr/bin/env bash
# Reproduces the accuracy table of docs/accuracy.md: trains every preset with its own default
# flags on each dataset's train.tsv (model selection on dev.tsv), tests on test.tsv, and prints
# one Markdown table with accuracy / macro-F1 and training time next to the reference systems
# of ../shared/ANCHORS.md.
#   bench/accuracy_table.sh [BUILD_DIR] [DATASETS...]
#   PRESETS="seed-cnn fasttext" THREADS=2 OUT=/tmp/dir EXTRA="--seed 1" to vary the run.
# Data: ../shared/data/<dataset>/{train,dev,test}.tsv (see that folder's README for the sources).
set -euo pipefail
BUILD=${1:-build}; shift $(( $# > 0 ? 1 : 0 ))
DATASETS=${*:-"chnsenticorp_htl online_shopping_cats online_shopping_senti thucnews_titles"}
PRESETS=${PRESETS:-"seed-cnn textcnn fasttext"}
THREADS=${THREADS:-2}
EXTRA=${EXTRA:-}
DATA=${DATA:-$(cd "$(dirname "$0")/../../shared/data" 2>/dev/null && pwd || echo ../shared/data)}
FENLEI=$BUILD/fenlei
OUT=${OUT:-/tmp/fenlei_accuracy_table}; mkdir -p "$OUT"

# Reference numbers (ANCHORS.md, test split): best fastText seen, PyTorch seed-cnn, and the
# target for the best preset (the best reference system).
ref_fasttext() { case $1 in chnsenticorp_htl) echo "0.883 / 0.862";; online_shopping_cats) echo "0.899 / 0.892";;
  online_shopping_senti) echo "0.924 / 0.924";; thucnews_titles) echo "0.861 / 0.860";; *) echo "-";; esac; }
ref_seed() { case $1 in chnsenticorp_htl) echo "0.872 / 0.850";; online_shopping_cats) echo "0.891 / 0.886";;
  thucnews_titles) echo "0.813 / 0.815";; *) echo "-";; esac; }
ref_best() { case $1 in chnsenticorp_htl) echo 0.883;; online_shopping_cats) echo 0.899;;
  online_shopping_senti) echo 0.924;; thucnews_titles) echo 0.861;; *) echo 0;; esac; }

header="| dataset"; rule="|---"
for p in $PRESETS; do header+=" | $p acc / F1 (train s)"; rule+="|---"; done
header+=" | seed-cnn vs PyTorch (-0.005 allowed) | best preset | target (best reference) | fastText best | PyTorch seed-cnn |"; rule+="|---|---|---|---|---|"
rows=()
for ds in $DATASETS; do
  row="| $ds"; best_acc=0; best_p=-; seed_acc=
  for p in $PRESETS; do
    m=$OUT/$ds.$p.fenlei
    s=$(date +%s.%N)
    # shellcheck disable=SC2086
    "$FENLEI" train -i "$DATA/$ds/train.tsv" --valid "$DATA/$ds/dev.tsv" -m "$p" -o "$m" \
        --threads "$THREADS" --checkpoint none --log "$OUT/$ds.$p.log.jsonl" -q $EXTRA \
        2> "$OUT/$ds.$p.stderr"
    e=$(date +%s.%N)
    "$FENLEI" test "$m" "$DATA/$ds/test.tsv" --json > "$OUT/$ds.$p.test.json"
    acc=$(jq -r '.accuracy' "$OUT/$ds.$p.test.json"); f1=$(jq -r '.macro_f1' "$OUT/$ds.$p.test.json")
    row+=$(printf " | %.4f / %.4f (%.0f)" "$acc" "$f1" "$(echo "$e - $s" | bc -l)")
    if (( $(echo "$acc > $best_acc" | bc -l) )); then best_acc=$acc; best_p=$p; fi
    [ "$p" = seed-cnn ] && seed_acc=$acc
    echo "$ds $p accuracy $acc macro-F1 $f1" >&2
  done
  target=$(ref_best "$ds")
  verdict=$(echo "$best_acc >= $target" | bc -l)
  ref=$(ref_seed "$ds"); ref=${ref%% *}
  if [ -z "$seed_acc" ] || [ "$ref" = - ]; then seed_cmp=-
  elif (( $(echo "$seed_acc >= $ref - 0.005" | bc -l) )); then seed_cmp=$(printf "ok (%+.4f)" "$(echo "$seed_acc - $ref" | bc -l)")
  else seed_cmp=$(printf "missed (%+.4f)" "$(echo "$seed_acc - $ref" | bc -l)"); fi
  row+=" | $seed_cmp"
  row+=$(printf " | %s %.4f %s | %s | %s | %s |" "$best_p" "$best_acc" \
    "$([ "$verdict" = 1 ] && echo ok || echo "missed by $(printf %.4f "$(echo "$target - $best_acc" | bc -l)")")" \
    "$target" "$(ref_fasttext "$ds")" "$(ref_seed "$ds")")
  rows+=("$row")
done
echo "$("$FENLEI" --version 2>/dev/null | head -1), $THREADS threads, $(date -u +%F), load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "$header"; echo "$rule"
for r in "${rows[@]}"; do echo "$r"; done
