#!/usr/bin/env bash
# Fine-tuning speed and memory, fenlei vs PyTorch + transformers, in the same run: random-weight
# encoders of real shapes (bench/reference/transformer_ref.py: RBT3 = 3 x 768, 12 heads, FFN
# 3072, vocabulary 21,128; ELECTRA-small = 12 x 256, 4 heads, FFN 1024, 128-wide embeddings),
# the first N texts of chnsenticorp_htl/train.tsv, max length 128, batch 16, one epoch, AdamW
# 2e-5 with linear decay, clipping 1.0, dropout on (transformers' Trainer defaults). PyTorch
# pads each batch to its longest text (DataCollatorWithPadding); fenlei runs each text at its
# own length. Reports examples/s (wall and per CPU-second: on a shared machine wall time
# measures the neighbours) and peak RSS (/usr/bin/time), one JSON line per run.
#   PY=/work/benchvenv/bin/python bench/transformer_finetune_bench.sh [BUILD] [N]
#   (THREADS="1 2" SHAPES="rbt3 electra-small"; BASELINE=OTHER_BUILD also times OTHER_BUILD/fenlei,
#   e.g. main's, as "fenlei-baseline" in the same run)
set -euo pipefail
BUILD=${1:-build}; N=${2:-128}
THREADS=${THREADS:-"1 2"}; SHAPES=${SHAPES:-"rbt3 electra-small"}
PY=${PY:-/work/benchvenv/bin/python}
HERE=$(cd "$(dirname "$0")" && pwd)
SHARED=$(cd "$HERE/../../shared/data" 2>/dev/null && pwd || echo ../shared/data)
FENLEI=$BUILD/fenlei
OUT=${OUT:-/tmp/fenlei_transformer_finetune_bench}; mkdir -p "$OUT"
echo "# $(uptime)" >&2
[ -d "$OUT/shapes/rbt3" ] || "$PY" "$HERE/reference/transformer_ref.py" make "$OUT/shapes"
head -n $((N + 1)) "$SHARED/chnsenticorp_htl/train.tsv" > "$OUT/train.tsv"
for shape in $SHAPES; do
  "$FENLEI" import "$OUT/shapes/$shape" -o "$OUT/$shape.fenlei" --max-len 128 -q
  for t in $THREADS; do
    for bin in ${BASELINE:+"$BASELINE/fenlei"} "$FENLEI"; do
      name=fenlei; [ "$bin" = "$FENLEI" ] || name=fenlei-baseline
      /usr/bin/time -f "peak_rss_kb %M" -o "$OUT/time.txt" "$bin" train --init "$OUT/$shape.fenlei" \
        -i "$OUT/train.tsv" --validation-split 0 -o "$OUT/out.fenlei" --epochs 1 --batch-size 16 \
        --lr 2e-5 --threads "$t" 2> "$OUT/fenlei.log"
      line=$(grep 'examples/s' "$OUT/fenlei.log")
      wall=$(echo "$line" | sed 's/.* \([0-9.]*\) examples\/s.*/\1/')
      cpu=$(echo "$line" | sed 's/.* \([0-9.]*\) per CPU-second.*/\1/')
      rss=$(awk '/peak_rss_kb/{print $2}' "$OUT/time.txt")
      echo "{\"shape\": \"$shape\", \"system\": \"$name\", \"threads\": $t, \"examples_per_s_wall\": $wall, \"examples_per_cpu_s\": $cpu, \"peak_rss_mb\": $((rss / 1024))}"
    done
    /usr/bin/time -f "peak_rss_kb %M" -o "$OUT/time.txt" "$PY" "$HERE/reference/transformer_finetune_ref.py" \
      "$OUT/shapes/$shape" "$OUT/train.tsv" --threads "$t" --batch 16 --max-len 128 2>/dev/null |
      sed "s/^{/{\"shape\": \"$shape\", /"
  done
done
