#!/usr/bin/env bash
# Two builds of transformer_latency on the same ids, interleaved (before, after, before, after,
# ... for float, int8 and bf16), then PyTorch and ONNX Runtime (bench/reference/transformer_ref.py
# run: float and ORT's int8) once per shape: one thread everywhere, process CPU time, so a change
# to the encoder is measured against its parent and against ORT within one run, minutes apart.
#
#   BEFORE=/work/main/build/bench/transformer_latency MODELS=/tmp/hf_tbench \
#     PY=/work/benchvenv/bin/python REPS=3 SINGLE=60 nice bench/transformer_ab.sh
#
# Prints, per shape and precision, the median over REPS of each build's p50 and batch-of-32
# throughput and their ratios to ORT at the same precision (float and bf16 against ORT float,
# int8 against ORT int8). Raw JSON lines: bench/out/transformer_ab/<time>/results.jsonl.
set -euo pipefail
source "$(dirname "$0")/bench_lib.sh"
bench_require_python
BEFORE=${BEFORE:?BEFORE=path of the other build\'s transformer_latency}
AFTER=${AFTER:-$REPO_DIR/build/bench/transformer_latency}
MODELS=${MODELS:-/tmp/fenlei_transformer_bench}
SHAPES=${SHAPES:-"electra-small rbt3 bert-base-chinese"}
SINGLE=${SINGLE:-60}
BATCHES=${BATCHES:-1}
REPS=${REPS:-3}
for b in "$BEFORE" "$AFTER"; do
  [ -x "$b" ] || { echo "error: $b not built (-DFENLEI_BUILD_BENCHMARKS=ON)" >&2; exit 1; }
done
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
out=$(bench_out_dir transformer_ab)
for shape in $SHAPES; do
  d="$MODELS/$shape"
  {
    echo "{\"system\": \"load\", \"uptime\": \"$(cut -d' ' -f1-3 /proc/loadavg)\"}"
    for _ in $(seq "$REPS"); do
      for precision in "" --int8 --bf16; do
        for build in before after; do
          bin=$BEFORE
          [ "$build" = after ] && bin=$AFTER
          "$bin" "$d" "$d/ids.jsonl" --single "$SINGLE" --batches "$BATCHES" $precision |
            sed "s/^{/{\"build\": \"$build\", /"
        done
      done
    done
    "$PY" "$REF/transformer_ref.py" run "$d" --single "$SINGLE" --batches "$BATCHES" 2>/dev/null
    echo "{\"system\": \"load\", \"uptime\": \"$(cut -d' ' -f1-3 /proc/loadavg)\"}"
  } | sed "s/^{/{\"shape\": \"$shape\", /" | tee -a "$out/results.jsonl"
done
"$PY" - "$out/results.jsonl" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
ref = {(r["shape"], r["system"]): r for r in rows if "build" not in r and "p50_ms" in r}
load = {}
for r in rows:
    if r["system"] == "load":
        load.setdefault(r["shape"], []).append(r["uptime"].split()[0])
base = {"fenlei": "onnxruntime", "fenlei-bf16": "onnxruntime", "fenlei-int8": "onnxruntime-int8"}
print("\n| shape (load) | system | p50 before | p50 after | after vs before | after vs ORT | batch/s before | batch/s after | GFLOP/s after |")
print("|---|---|---|---|---|---|---|---|---|")
for shape in dict.fromkeys(r["shape"] for r in rows):
    for system in ("fenlei", "fenlei-int8", "fenlei-bf16"):
        got = {b: [r for r in rows if r["shape"] == shape and r.get("build") == b and r["system"] == system]
               for b in ("before", "after")}
        if not got["before"] or not got["after"]:
            continue
        med = {b: statistics.median(r["p50_ms"] for r in got[b]) for b in got}
        thr = {b: statistics.median(r["batch32_texts_per_s"] for r in got[b]) for b in got}
        gf = statistics.median(r["gflops"] for r in got["after"])
        o = ref.get((shape, base[system]))
        vs = "%.2fx" % (o["p50_ms"] / med["after"]) if o else ""
        print("| %s (%s) | %s | %.2f | %.2f | %.3fx | %s | %.1f | %.1f | %.0f |" % (
            shape, "-".join(load.get(shape, [])), system, med["before"], med["after"],
            med["before"] / med["after"], vs, thr["before"], thr["after"], gf))
    for system in ("onnxruntime", "onnxruntime-int8"):
        o = ref.get((shape, system))
        if o:
            print("| %s | %s | | %.2f | | | | %.1f | |" % (shape, system, o["p50_ms"], o["batch32_texts_per_s"]))
PY
