#!/usr/bin/env bash
# Transformer encoders: fenlei (float on packed weights, float on [out][in] weights as before
# (--unpacked), bf16, int8) against PyTorch and ONNX Runtime (float; int8 by its
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
    echo "{\"system\": \"load\", \"uptime\": \"$(cut -d' ' -f1-3 /proc/loadavg)\"}"
    "$LATENCY" "$d" "$d/ids.jsonl" --single "$SINGLE" --batches "$BATCHES"
    "$LATENCY" "$d" "$d/ids.jsonl" --single "$SINGLE" --batches "$BATCHES" --unpacked
    "$LATENCY" "$d" "$d/ids.jsonl" --single "$SINGLE" --batches "$BATCHES" --bf16
    "$LATENCY" "$d" "$d/ids.jsonl" --single "$SINGLE" --batches "$BATCHES" --int8
    "$PY" "$REF/transformer_ref.py" run "$d" --single "$SINGLE" --batches "$BATCHES" 2>/dev/null
    "$PY" "$REF/ort_rss.py" "$d" model.opt.onnx 2>/dev/null
    "$PY" "$REF/ort_rss.py" "$d" model.int8.onnx 2>/dev/null
  } | sed "s/^{/{\"shape\": \"$shape\", /" | tee -a "$out/results.jsonl"
done
[ -x "${DENSE:-$REPO_DIR/build/bench/dense_kernels}" ] &&
  "${DENSE:-$REPO_DIR/build/bench/dense_kernels}" | tee "$out/dense_kernels.jsonl"
"$PY" - "$out/results.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
# Same precision compared: float and bf16 against ORT float, int8 against ORT int8.
base = {"fenlei": "onnxruntime", "fenlei-openblas": "onnxruntime", "fenlei-unpacked": "onnxruntime", "fenlei-bf16": "onnxruntime",
        "fenlei-int8": "onnxruntime-int8"}
timed = {(r["shape"], r["system"]): r for r in rows if "p50_ms" in r}
rss = {(r["shape"], r["system"]): r for r in rows if "rss_mb" in r}
print("\n| shape | system | p50 ms | p99 ms | batch 32 texts/s | p50 vs ORT | batch vs ORT | RSS MB (model) | GFLOP/s |")
print("|---|---|---|---|---|---|---|---|---|")
for r in rows:
    if r["system"] == "load":
        print("| %s | load average %s | | | | | | |" % (r["shape"], r["uptime"]))
        continue
    if "p50_ms" not in r:
        continue
    o = timed.get((r["shape"], base.get(r["system"], "")))
    ratio = ("%.2fx" % (o["p50_ms"] / r["p50_ms"]), "%.2fx" % (r["batch32_texts_per_s"] / o["batch32_texts_per_s"])) if o else ("", "")
    m = rss.get((r["shape"], r["system"]))
    mem = "%.0f (%.0f)" % (m["rss_mb"], m["rss_model_mb"]) if m else ""
    print("| %s | %s | %.1f | %.1f | %.1f | %s | %s | %s | %s |" % (r["shape"], r["system"], r["p50_ms"], r["p99_ms"],
                                                       r["batch32_texts_per_s"], ratio[0], ratio[1], mem,
                                                       "%.0f" % r["gflops"] if "gflops" in r else ""))
PY
