#!/usr/bin/env bash
# Training speed, same run, same machine: PyTorch (--speed), the seed's Keras model and fenlei
# train one epoch each for seed-cnn and textcnn at batch 32 and 128 with 2 threads, then print
# examples/s, the fenlei/PyTorch ratio and peak RSS. Absolute numbers drift on a shared machine;
# the ratio from one run is what to quote.
#
#   bench/train_compare.sh [DATASET]        (default online_shopping_cats)
#   env: MODELS="seed-cnn textcnn"  BATCHES="32 128"  LIMIT=N (first N rows, smoke test)
#        SKIP_KERAS=1  SKIP_TORCH=1  FENLEI=path/to/fenlei
set -euo pipefail
# shellcheck source=bench/bench_lib.sh
source "$(dirname "$0")/bench_lib.sh"
bench_require_python

dataset=${1:-online_shopping_cats}
models=${MODELS:-seed-cnn textcnn}
batches=${BATCHES:-32 128}
out=$(bench_out_dir train_compare)
bench_header "train_compare $dataset (models: $models; batches: $batches${LIMIT:+; limit $LIMIT})"

train_tsv=$DATA_DIR/$dataset/train.tsv
dev_tsv=$DATA_DIR/$dataset/dev.tsv
limit_args=()
if [ -n "${LIMIT:-}" ]; then
  # fenlei has no --limit: give it the same first rows the Python references take.
  head -n $((LIMIT + 1)) "$train_tsv" >"$out/train.tsv"
  head -n $((LIMIT + 1)) "$dev_tsv" >"$out/dev.tsv"
  train_tsv=$out/train.tsv dev_tsv=$out/dev.tsv
  limit_args=(--limit "$LIMIT")
fi

fenlei_ok=1
fenlei_has train || { fenlei_ok=0; fenlei_why_missing train; }
if [ ! -x /usr/bin/time ]; then echo "note: /usr/bin/time missing (apt install time): no fenlei RSS"; fi

for model in $models; do
  for bs in $batches; do
    tag=$model.$bs
    if [ "${SKIP_TORCH:-0}" != 1 ]; then
      run_logged "$PY" "$REF/torch_textcnn.py" --speed --model "$model" --dataset "$dataset" \
        --batch-size "$bs" --threads 2 "${limit_args[@]}" >"$out/torch.$tag.json" \
        || echo "{\"error\": \"torch run failed\"}" >"$out/torch.$tag.json"
    fi
    if [ "$model" = seed-cnn ] && [ "${SKIP_KERAS:-0}" != 1 ]; then
      run_logged "$PY" "$REF/keras_seed.py" --speed --dataset "$dataset" --batch-size "$bs" \
        --threads 2 "${limit_args[@]}" >"$out/keras.$tag.json" 2>"$out/keras.$tag.stderr" \
        || echo "{\"error\": \"keras run failed, see keras.$tag.stderr\"}" >"$out/keras.$tag.json"
    fi
    if [ "$fenlei_ok" = 1 ]; then
      timev=()
      [ -x /usr/bin/time ] && timev=(/usr/bin/time -v -o "$out/fenlei.$tag.time")
      run_logged "${timev[@]}" "$FENLEI" train --input "$train_tsv" --valid "$dev_tsv" \
        --output "$out/fenlei.$tag.fenlei" --model "$model" --epochs 1 --batch-size "$bs" \
        --threads 2 --seed 1 --log "$out/fenlei.$tag.jsonl" >"$out/fenlei.$tag.stdout" 2>&1 \
        || echo "fenlei train failed for $tag: see $out/fenlei.$tag.stdout"
      rm -f "$out/fenlei.$tag.fenlei"
    fi
  done
done

"$PY" "$REF/report.py" train "$out" --models "$models" --batches "$batches" | tee "$out/table.md"
echo
echo "raw results: $out"
