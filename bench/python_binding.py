#!/usr/bin/env python3
"""The Python package's two speed claims, measured in one process (docs/python.md):

  1. fenlei.cut against jieba.lcut on the same texts (goal: >= 10x), checking that the words
     are identical;
  2. the binding's overhead on batch prediction: model.predict_proba(texts) timed in Python
     against Classifier::probabilities on the same texts timed inside C++ (goal: <= 10 %).

Usage (in a venv where `pip install .` and `pip install jieba` were run):
  python bench/python_binding.py [--data DIR] [--model fasttext|seed-cnn|textcnn] [--repeats N]
DIR holds train.tsv and test.tsv (default: ../shared/data/chnsenticorp_htl, else examples/).
"""

import argparse
import os
import platform
import time

import fenlei

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read_texts(path):
    with open(path, encoding="utf-8") as f:
        next(f)  # header
        return [line.rstrip("\n").split("\t", 1)[1] for line in f if "\t" in line]


def best_of(repeats, fn):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    shared = os.path.join(ROOT, "..", "shared", "data", "chnsenticorp_htl")
    ap.add_argument("--data", default=shared if os.path.isdir(shared) else None)
    ap.add_argument("--model", default="fasttext")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--batch", type=int, default=0, help="texts per predict call (0: all)")
    args = ap.parse_args()

    if args.data:
        train_path = os.path.join(args.data, "train.tsv")
        texts = read_texts(os.path.join(args.data, "test.tsv"))
    else:
        train_path = os.path.join(ROOT, "examples", "reviews_train.tsv")
        texts = read_texts(os.path.join(ROOT, "examples", "reviews_test.tsv"))
    chars = sum(len(t) for t in texts)
    print(f"# {platform.python_implementation()} {platform.python_version()}, "
          f"{len(texts)} texts, {chars} characters from {args.data or 'examples/'}")

    # 1. Segmentation.
    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    fenlei.cut("预热")
    mismatches = sum(fenlei.cut(t) != jieba.lcut(t) for t in texts)
    t_jieba = best_of(max(1, args.repeats // 2), lambda: [jieba.lcut(t) for t in texts])
    t_fenlei = best_of(args.repeats, lambda: [fenlei.cut(t) for t in texts])
    print(f"segment  jieba.lcut   {t_jieba * 1e3:9.1f} ms  {chars / t_jieba / 1e6:7.3f} M chars/s")
    print(f"segment  fenlei.cut   {t_fenlei * 1e3:9.1f} ms  {chars / t_fenlei / 1e6:7.3f} M chars/s"
          f"  -> {t_jieba / t_fenlei:.1f}x jieba, {mismatches} texts differ")

    # 2. Batch prediction: Python call vs the C++ API on the same texts.
    model = fenlei.train(train_path, model=args.model, epochs=1, threads=2, verbose=0)
    model.warm_up()
    batch = texts if args.batch <= 0 else texts[: args.batch]
    model.predict_proba(batch)  # first-call allocations out of the way
    # Interleaved, best of each: the machine's load drifts, and both sides should see the same.
    # Wall-clock time, and this thread's CPU time (prediction runs on the calling thread), which
    # a busy machine disturbs much less.
    def timed(clock, fn):
        start = clock()
        fn()
        return clock() - start

    for label, clock, cpu in (("wall", time.perf_counter, False), ("cpu", time.thread_time, True)):
        t_cpp = t_py = t_pred = float("inf")
        for _ in range(3 * args.repeats):
            t_cpp = min(t_cpp, model._m._cpp_probabilities_seconds(batch, 1, cpu))
            t_py = min(t_py, timed(clock, lambda: model.predict_proba(batch)))
            t_pred = min(t_pred, timed(clock, lambda: model.predict(batch, k=2)))
        print(f"predict  {args.model} batch of {len(batch)}, {label:4}: C++ probabilities "
              f"{t_cpp * 1e3:7.2f} ms, Python predict_proba {t_py * 1e3:7.2f} ms "
              f"({100 * (t_py / t_cpp - 1):+5.1f} %), predict(k=2) {t_pred * 1e3:7.2f} ms "
              f"({100 * (t_pred / t_cpp - 1):+5.1f} %)")

if __name__ == "__main__":
    main()
