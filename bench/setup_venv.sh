#!/usr/bin/env bash
# Creates bench/.venv with the reference systems the benchmarks compare against: the newest
# PyTorch from PyPI (CPU use only), transformers + ONNX Runtime, python jieba and cppjieba, and
# TensorFlow/Keras for the seed's own model. Tests and CI
# never need this; only the comparison benchmarks do.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --upgrade pip
"$venv/bin/pip" install -q torch numpy
# The transformer references (bench/make_*_fixtures.py, transformer_bench.sh, the fine-tuning and
# export checks), python jieba, and the Triton client the serving checks drive.
"$venv/bin/pip" install -q transformers tokenizers safetensors onnx onnxruntime jieba \
  "tritonclient[http]"
# cppjieba (segment_compare.sh, CPPJIEBA_PY=bench/.venv/bin/python): built from source by pip,
# so a failed build only skips that one reference.
"$venv/bin/pip" install -q cppjieba || echo "warning: cppjieba not installed" >&2
if [ "${WITH_TENSORFLOW:-1}" = 1 ]; then
  "$venv/bin/pip" install -q tensorflow-cpu || echo "warning: tensorflow-cpu not installed" >&2
fi
"$venv/bin/python" -c 'import torch; print("torch", torch.__version__)'
