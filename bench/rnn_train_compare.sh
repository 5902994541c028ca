#!/usr/bin/env bash
# Issue 15: training throughput and peak RSS of fenlei's recurrent presets against the same
# networks in PyTorch (bench/reference/torch_textrnn.py: nn.LSTM/nn.GRU over packed sequences),
# same data, same run, one thread each, one after the other. Both time one epoch over the first
# N training rows (vocabulary 10k, 128 tokens, batch 32, Adam); PyTorch leaves its first 5
# batches untimed, fenlei reports the whole epoch (its tokenisation excluded).
#   bench/rnn_train_compare.sh [BUILD_DIR] [DATASET] [N]     (PRESETS="bilstm gru rcnn")
set -euo pipefail
BUILD=${1:-build}; DS=${2:-chnsenticorp_htl}; N=${3:-1500}
PRESETS=${PRESETS:-"bilstm gru rcnn"}
PY=${PY:-/work/benchvenv/bin/python}
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${DATA:-$(cd "$HERE/../../shared/data" && pwd)}
OUT=${OUT:-/tmp/fenlei_rnn_compare}; mkdir -p "$OUT"
head -n $((N + 1)) "$DATA/$DS/train.tsv" > "$OUT/train.tsv"   # header + N rows, as --limit N
head -n 501 "$DATA/$DS/dev.tsv" > "$OUT/dev.tsv"
echo "| preset | PyTorch ex/s | PyTorch peak RSS MB | fenlei ex/s | fenlei peak RSS MB | speed-up | memory ratio |"
echo "|---|---|---|---|---|---|---|"
for p in $PRESETS; do
  OMP_NUM_THREADS=1 "$PY" "$HERE/reference/torch_textrnn.py" --speed --model "$p" --dataset "$DS" \
      --limit "$N" --threads 1 --no-peak > "$OUT/$p.torch.json" 2> "$OUT/$p.torch.err"
  /usr/bin/time -f "%M" -o "$OUT/$p.fenlei.rss" "$BUILD/fenlei" train -i "$OUT/train.tsv" \
      --valid "$OUT/dev.tsv" -m "$p" -o "$OUT/$p.fenlei" --threads 1 --seed 1 --epochs 1 \
      --checkpoint none --log "$OUT/$p.log.jsonl" -q 2> "$OUT/$p.fenlei.err"
  te=$(jq -r .examples_per_second "$OUT/$p.torch.json"); tm=$(jq -r .peak_rss_mb "$OUT/$p.torch.json")
  fe=$(head -1 "$OUT/$p.log.jsonl" | jq -r .examples_per_second)
  fm=$(( $(cat "$OUT/$p.fenlei.rss") / 1024 ))
  printf "| %s | %.1f | %.0f | %.1f | %d | %.2fx | %.2f |\n" "$p" "$te" "$tm" "$fe" "$fm" \
    "$(echo "$fe / $te" | bc -l)" "$(echo "$fm / $tm" | bc -l)"
done
