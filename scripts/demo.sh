#!/usr/bin/env bash
# The main job end to end on the bundled sample: install dependencies, build, then
# train -> test -> predict. Usage: scripts/demo.sh   (work files go to build/demo/)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" --target fenlei

fenlei=build/fenlei
out=build/demo
mkdir -p "$out"

echo
echo "== segment"
echo "我来到北京清华大学，房间很干净，服务也很热情" | $fenlei segment

echo
echo "== train (seed-cnn on examples/reviews_train.tsv)"
$fenlei train --input examples/reviews_train.tsv --output "$out/reviews.fenlei" \
  --epochs 10 --seed 7 --log "$out/train_log.jsonl"

echo
echo "== test (examples/reviews_test.tsv)"
$fenlei test "$out/reviews.fenlei" examples/reviews_test.tsv --per-class --confusion

echo
echo "== predict (examples/reviews_unlabeled.txt, top 2)"
$fenlei predict "$out/reviews.fenlei" examples/reviews_unlabeled.txt --k 2

echo
echo "== explain (which words decided a mixed review: + for the label, - against it)"
echo "房间很干净，但是隔音太差，前台态度也一般" | $fenlei explain "$out/reviews.fenlei"

echo
echo "== info"
$fenlei info "$out/reviews.fenlei"
