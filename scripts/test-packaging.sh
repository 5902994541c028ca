#!/usr/bin/env bash
# fenlei as others use it, after scripts/test.sh's release build (BUILD, default build/):
#   1. the C++ library: `cmake --install` into a temporary prefix; examples/cpp configured against
#      it with find_package(fenlei), built and run on a bundled model; the same program linked
#      through fenlei.pc; examples/cpp configured with add_subdirectory (configure only: compiling
#      the library a second time would cost minutes and check nothing more);
#   2. the Python package: `pip install .` in a fresh virtual environment (the build tools and
#      the test packages come from PyPI), then pytest python/tests; when BUILD was configured with
#      -DCMAKE_POSITION_INDEPENDENT_CODE=ON (scripts/test.sh does), the extension links the
#      library installed in step 1 (python/CMakeLists.txt as its own project) instead of
#      compiling fenlei_core and fenlei_train a second time;
#   3. the official Triton client (tritonclient[http], PyPI) against `fenlei serve` (issue 13).
# Usage: scripts/test-packaging.sh [BUILD]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${1:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
model=tests/data/compat/v1-fasttext.fenlei

echo "-- C++: install, then examples/cpp with find_package(fenlei)"
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
cmake -S examples/cpp -B "$tmp/consumer" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/consumer"
out=$("$tmp/consumer/fenlei_consumer" "$model")
echo "$out"
grep -q "^我 / 来到 / 北京 / 清华大学$" <<<"$out"
[ "$(grep -c $'^\(pos\|neg\)\t' <<<"$out")" = 2 ]

echo "-- C++: the same program through pkg-config"
pc_dir=$(dirname "$(find "$tmp/prefix" -name fenlei.pc)")
# shellcheck disable=SC2046
g++ -std=c++17 -O1 examples/cpp/main.cc -o "$tmp/consumer_pc" \
  $(PKG_CONFIG_PATH="$pc_dir" pkg-config --cflags --libs fenlei)
cmp <("$tmp/consumer_pc" "$model") <(echo "$out")

echo "-- C++: examples/cpp with add_subdirectory (configure)"
cmake -S examples/cpp -B "$tmp/subdir" -G Ninja -DFENLEI_SOURCE_DIR="$root" >/dev/null

echo "-- Python: pip install . in a fresh venv, then pytest"
python3 -m venv "$tmp/venv"
py="$tmp/venv/bin/python"
"$py" -m pip install -q pytest numpy pandas scikit-learn jieba
if grep -q '^CMAKE_POSITION_INDEPENDENT_CODE:BOOL=ON$' "$build/CMakeCache.txt"; then
  # Its own build folder: a CMake build folder belongs to one source folder.
  "$py" -m pip install -q "$root" --config-settings=cmake.source-dir=python \
    --config-settings=cmake.define.CMAKE_PREFIX_PATH="$tmp/prefix" \
    --config-settings=build-dir="build-python-installed/{wheel_tag}"
else
  "$py" -m pip install -q "$root"
fi
# From outside the source tree, so that `import fenlei` is the installed package.
rc=0
(cd "$tmp" && "$py" -m pytest "$root/python/tests" -q -rs -p no:cacheprovider) || rc=$?
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: python/tests is missing or broken" >&2
  exit 1
fi
[ "$rc" -eq 0 ] || exit "$rc"

echo "-- the official Triton client (tritonclient[http]) against fenlei serve's v2 endpoints"
"$py" -m pip install -q "tritonclient[http]"
out=$(FENLEI_TRITON_PYTHON="$py" "$build/tests/integration_test" \
        --gtest_filter='ServeCli.TritonClientWorksUnchanged' 2>&1) || { echo "$out"; exit 1; }
echo "$out" | tail -n 3
if grep -q "SKIPPED" <<<"$out"; then
  echo "the Triton client test was skipped although tritonclient was installed" >&2
  exit 1
fi
