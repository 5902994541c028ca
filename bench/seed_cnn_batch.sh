#!/usr/bin/env bash
# Batch inference of a float cnn model (issue 17: seed-cnn, 1 thread) against PyTorch in the same
# run: bench/quant_speed times the held-out test texts repeated to 24,000 in batches of 256 as
# (a) model compute on ids ready (texts encoded once; PyTorch's setting) and (b) Classifier::predict
# with segmentation and vocabulary lookup included, CPU time of the one calling thread, best of
# ROUNDS; then torch_textcnn.py --inference --threads 1 (batch-256 forward on ids ready, padded to
# 128, OMP_WAIT_POLICY=PASSIVE) on the same dataset. BEFORE=path/to/an older quant_speed binary
# adds that binary's figures (same run) for a before/after.
#   bench/seed_cnn_batch.sh FLOAT.fenlei INT8.fenlei [DATASET] [BUILD_DIR]   env: ROUNDS=3 BEFORE=
set -euo pipefail
# shellcheck source=bench/bench_lib.sh
source "$(dirname "$0")/bench_lib.sh"
bench_require_python
float=${1:?usage: bench/seed_cnn_batch.sh FLOAT.fenlei INT8.fenlei [DATASET] [BUILD_DIR]}
int8=${2:?int8 model}
dataset=${3:-online_shopping_cats}
build=${4:-$REPO_DIR/build}
rounds=${ROUNDS:-3}
test_file=$DATA_DIR/$dataset/test.tsv
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
summary() {  # label json
  python3 - "$1" "$2" <<'PY'
import json, sys
j = json.loads(sys.argv[2]); f = j["float"]; n = j["texts"]
print(f"{sys.argv[1]}: float ids ready {n / f['compute_ms'] * 1e3:,.0f} texts/s CPU "
      f"({n / f['compute_wall_ms'] * 1e3:,.0f} wall); with segmentation "
      f"{n / f['predict_ms'] * 1e3:,.0f} texts/s CPU ({n / f['predict_wall_ms'] * 1e3:,.0f} wall); "
      f"int8 ids ready {n / j['int8']['compute_ms'] * 1e3:,.0f} CPU; accuracy {f['accuracy']:.4f}")
PY
}
if [ -n "${BEFORE:-}" ]; then
  before=$(nice "$BEFORE" "$float" "$int8" "$test_file" --texts 24000 --rounds "$rounds")
  echo "$before"
  summary "before ($BEFORE)" "$before"
fi
after=$(nice "$build/bench/quant_speed" "$float" "$int8" "$test_file" --texts 24000 --rounds "$rounds")
echo "$after"
summary "fenlei ($build)" "$after"
torch=$(OMP_WAIT_POLICY=PASSIVE nice "$PY" "$REF/torch_textcnn.py" --inference --model seed-cnn \
  --dataset "$dataset" --threads 1 --latency-samples 200 2>/dev/null)
echo "$torch"
python3 - "$torch" "$after" <<'PY'
import json, sys
t, a = json.loads(sys.argv[1]), json.loads(sys.argv[2])
cpu = t["batch256_examples_per_cpu_second"]; f = a["float"]; n = a["texts"]
print(f"PyTorch batch-256 ids ready: {cpu:,.0f} texts/s CPU ({t['batch256_examples_per_second']:,.0f} wall)")
print(f"ratio fenlei / PyTorch (CPU): ids ready {n / f['compute_ms'] * 1e3 / cpu:.1f}x, "
      f"fenlei with segmentation {n / f['predict_ms'] * 1e3 / cpu:.1f}x")
PY
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
