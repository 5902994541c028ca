#!/usr/bin/env bash
# Accuracy on the test split: for every dataset and preset, fenlei train (train.tsv, --valid
# dev.tsv, default flags, 2 threads) -> fenlei test test.tsv --json, printed as a Markdown table
# next to the ANCHORS.md reference numbers. With REFERENCE=1 the PyTorch (seed-cnn, textcnn;
# 10 epochs, best on dev) and fastText (words and chars) references are re-run in the same run.
#
#   bench/accuracy_table.sh
#   env: DATASETS="chnsenticorp_htl online_shopping_cats online_shopping_senti thucnews_titles"
#        PRESETS="seed-cnn textcnn fasttext"  REFERENCE=1  EPOCHS=N (fenlei and PyTorch)
#        LIMIT=N (first N rows of each split, smoke test)  FENLEI=path/to/fenlei
set -euo pipefail
# shellcheck source=bench/bench_lib.sh
source "$(dirname "$0")/bench_lib.sh"
bench_require_python

datasets=${DATASETS:-chnsenticorp_htl online_shopping_cats online_shopping_senti thucnews_titles}
presets=${PRESETS:-seed-cnn textcnn fasttext}
out=$(bench_out_dir accuracy_table)
bench_header "accuracy_table (datasets: $datasets; presets: $presets${LIMIT:+; limit $LIMIT})"

fenlei_ok=1
if ! fenlei_has train; then fenlei_ok=0; fenlei_why_missing train; fi
if [ "$fenlei_ok" = 1 ] && ! fenlei_has test; then fenlei_ok=0; fenlei_why_missing test; fi
limit_args=()
[ -n "${LIMIT:-}" ] && limit_args=(--limit "$LIMIT")
epoch_args=()
[ -n "${EPOCHS:-}" ] && epoch_args=(--epochs "$EPOCHS")

split_file() {  # split_file DATASET SPLIT -> path (a sliced copy when LIMIT is set)
  local src=$DATA_DIR/$1/$2.tsv
  if [ -z "${LIMIT:-}" ]; then echo "$src"; return; fi
  head -n $((LIMIT + 1)) "$src" >"$out/$1.$2.tsv" && echo "$out/$1.$2.tsv"
}

for d in $datasets; do
  train=$(split_file "$d" train) dev=$(split_file "$d" dev) test=$(split_file "$d" test)
  for p in $presets; do
    if [ "$fenlei_ok" = 1 ]; then
      start=$(date +%s.%N)
      if run_logged "$FENLEI" train --input "$train" --valid "$dev" --output "$out/$d.$p.fenlei" \
           --model "$p" --threads 2 "${epoch_args[@]}" --log "$out/fenlei.$d.$p.jsonl" \
           >"$out/fenlei.$d.$p.train.log" 2>&1; then
        echo "$(date +%s.%N) - $start" | bc >"$out/fenlei.$d.$p.seconds"
        run_logged "$FENLEI" test "$out/$d.$p.fenlei" "$test" --json \
          >"$out/fenlei.$d.$p.test.json" 2>"$out/fenlei.$d.$p.test.log" \
          || echo "fenlei test failed for $d/$p: see $out/fenlei.$d.$p.test.log"
      else
        echo "fenlei train failed for $d/$p: see $out/fenlei.$d.$p.train.log"
      fi
      rm -f "$out/$d.$p.fenlei"
    fi
    if [ "${REFERENCE:-0}" = 1 ]; then
      case $p in
        seed-cnn|textcnn)
          run_logged "$PY" "$REF/torch_textcnn.py" --accuracy --model "$p" --dataset "$d" \
            --epochs "${EPOCHS:-10}" "${limit_args[@]}" >"$out/ref.$d.$p.json" || true ;;
        fasttext)
          run_logged "$PY" "$REF/fasttext_ref.py" --dataset "$d" "${limit_args[@]}" \
            >"$out/ref.$d.$p.json" || true ;;
      esac
    fi
  done
done

"$PY" "$REF/report.py" accuracy "$out" --datasets "$datasets" --presets "$presets" | tee "$out/table.md"
echo
echo "ANCHORS reference = ../shared/ANCHORS.md (2026-11-28); fastText repeat runs differ by up to 0.003."
echo "raw results: $out"
