#!/usr/bin/env bash
# Creates bench/.venv with the reference systems the benchmarks compare against: the newest
# PyTorch from PyPI (CPU use only) and TensorFlow/Keras for the seed's own model. Tests and CI
# never need this; only the comparison benchmarks do.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --upgrade pip
"$venv/bin/pip" install -q torch numpy
if [ "${WITH_TENSORFLOW:-1}" = 1 ]; then
  "$venv/bin/pip" install -q tensorflow-cpu || echo "warning: tensorflow-cpu not installed" >&2
fi
"$venv/bin/python" -c 'import torch; print("torch", torch.__version__)'
