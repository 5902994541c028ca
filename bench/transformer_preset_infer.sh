#!/usr/bin/env bash
# Inference of the from-scratch `transformer` preset against the same network in PyTorch +
# transformers' tokenizer, end to end, in the same run (issue #15: "inference >= 10x PyTorch +
# python jieba end to end"; a transformer's preprocessing is WordPiece, so the PyTorch pipeline
# counts transformers' tokenizer where the CNN comparison counts python jieba).
#
# fenlei trains the preset for one epoch on the first N training texts (inference time does not
# depend on the weights' values), quantises it, and exports it (`fenlei export --to hf`), so
# PyTorch runs exactly that network (BertForSequenceClassification, same vocabulary and
# shapes). On the test texts, one thread each:
#   fenlei:  bench/predict_latency (the library API, WordPiece tokenisation included): single
#            text p50/p99 in steady state, batch-256 texts/s (wall and per CPU-second)
#   PyTorch: bench/reference/transformer_infer_ref.py: single text ids ready and with the
#            faster of transformers' two tokenizers, batch-256 (fast tokenizer) padded to each
#            batch's longest text with an attention mask
# and prints fenlei / PyTorch ratios.
#   PY=/work/benchvenv/bin/python bench/transformer_preset_infer.sh [BUILD] [N]
#   (DATASETS="online_shopping_cats sst2_en", LIMIT=2000 test texts)
set -euo pipefail
BUILD=${1:-build}; N=${2:-2000}
DATASETS=${DATASETS:-"online_shopping_cats sst2_en"}; LIMIT=${LIMIT:-2000}
PY=${PY:-/work/benchvenv/bin/python}
HERE=$(cd "$(dirname "$0")" && pwd)
SHARED=$(cd "$HERE/../../shared/data" 2>/dev/null && pwd || echo ../shared/data)
FENLEI=$BUILD/fenlei
LATENCY=$BUILD/bench/predict_latency
if [ ! -x "$LATENCY" ]; then
  echo "error: $LATENCY not built: configure with -DFENLEI_BUILD_BENCHMARKS=ON and build" \
    "predict_latency" >&2
  exit 1
fi
OUT=${OUT:-/tmp/fenlei_transformer_preset_infer}; mkdir -p "$OUT"
echo "# start: $(uptime)" >&2
json() { "$PY" -c "import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2], {}, d))" "$1" "$2"; }
for ds in $DATASETS; do
  head -n $((N + 1)) "$SHARED/$ds/train.tsv" > "$OUT/$ds.train.tsv"
  head -n $((LIMIT + 1)) "$SHARED/$ds/test.tsv" > "$OUT/$ds.test.tsv"
  if [ ! -f "$OUT/$ds.fenlei" ]; then
    "$FENLEI" train --model transformer -i "$OUT/$ds.train.tsv" --validation-split 0 \
      -o "$OUT/$ds.fenlei" --epochs 1 --threads 1 -q
  fi
  "$FENLEI" quantize "$OUT/$ds.fenlei" -o "$OUT/$ds.int8.fenlei" -q
  "$FENLEI" export "$OUT/$ds.fenlei" --to hf "$OUT/$ds.hf" --force -q
  float=$("$LATENCY" "$OUT/$ds.fenlei" "$OUT/$ds.test.tsv" --threads 1)
  int8=$("$LATENCY" "$OUT/$ds.int8.fenlei" "$OUT/$ds.test.tsv" --threads 1)
  torch=$("$PY" "$HERE/reference/transformer_infer_ref.py" "$OUT/$ds.hf" "$OUT/$ds.test.tsv" \
    --threads 1 2>/dev/null)
  echo "{\"dataset\": \"$ds\", \"fenlei_float\": $float, \"fenlei_int8\": $int8, \"pytorch\": $torch}" \
    > "$OUT/$ds.json"
  echo "## $ds (${LIMIT} test texts, mean $(json "$torch" 'round(mean_tokens,1)') tokens)"
  echo "| system | single p50 / p99 us, CPU (wall) | batch-256 texts per CPU-s (wall) | p50 / p99 / batch vs PyTorch + tokenizer, CPU |"
  echo "|---|---|---|---|"
  tp50=$(json "$torch" 'single_with_tokenizer["cpu_p50_us"]')
  tp99=$(json "$torch" 'single_with_tokenizer["cpu_p99_us"]')
  tb=$(json "$torch" 'batch_with_tokenizer_texts_per_cpu_second')
  for k in single_ids single_with_tokenizer; do
    name=$([ $k = single_ids ] && echo "PyTorch, ids ready" || echo "**PyTorch + tokenizer**")
    b=$([ $k = single_ids ] && echo batch_ids || echo batch_with_tokenizer)
    echo "| $name | $(json "$torch" "'%.0f / %.0f (%.0f / %.0f)' % ($k['cpu_p50_us'], $k['cpu_p99_us'], $k['p50_us'], $k['p99_us'])") | $(json "$torch" "'%.0f (%.0f)' % (${b}_texts_per_cpu_second, ${b}_texts_per_second)") | $([ $k = single_ids ] || echo 1x) |"
  done
  for kind in float int8; do
    f=$([ $kind = float ] && echo "$float" || echo "$int8")
    echo "| fenlei $kind | $(json "$f" "'%.0f / %.0f (%.0f / %.0f)' % (single_cpu_p50_us, single_cpu_p99_us, single_p50_us, single_p99_us)") | $(json "$f" "'%.0f (%.0f)' % (batch_texts_per_cpu_second, batch_texts_per_second)") | $(json "$f" "'%.1fx / %.1fx / %.1fx' % ($tp50 / single_cpu_p50_us, $tp99 / single_cpu_p99_us, batch_texts_per_cpu_second / $tb)") |"
  done
  echo "(tokenizer CPU per text: python BertTokenizer $(json "$torch" 'round(tokenizer_mean_cpu_us["python"])') us, the fast tokenizer $(json "$torch" 'round(tokenizer_mean_cpu_us["fast"])') us; single texts used the $(json "$torch" 'single_text_tokenizer') one)"
done
echo "# end: $(uptime)" >&2
