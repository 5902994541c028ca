#!/usr/bin/env bash
# Data-parallel training over MPI on this machine: one epoch of seed-cnn on DATASET with
# (a) one process x 2 threads and (b) mpirun -np 2 x 1 thread each — the same split of every
# batch and the same model file (tests/integration/mpi_train_test.cc checks that), so the
# difference is the cost of the gradient messages. Prints examples/s of both from the --log.
#
#   bench/mpi_train.sh [DATASET] [BUILD_DIR]    (defaults online_shopping_cats, build)
set -euo pipefail
# shellcheck source=bench/bench_lib.sh
source "$(dirname "$0")/bench_lib.sh"
dataset=${1:-online_shopping_cats}
build=${2:-$REPO_DIR/build}
FENLEI=$build/fenlei
out=$(bench_out_dir mpi_train)
bench_header "mpi_train $dataset"
args=(train --input "$DATA_DIR/$dataset/train.tsv" --valid "$DATA_DIR/$dataset/dev.tsv"
  --epochs "${EPOCHS:-1}" --seed 1 --checkpoint none -q)
run_logged "$FENLEI" "${args[@]}" --threads 2 -o "$out/threads.fenlei" --log "$out/threads.log"
OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
  OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_rmaps_base_oversubscribe=1 \
  run_logged mpirun -np 2 "$FENLEI" "${args[@]}" --threads 1 --mpi -o "$out/mpi.fenlei" \
  --log "$out/mpi.log"
rate() { python3 -c "import json,sys; print(round(json.loads(open(sys.argv[1]).readlines()[-1])['examples_per_second']))" "$1"; }
echo "| run | examples/s (last epoch) |"
echo "|---|---|"
echo "| 1 process x 2 threads | $(rate "$out/threads.log") |"
echo "| mpirun -np 2 x 1 thread | $(rate "$out/mpi.log") |"
if cmp -s "$out/threads.fenlei" "$out/mpi.fenlei"; then echo "model files: identical"; else echo "model files: DIFFER"; fi
echo "raw results: $out"
