#!/usr/bin/env bash
# Training speed and memory of the from-scratch `transformer` preset against the same network in
# PyTorch + transformers, in the same run (issue #15). fenlei trains the preset (2 x 128, 2
# heads, FFN 512, vocabulary built from the texts) for one epoch on the first N texts of each
# dataset; its model is exported (`fenlei export --to hf`), so PyTorch trains exactly that network
# (BertForSequenceClassification, same vocabulary and shapes) with the same batch size (32), max
# length (128) and optimiser (AdamW 1e-3, clipping 1.0, dropout on), batches padded to their
# longest text as transformers' DataCollatorWithPadding does; fenlei runs each text at its own
# length. Reports examples/s (wall and per CPU-second: on a shared machine wall time measures
# the neighbours) and peak RSS (getrusage / /usr/bin/time), one JSON line per run.
#   PY=/work/benchvenv/bin/python bench/transformer_preset_bench.sh [BUILD] [N]
#   (THREADS="1" DATASETS="chnsenticorp_htl sst2_en")
set -euo pipefail
BUILD=${1:-build}; N=${2:-2000}
THREADS=${THREADS:-1}; DATASETS=${DATASETS:-"chnsenticorp_htl sst2_en"}
PY=${PY:-/work/benchvenv/bin/python}
HERE=$(cd "$(dirname "$0")" && pwd)
SHARED=$(cd "$HERE/../../shared/data" 2>/dev/null && pwd || echo ../shared/data)
FENLEI=$BUILD/fenlei
OUT=${OUT:-/tmp/fenlei_transformer_preset_bench}; mkdir -p "$OUT"
echo "# start: $(uptime)" >&2
for ds in $DATASETS; do
  head -n $((N + 1)) "$SHARED/$ds/train.tsv" > "$OUT/$ds.train.tsv"
  for t in $THREADS; do
    /usr/bin/time -f "peak_rss_kb %M" -o "$OUT/time.txt" "$FENLEI" train --model transformer \
      -i "$OUT/$ds.train.tsv" --validation-split 0 -o "$OUT/$ds.fenlei" --epochs 1 \
      --threads "$t" 2> "$OUT/fenlei.log"
    line=$(grep 'examples/s' "$OUT/fenlei.log")
    wall=$(echo "$line" | sed 's/.* \([0-9.]*\) examples\/s.*/\1/')
    cpu=$(echo "$line" | sed 's/.* \([0-9.]*\) per CPU-second.*/\1/')
    rss=$(awk '/peak_rss_kb/{print $2}' "$OUT/time.txt")
    echo "{\"dataset\": \"$ds\", \"system\": \"fenlei\", \"threads\": $t, \"examples_per_s_wall\": $wall, \"examples_per_cpu_s\": $cpu, \"peak_rss_mb\": $((rss / 1024))}"
    "$FENLEI" export "$OUT/$ds.fenlei" --to hf "$OUT/$ds.hf" --force -q
    "$PY" "$HERE/reference/transformer_finetune_ref.py" "$OUT/$ds.hf" "$OUT/$ds.train.tsv" \
      --threads "$t" --batch 32 --max-len 128 --lr 1e-3 2>/dev/null |
      sed "s/^{/{\"dataset\": \"$ds\", /"
  done
done
echo "# end: $(uptime)" >&2
