#!/usr/bin/env bash
# One text on 1 and 2 threads: fenlei's packed float encoder with intra-op threads
# (transformer_latency --threads N) against ONNX Runtime (intra_op_num_threads = N), wall-clock
# single-text p50/p99 and batches of 32 (fenlei: texts one after another, each split over the
# threads; ORT: one padded batch), on the checkpoints bench/transformer_bench.sh made.
#
#   MODELS=/tmp/hf_tbench PY=/work/benchvenv/bin/python nice bench/transformer_threads.sh
#   INT8=1 ... the same with fenlei's int8 model (--int8) against ORT's dynamically quantised one.
#
# Wall time on a shared machine measures the neighbours too: the load average is printed before
# each shape; compare fenlei and ORT within one run only.
set -euo pipefail
source "$(dirname "$0")/bench_lib.sh"
bench_require_python
LATENCY=${LATENCY:-$REPO_DIR/build/bench/transformer_latency}
MODELS=${MODELS:-/tmp/fenlei_transformer_bench}
SHAPES=${SHAPES:-"electra-small rbt3 bert-base-chinese"}
SINGLE=${SINGLE:-40}
BATCHES=${BATCHES:-1}
precision=()
[ "${INT8:-0}" = 1 ] && precision=(--int8)
[ -x "$LATENCY" ] || { echo "error: build transformer_latency (-DFENLEI_BUILD_BENCHMARKS=ON)" >&2; exit 1; }
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
out=$(bench_out_dir transformer_threads)
for shape in $SHAPES; do
  d="$MODELS/$shape"
  {
    echo "{\"system\": \"load\", \"uptime\": \"$(cut -d' ' -f1-3 /proc/loadavg)\"}"
    for t in 1 2; do
      "$LATENCY" "$d" "$d/ids.jsonl" --single "$SINGLE" --batches "$BATCHES" --threads "$t" --wall "${precision[@]}"
      "$PY" "$REF/ort_threads.py" "$d" --threads "$t" --single "$SINGLE" --batches "$BATCHES" "${precision[@]}" 2>/dev/null
    done
  } | sed "s/^{/{\"shape\": \"$shape\", /" | tee -a "$out/results.jsonl"
done
