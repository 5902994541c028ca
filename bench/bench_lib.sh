# Shared helpers for the bench/*.sh drivers (sourced, not run): paths, the machine/version
# header every run prints, and detection of which fenlei subcommands exist yet.
# shellcheck shell=bash

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")
DATA_DIR=${DATA_DIR:-${FENLEI_SHARED_DIR:-$REPO_DIR/../shared}/data}
DATA_DIR=$(cd "$DATA_DIR" 2>/dev/null && pwd || echo "$DATA_DIR")
PY=${PY:-$BENCH_DIR/.venv/bin/python}
FENLEI=${FENLEI:-$REPO_DIR/build/fenlei}
export REF=$BENCH_DIR/reference  # used by the drivers that source this file

bench_require_python() {
  if [ ! -x "$PY" ]; then
    echo "error: $PY not found; run bench/setup_venv.sh first (see bench/README.md)" >&2
    exit 1
  fi
}

# A fresh, timestamped folder for this run's raw JSON, so runs never overwrite each other.
bench_out_dir() {
  local d
  d="$BENCH_DIR/out/$1/$(date +%Y%m%d-%H%M%S)"
  mkdir -p "$d" && echo "$d"
}

# fenlei_has SUB: true when build/fenlei exists and knows SUB (unknown commands exit non-zero).
fenlei_has() {
  [ -x "$FENLEI" ] && "$FENLEI" "$1" --help >/dev/null 2>&1
}

fenlei_why_missing() {
  if [ ! -x "$FENLEI" ]; then
    echo "fenlei skipped: $FENLEI not built (cmake -S . -B build -G Ninja && ninja -C build fenlei)"
  else
    echo "fenlei skipped: '$FENLEI $1' is not implemented in this build"
  fi
}

# Echoes a command to stderr, then runs it: every result in a log can be reproduced by hand.
run_logged() {
  echo "+ $*" >&2
  "$@"
}

bench_header() {
  echo "## $1"
  echo "date:    $(date -Iseconds)"
  echo "machine: $(lscpu | sed -n 's/^Model name: *//p') | nproc $(nproc) | load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "memory:  $(free -g | awk '/^Mem:/ {print $2 " GiB total, " $7 " GiB available"}')"
  echo "git:     $(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null)$(git -C "$REPO_DIR" diff --quiet 2>/dev/null || echo '+dirty')"
  if [ -x "$PY" ]; then
    echo "python:  $("$PY" -c 'import platform, torch, numpy; print(platform.python_version(), "torch", torch.__version__, "numpy", numpy.__version__)' 2>/dev/null)"
    echo "tf:      $(TF_CPP_MIN_LOG_LEVEL=3 "$PY" -c 'import tensorflow as tf, keras; print(tf.__version__, "keras", keras.__version__)' 2>/dev/null || echo unavailable)"
  fi
  echo "fastText: $(dpkg-query -W -f '${Version}' fasttext 2>/dev/null || echo unavailable)"
  if [ -x "$FENLEI" ]; then
    echo "fenlei:  $FENLEI ($("$FENLEI" --version 2>/dev/null | head -1 || true))"
  else
    echo "fenlei:  not built ($FENLEI)"
  fi
  echo "env:     OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-unset (PyTorch default: spin)} OMP_NUM_THREADS=${OMP_NUM_THREADS:-unset}"
  echo "data:    $DATA_DIR"
  echo "note:    the 2 cores may be shared with other work; compare ratios from one run, not absolute numbers across runs"
  echo
}

# Peak RSS in MB from a `/usr/bin/time -v` report.
time_v_rss_mb() {
  awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$1"
}

# The serve benchmarks (bench/serve_*.sh) --------------------------------------------------------

# bench_serve_paths: sets data (BENCH_DATA; default chnsenticorp_htl's train.tsv) and out
# (BENCH_OUT; default bench/out/serve, created), where the serve scripts keep models and logs.
bench_serve_paths() {
  data=${BENCH_DATA:-$REPO_DIR/../shared/data/chnsenticorp_htl/train.tsv}
  out=${BENCH_OUT:-$BENCH_DIR/out/serve}
  mkdir -p "$out"
}

bench_require_wrk() {
  command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install wrk" >&2; exit 1; }
}

# bench_small_model FENLEI DATA OUT: OUT/small.fenlei, seed-cnn trained for one epoch on the first
# 3,000 lines of DATA; trained once and kept, since serving speed does not depend on accuracy.
bench_small_model() {
  local fenlei=$1 data=$2 out=$3
  [[ -s $out/small.fenlei ]] && return 0
  head -n 3000 "$data" >"$out/small.tsv"
  "$fenlei" train --input "$out/small.tsv" -o "$out/small.fenlei" --epochs 1 --checkpoint none -q
}

# bench_wait_serving PID STDOUT_FILE LOG [TRIES]: waits (TRIES x 0.1 s, default 60 s) for the
# server PID to print "serving on URL" to STDOUT_FILE and sets url. When the server exits first or
# never says it, prints LOG and returns 1. Callers empty STDOUT_FILE before starting the server,
# not by the background job's redirection, which may run after the first read.
bench_wait_serving() {
  local server_pid=$1 stdout_file=$2 log=$3 tries=${4:-600}
  url=""
  for _ in $(seq "$tries"); do
    url=$(sed -n 's/^serving on //p' "$stdout_file" | head -n1)
    [[ -n $url ]] && return 0
    kill -0 "$server_pid" 2>/dev/null || { echo "server exited:" >&2; cat "$log" >&2; return 1; }
    sleep 0.1
  done
  echo "server did not start" >&2
  cat "$log" >&2
  return 1
}

# bench_train_rows DATA_DIR DATASET OUT "name:k ...": the training file of DATASET — its
# train.tsv, or for a DATASET named in the list, every k-th of its rows written under OUT (header
# kept; dev/test stay whole), as the accuracy tables' "every 2nd row" rows.
bench_train_rows() {
  local data=$1 ds=$2 out=$3 subsets=$4 s train=$1/$2/train.tsv
  for s in $subsets; do
    if [ "${s%%:*}" = "$ds" ]; then
      train=$out/$ds.train.subset.tsv
      awk -v k="${s##*:}" 'NR == 1 || (NR - 2) % k == 0' "$data/$ds/train.tsv" > "$train"
    fi
  done
  echo "$train"
}
