#!/usr/bin/env bash
# Issue #15, dpcnn: training throughput and peak RSS of fenlei's dpcnn preset against the
# PyTorch reference (bench/reference/dpcnn.py --speed) in the same run, then int8 vs float
# inference (accuracy and end-to-end `fenlei test` time) of the model fenlei trained.
#
#   bench/dpcnn_bench.sh [DATASET]          (default chnsenticorp_htl)
#   env: LIMIT=N (first N training rows; default 2000: the machine is shared, see docs)
#        THREADS=1  BATCH=32  FENLEI=path/to/fenlei  SKIP_TORCH=1  PY=venv python (bench_lib.sh)
# Both systems train one epoch of the same rows with the same batch size and thread count;
# fenlei's examples/s is training examples over the epoch's training seconds from its --log.
set -euo pipefail
# shellcheck source=bench/bench_lib.sh
source "$(dirname "$0")/bench_lib.sh"
bench_require_python

dataset=${1:-chnsenticorp_htl}
limit=${LIMIT:-2000}
threads=${THREADS:-1}
bs=${BATCH:-32}
out=$(bench_out_dir dpcnn)
bench_header "dpcnn $dataset (first $limit training rows, batch $bs, $threads thread(s))"

head -n $((limit + 1)) "$DATA_DIR/$dataset/train.tsv" >"$out/train.tsv"
cp "$DATA_DIR/$dataset/dev.tsv" "$out/dev.tsv"

if [ "${SKIP_TORCH:-0}" != 1 ]; then
  run_logged "$PY" "$REF/dpcnn.py" --speed --dataset "$dataset" --batch-size "$bs" \
    --threads "$threads" --limit "$limit" --no-peak >"$out/torch.json"
fi
run_logged /usr/bin/time -v -o "$out/fenlei.time" "$FENLEI" train --input "$out/train.tsv" \
  --valid "$out/dev.tsv" --output "$out/m.fenlei" --model dpcnn --epochs 1 --batch-size "$bs" \
  --threads "$threads" --seed 1 --checkpoint none --log "$out/fenlei.jsonl" -q \
  >"$out/fenlei.stdout" 2>&1
run_logged "$FENLEI" quantize "$out/m.fenlei" -o "$out/m.int8.fenlei" >/dev/null 2>&1
for m in m m.int8; do
  s=$(date +%s.%N)
  "$FENLEI" test "$out/$m.fenlei" "$DATA_DIR/$dataset/test.tsv" --json >"$out/$m.test.json"
  e=$(date +%s.%N)
  echo "$m test: accuracy $(jq -r .accuracy "$out/$m.test.json"), $(echo "$e - $s" | bc -l) s end to end"
done

fenlei_eps=$(jq -s '[.[] | select(.examples_per_second != null)][0].examples_per_second // empty' \
  "$out/fenlei.jsonl")
fenlei_rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$out/fenlei.time")
echo "fenlei dpcnn: ${fenlei_eps:-?} examples/s, peak RSS ${fenlei_rss} MB"
# Examples per CPU second, less sensitive to the load than wall-clock rates: fenlei's counts the
# whole process (jieba, tokenising, validation included: a lower bound on its training rate),
# PyTorch's the training epoch alone (examples_per_cpu_second of dpcnn.py).
fenlei_cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {print s}' "$out/fenlei.time")
fenlei_epc=$(echo "$limit / $fenlei_cpu" | bc -l | cut -c1-6)
echo "fenlei dpcnn: $fenlei_epc examples per CPU second (whole process, $fenlei_cpu s)"
if [ -f "$out/torch.json" ]; then
  torch_eps=$(jq -r .examples_per_second "$out/torch.json")
  torch_rss=$(jq -r .peak_rss_mb "$out/torch.json")
  echo "pytorch dpcnn: $torch_eps examples/s, peak RSS $torch_rss MB"
  [ -n "$fenlei_eps" ] && echo "ratio: $(echo "$fenlei_eps / $torch_eps" | bc -l | cut -c1-5)x throughput, $(echo "$fenlei_rss / $torch_rss" | bc -l | cut -c1-5)x memory"
  torch_epc=$(jq -r '.examples_per_cpu_second // empty' "$out/torch.json")
  [ -n "$torch_epc" ] && echo "pytorch dpcnn: $torch_epc examples per CPU second (training epoch); ratio per CPU second: $(echo "$fenlei_epc / $torch_epc" | bc -l | cut -c1-5)x"
fi
echo "raw results: $out"
