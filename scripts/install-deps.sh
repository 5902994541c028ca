#!/usr/bin/env bash
# Installs every Debian 12 package fenlei's build, tests and fuzzers need (and, with --bench, what
# the benchmarks need). Safe to re-run. Uses sudo when not root.
#
#   scripts/install-deps.sh          # build + tests
#   scripts/install-deps.sh --bench  # also wrk, fastText, python3-venv, Flask, hyperfine, openssl, curl for bench/
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libopenblas-dev            # BLAS for the training/inference engine
  libopencc-dev libopencc-data  # traditional -> simplified conversion
  libicu-dev                 # label normalisation (NFKC case folding)
  python3-jieba              # jieba 0.42.1's dictionary and HMM tables (data only; no Python runs)
  nlohmann-json3-dev         # JSON
  libcli11-dev               # command-line parsing
  libcpp-httplib-dev         # HTTP client in the tests
  libssl-dev                 # TLS in fenlei serve (--tls-cert)
  libcurl4-openssl-dev       # HTTP client in the server tests
  zlib1g-dev                 # CRC-32 and compressed model sections
  libgtest-dev libgmock-dev  # tests
  libbenchmark-dev           # bench/
  libopenmpi-dev openmpi-bin # data-parallel training over several machines (fenlei train --mpi)
  clang-14 libclang-rt-14-dev  # libFuzzer targets and sanitizer runtimes
  python3-dev python3-venv   # the Python package (pip install . in a venv; scripts/test-packaging.sh)
  chromium chromium-driver python3-selenium fonts-noto-cjk  # tests/browser/ (report, serve page)
)
if [ "${1:-}" = "--bench" ]; then
  packages+=(wrk fasttext python3-venv python3-pip python3-flask hyperfine time openssl curl)
fi

sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "fenlei dependencies installed."
