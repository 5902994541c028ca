#!/usr/bin/env bash
# Transformer encoders: fenlei (float, int8) against PyTorch and ONNX Runtime (float; int8 by its
# dynamic quantisation; model exported by torch.onnx, transformer graph optimisations on), one
# thread each, random weights of the shapes of bert-base-chinese, RBT3 and ELECTRA-small,
# shared texts tokenised to at most 128 tokens. Model compute only (ids prepared beforehand).
#
#   PY=/work/benchvenv/bin/python bench/transformer_bench.sh
#   SHAPES="electra-small rbt3" SINGLE=50 BATCHES=2 PY=... bench/transformer_bench.sh
#
# Needs a build with -DFENLEI_BUILD_BENCHMARKS=ON (target transformer_latency) and a venv with
# torch, transformers, onnx and onnxruntime. Checkpoints go to $MODELS (made once, ~600 MB).
# Raw JSON lines: bench/out/transformer/<time>/results.jsonl.
set -euo pipefail
source "$(dirname "$0")/bench_lib.sh"
bench_require_python
LATENCY=${LATENCY:-$REPO_DIR/build/bench/transformer_latency}
MODELS=${MODELS:-/tmp/fenlei_transformer_bench}
SHAPES=${SHAPES:-"electra-small rbt3 bert-base-chinese"}
SINGLE=${SINGLE:-100}
BATCHES=${BATCHES:-4}
[ -x "$LATENCY" ] || { echo "error: build transformer_latency (-DFENLEI_BUILD_BENCHMARKS=ON)" >&2; exit 1; }
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
[ -d "$MODELS/electra-small" ] || "$PY" "$REF/transformer_ref.py" make "$MODELS"
out=$(bench_out_dir transformer)
echo "# $(date -u +%FT%TZ) $(nproc) cpus: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)" | tee "$out/README"
for shape in $SHAPES; do
  d="$MODELS/$shape"
  {
    "$LATENCY" "$d" "$d/ids.jsonl" --single "$SINGLE" --batches "$BATCHES"
    "$LATENCY" "$d" "$d/ids.jsonl" --single "$SINGLE" --batches "$BATCHES" --int8
    "$PY" "$REF/transformer_ref.py" run "$d" --single "$SINGLE" --batches "$BATCHES" 2>/dev/null
  } | sed "s/^{/{\"shape\": \"$shape\", /" | tee -a "$out/results.jsonl"
done
"$PY" - "$out/results.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("\n| shape | system | p50 ms | p99 ms | batch 32 texts/s |\n|---|---|---|---|---|")
for r in rows:
    print("| %s | %s | %.1f | %.1f | %.1f |" % (r["shape"], r["system"], r["p50_ms"], r["p99_ms"],
                                              r["batch32_texts_per_s"]))
PY
