#!/usr/bin/env bash
# Compares fenlei's segmenter with Debian's python3-jieba on the same texts (all
# shared/data/*/train.tsv texts), default mode, single thread, timing only the cut loop.
# Usage: bench/segment_compare.sh [BUILD_DIR]   (BUILD_DIR configured with -DFENLEI_BUILD_BENCHMARKS=ON)
# env: CPPJIEBA_PY=python with the PyPI `cppjieba` package (default /tmp/cppjieba-venv/bin/python
#      when present; see bench/reference/cppjieba_speed.py) adds cppjieba in the same run;
#      SKIP_JIEBA=1 leaves python3-jieba out.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build-bench}"
shared="$root/../shared"
ninja -C "$build" bench_segment >/dev/null

echo "== machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores"
echo "== fenlei"
ours="$("$build/bench/bench_segment" --repeat 3)"
echo "$ours"
ours_mbs="$(echo "$ours" | sed -n 's/^throughput  *\([0-9.]*\) MB\/s.*/\1/p')"

cppjieba_py="${CPPJIEBA_PY:-/tmp/cppjieba-venv/bin/python}"
if [ -x "$cppjieba_py" ] && "$cppjieba_py" -c "import cppjieba_pybind" 2>/dev/null; then
  echo "== cppjieba (PyPI cppjieba, same texts, same run)"
  cj="$("$cppjieba_py" "$root/bench/reference/cppjieba_speed.py" --shared "$shared" --repeat 3)"
  echo "$cj"
  ours_cpu="$(echo "$ours" | sed -n 's/^throughput cpu  *\([0-9.]*\) MB\/s.*/\1/p')"
  python3 - "$cj" "$ours_cpu" "$ours_mbs" <<'PY'
import json, sys
cj, cpu, wall = json.loads(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
print(f"== ratio fenlei / cppjieba, CPU time: {cpu / cj['core_mb_s_cpu']:.2f}x against its C++ core "
      f"estimate ({cj['core_mb_s_cpu']} MB/s), {cpu / cj['chunked_mb_s_cpu']:.2f}x against 1 MB chunks "
      f"through the binding, {cpu / cj['per_text_mb_s_cpu']:.2f}x against one call per text")
PY
else
  echo "== cppjieba: not installed ($cppjieba_py lacks the cppjieba package); skipped"
fi
[ "${SKIP_JIEBA:-0}" = 1 ] && exit 0

echo "== python3-jieba"
jieba_mbs="$(/usr/bin/python3 - "$shared" <<'PY'
import glob, logging, os, sys, tempfile, time
import jieba
jieba.setLogLevel(logging.ERROR)
jieba.dt.tmp_dir = tempfile.mkdtemp()   # private, empty prefix-dict cache: a true cold load
t = time.perf_counter(); jieba.initialize(); load = time.perf_counter() - t
texts = []
for f in sorted(glob.glob(os.path.join(sys.argv[1], "data", "*", "train.tsv"))):
    with open(f, encoding="utf-8", newline="\n") as fh:
        next(fh)
        for line in fh:
            line = line.rstrip("\n")
            if "\t" in line:
                texts.append(line.split("\t", 1)[1])
nbytes = sum(len(s.encode("utf-8")) for s in texts)
t = time.perf_counter(); c = time.process_time()
n = 0
for s in texts:
    n += len(jieba.lcut(s))
dt = time.perf_counter() - t; dc = time.process_time() - c
print(f"texts {len(texts)} ({nbytes/1e6:.2f} MB), tokens {n}", file=sys.stderr)
print(f"load (dict.txt, no cache) {load*1e3:.0f} ms, cut loop {dt:.1f} s", file=sys.stderr)
print(f"throughput cpu   {nbytes/1e6/dc:.2f} MB/s (process CPU time)", file=sys.stderr)
print(f"{nbytes/1e6/dt:.2f}")
PY
)"
echo "throughput       $jieba_mbs MB/s (wall)"
echo "== ratio fenlei / jieba: $(python3 -c "print(f'{$ours_mbs/$jieba_mbs:.1f}x')")"
