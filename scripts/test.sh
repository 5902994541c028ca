#!/usr/bin/env bash
# Runs fenlei's whole test suite: installs dependencies, then
#   1. a Release build and every unit + integration test (ctest), then the packaging checks
#      (scripts/test-packaging.sh: examples/cpp against the installed library; pip install . and
#      pytest python/tests) and the browser tests (tests/browser/), which run in the background
#      while stage 2 compiles,
#   2. the same tests built with AddressSanitizer + UndefinedBehaviorSanitizer (clang, build-san/),
#   3. each libFuzzer target, from that same build, for a short, bounded time.
# Usage: scripts/test.sh [--quick]   (--quick: stage 1 only)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=$(nproc)
start=$(date +%s)
elapsed() { echo "   ($(( $(date +%s) - start )) s since the start)"; }

bash scripts/install-deps.sh

echo "== [1/3] release build and tests"
# Position-independent, so that the Python extension of scripts/test-packaging.sh can link this
# build's installed libraries rather than compile them again (about 500 CPU-seconds).
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DFENLEI_WERROR=ON \
  -DCMAKE_POSITION_INDEPENDENT_CODE=ON >/dev/null
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs" --timeout 600
# The installed C++ library with a consumer project, the Python package with pytest, then the
# HTML report and the serve page in headless Chromium (console errors fail it; screenshots land
# in build/browser-screenshots/).
after_release_build() {
  bash scripts/test-packaging.sh build
  timeout 120 /usr/bin/python3 tests/browser/browser_test.py --fenlei build/fenlei \
    --screenshots build/browser-screenshots
}
if [ "${1:-}" = "--quick" ]; then
  after_release_build
  elapsed
  exit 0
fi
# In the full run these checks (about 250 s) run beside the sanitizer build of stage 2; their
# output is printed, and a failure fails the run, before stage 2's tests start. Measured on the
# 2-core CI machine (2026-12-02, fresh clone): stage 1 took 619 s instead of 945 (with the test
# files at -O1), but the sanitizer build took 1,040 s instead of 710, as pip's builds and the
# pytest run need the cores too: about even on 2 cores (the whole run 1,950 s against 1,909 for a
# smaller tree), a gain only where there are cores to spare.
packaging_log=$(mktemp)
after_release_build >"$packaging_log" 2>&1 &
packaging_pid=$!
trap 'kill "$packaging_pid" 2>/dev/null || true' EXIT   # if stage 2's build fails first
elapsed

echo "== [2/3] AddressSanitizer + UndefinedBehaviorSanitizer build and tests (clang)"
# One sanitizer build serves both this stage and the fuzzers of stage 3: clang-14 with
# FENLEI_BUILD_FUZZERS=ON instruments fenlei_core for coverage (-fsanitize=fuzzer-no-link; in the
# test binaries the sanitizer runtime supplies the coverage hooks), so the same tree holds the
# unit/integration tests and the fuzz targets. A separate gcc ASan build plus a clang fuzz build
# compiled everything twice (about 2,150 CPU-seconds); clang also compiles about 20 % faster than
# gcc at -O1 with the sanitizers on.
# -O1 -g1, the usual sanitizer build: line tables are all a report's stack trace needs (full
# debug info at -O2 made this the slowest stage of CI), and assert()s stay on (no -DNDEBUG), so
# the hot paths' internal checks run here too.
# FENLEI_TEST_PCH: the test files' common headers (gtest/gmock, json, the standard library) are
# parsed once into a precompiled header, not once per test file: about 2 CPU-seconds (20 %) less
# per test file with clang (CI has no ccache). Not in stage 1: gcc's 125 MB PCH loads about as
# slowly as it parses those headers and -O3 code generation dominates there (measured: no gain),
# and a stage without the PCH still fails a test file that forgets an include.
# The test files and the fenlei tool's own files at -O0 (FENLEI_TEST_OPTIMIZATION,
# FENLEI_CLI_OPTIMIZATION; the libraries, where the code under test runs, stay at -O1). Measured
# with clang-14 and the sanitizers: a server test file with the PCH 17.2 CPU-s at -O1, 7.7 at
# -O0 (about 300 CPU-s less over all test files); tools/fenlei/cmd_info.cc 22.3 and 9.4. The
# tests ran 15 % more CPU with -O0 test files (352 against 304 CPU-s, same load).
CC=clang-14 CXX=clang++-14 cmake -S . -B build-san -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DFENLEI_SANITIZE="address;undefined" \
  -DFENLEI_BUILD_FUZZERS=ON -DFENLEI_TEST_PCH=ON -DFENLEI_TEST_OPTIMIZATION=-O0 \
  -DFENLEI_CLI_OPTIMIZATION=-O0 >/dev/null
cmake --build build-san -j "$jobs"
packaging_rc=0
wait "$packaging_pid" || packaging_rc=$?
echo "-- stage 1's packaging and browser checks (run beside the sanitizer build):"
cat "$packaging_log"
if [ "$packaging_rc" -ne 0 ]; then
  echo "the packaging or browser checks failed (exit $packaging_rc)" >&2
  exit "$packaging_rc"
fi
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-san --output-on-failure -j "$jobs" --timeout 900 -LE slow
elapsed

echo "== [3/3] fuzzers (libFuzzer, bounded time)"
if [ -d build-san/tests/fuzz ]; then
  seconds=${FENLEI_FUZZ_SECONDS:-20}
  export FENLEI_CACHE_DIR=$(mktemp -d)
  # One fuzzer per core at a time (each is single-threaded); a failing one fails the stage.
  run_fuzzer() {
    local fuzzer=$1 seconds=$2 name corpus work log rc=0
    name=$(basename "$fuzzer")
    corpus="tests/fuzz/corpus/${name#fuzz_}"
    work=$(mktemp -d)
    log=$(mktemp)
    [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
    "$fuzzer" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=0 "$work" >"$log" 2>&1 || rc=$?
    echo "-- $name for ${seconds}s: exit $rc"
    if [ "$rc" -ne 0 ]; then cat "$log"; else tail -n 2 "$log"; fi
    rm -rf "$work" "$log"
    return "$rc"
  }
  export -f run_fuzzer
  find build-san/tests/fuzz -maxdepth 1 -name 'fuzz_*' -type f -executable -print0 | sort -z |
    xargs -0 -P "$jobs" -I{} bash -c 'run_fuzzer "$1" "$2"' _ {} "$seconds"
fi
elapsed
echo "all test stages passed"
