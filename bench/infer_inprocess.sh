#!/usr/bin/env bash
# Inference in-process, segmentation included, against PyTorch + python jieba in the same run:
# bench/predict_latency (fenlei's library API; single-text p50/p99, first pass over the texts and
# steady state, and batch-256 texts/s) for every model found, and torch_textcnn.py --inference
# (one thread, passive OpenMP waiting: the stronger reference) for each CNN preset, and
# torch_fasttext.py for the fasttext preset (on python jieba words, the issue's "PyTorch + python
# jieba" pipeline, and on characters, the preset's own tokens, which need no segmenter), and
# torch_textrnn.py for the recurrent presets (bilstm, gru, rcnn: nn.LSTM/nn.GRU over packed
# sequences; fenlei float and int8 both with and without the per-token input-gate cache,
# FENLEI_RECURRENT_KERNEL=gemm). The report prints fenlei / (PyTorch + jieba) ratios. For dpcnn
# (PRESETS=dpcnn, issue #15) the reference is bench/reference/dpcnn.py, and the gemm row is the
# float forward on im2col + OpenBLAS sgemm instead of the convs on weights packed at load
# (core/dpcnn_packed_convs.h).
#
#   bench/infer_inprocess.sh [DATASET] [BUILD_DIR]   (defaults online_shopping_cats, build-bench)
#   env: MODELS_DIR=dir holding DATASET.PRESET.fenlei and DATASET.PRESET.int8.fenlei
#          (bench/accuracy_table.sh and bench/quant_accuracy.sh write them; default: train each
#          CNN preset with its default flags here, then quantise it)
#        PRESETS="seed-cnn textcnn fasttext" (or "bilstm gru rcnn", e.g. with chnsenticorp_htl)  SAMPLES=2000 (PyTorch single-text samples)  LIMIT=N
#        BATCH_ROUNDS=3 (batch-256 passes over the test set, timed after one untimed batch, both
#          sides; the fasttext reference times one)
set -euo pipefail
# shellcheck source=bench/bench_lib.sh
source "$(dirname "$0")/bench_lib.sh"
bench_require_python

dataset=${1:-online_shopping_cats}
build=${2:-$REPO_DIR/build-bench}
presets=${PRESETS:-seed-cnn textcnn fasttext}
latency=$build/bench/predict_latency
if [ ! -x "$latency" ]; then
  echo "error: $latency not built: cmake -S . -B build-bench -G Ninja -DFENLEI_BUILD_BENCHMARKS=ON" \
    "-DFENLEI_BUILD_TESTS=OFF && ninja -C build-bench predict_latency fenlei" >&2
  exit 1
fi
[ -x "$build/fenlei" ] && FENLEI=$build/fenlei
out=$(bench_out_dir infer_inprocess)
OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
export OMP_WAIT_POLICY
bench_header "infer_inprocess $dataset ($presets)"

test_file=$DATA_DIR/$dataset/test.tsv
limit_args=()
[ -n "${LIMIT:-}" ] && limit_args=(--limit "$LIMIT")
# Batch throughput: after one untimed batch, both sides classify the test set BATCH_ROUNDS
# times (one round of 776 reviews is three batches of 256 and ~0.1 s: too short to read).
rounds=${BATCH_ROUNDS:-3}
models_dir=${MODELS_DIR:-$out}

for preset in $presets; do
  float=$models_dir/$dataset.$preset.fenlei
  int8=$models_dir/$dataset.$preset.int8.fenlei
  if [ ! -f "$float" ]; then
    run_logged "$FENLEI" train --input "$DATA_DIR/$dataset/train.tsv" \
      --valid "$DATA_DIR/$dataset/dev.tsv" --output "$float" --model "$preset" --threads 2 \
      --seed 1 >"$out/$preset.train.log" 2>&1
  fi
  if [ ! -f "$int8" ]; then
    run_logged "$FENLEI" quantize "$float" --output "$int8" >"$out/$preset.quantize.log" 2>&1
  fi
  recurrent=false
  case $preset in bilstm | gru | rcnn) recurrent=true ;; esac
  # A recurrent model (float and int8) also without its per-token input-gate cache
  # (RECURRENT_BASELINE=unfused: with the cache, without the fused batched step).
  if $recurrent; then
    FENLEI_RECURRENT_KERNEL=${RECURRENT_BASELINE:-gemm} run_logged "$latency" "$float" "$test_file" "${limit_args[@]}" --batch-rounds "$rounds" \
      >"$out/fenlei.$preset.gemm.json"
    FENLEI_RECURRENT_KERNEL=${RECURRENT_BASELINE:-gemm} run_logged "$latency" "$int8" "$test_file" "${limit_args[@]}" --batch-rounds "$rounds" \
      >"$out/fenlei.$preset.int8-gemm.json"
  # A cnn's float model twice: the im2col + sgemm path and the per-token projections.
  elif [ "$preset" != fasttext ]; then
    FENLEI_CONV_KERNEL=gemm run_logged "$latency" "$float" "$test_file" "${limit_args[@]}" --batch-rounds "$rounds" \
      >"$out/fenlei.$preset.gemm.json"
  fi
  run_logged "$latency" "$float" "$test_file" "${limit_args[@]}" --batch-rounds "$rounds" >"$out/fenlei.$preset.float.json"
  run_logged "$latency" "$int8" "$test_file" "${limit_args[@]}" --batch-rounds "$rounds" >"$out/fenlei.$preset.int8.json"
  common=(--inference --dataset "$dataset" --threads 1 --latency-samples "${SAMPLES:-2000}"
    "${limit_args[@]}")
  if $recurrent; then
    run_logged "$PY" "$REF/torch_textrnn.py" "${common[@]}" --model "$preset" --batch-rounds "$rounds" \
      >"$out/torch.$preset.json" 2>"$out/torch.$preset.log" \
      || echo '{"error": "torch run failed"}' >"$out/torch.$preset.json"
  elif [ "$preset" != fasttext ]; then
    script=$REF/torch_textcnn.py
    [ "$preset" = dpcnn ] && script=$REF/dpcnn.py
    run_logged "$PY" "$script" "${common[@]}" --model "$preset" --batch-rounds "$rounds" \
      >"$out/torch.$preset.json" 2>"$out/torch.$preset.log" \
      || echo '{"error": "torch run failed"}' >"$out/torch.$preset.json"
  else
    run_logged "$PY" "$REF/torch_fasttext.py" "${common[@]}" --unit words \
      >"$out/torch.$preset.json" 2>"$out/torch.$preset.log" \
      || echo '{"error": "torch run failed"}' >"$out/torch.$preset.json"
    run_logged "$PY" "$REF/torch_fasttext.py" "${common[@]}" --unit chars \
      >"$out/torch.$preset-chars.json" 2>"$out/torch.$preset-chars.log" \
      || echo '{"error": "torch run failed"}' >"$out/torch.$preset-chars.json"
  fi
done

"$PY" "$REF/report.py" infer-inprocess "$out" --presets "$presets" | tee "$out/table.md"
echo
echo "CPU time (thread CPU per text, process CPU per batch; steadier on a shared machine):"
"$PY" "$REF/report.py" infer-inprocess "$out" --presets "$presets" --cpu | tee "$out/table-cpu.md"
echo
echo "raw results: $out"
