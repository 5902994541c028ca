#!/usr/bin/env python3
"""Debian fastText 0.9.2 on our splits, with the ANCHORS.md settings:

  fasttext supervised -epoch 25 -lr 0.5 -wordNgrams 2 -dim 100 -minCount 1 -thread 2

on jieba words (the cached tokens from common.py) and on characters (one token per non-space
character). Trains on train.tsv, reports accuracy and macro-F1 on test.tsv, training wall time,
model size, peak RSS of the fastText processes and batch prediction throughput. dev.tsv is not
used: the ANCHORS settings are fixed, not tuned. One JSON object on stdout.
"""
import argparse
import os
import resource
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

ANCHOR_ARGS = ["-epoch", "25", "-lr", "0.5", "-wordNgrams", "2", "-dim", "100",
               "-minCount", "1", "-thread", "2"]


def write_ft(path, labels, tokens):
    with open(path, "w", encoding="utf-8") as f:
        for lab, toks in zip(labels, tokens):
            f.write(f"__label__{lab} {' '.join(toks)}\n")


def children_peak_mb():
    # ru_maxrss of RUSAGE_CHILDREN is the largest single child so far: fine, since each
    # fastText process runs alone.
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0


def run_unit(args, unit, workdir):
    ytr, _, ttr = common.load_split(args.data_dir, args.dataset, "train", args.limit, unit=unit)
    yte, _, tte = common.load_split(args.data_dir, args.dataset, "test", args.limit, unit=unit)
    classes = sorted(set(ytr) | set(yte))
    train_txt = os.path.join(workdir, f"{args.dataset}.{unit}.train.txt")
    test_txt = os.path.join(workdir, f"{args.dataset}.{unit}.test.txt")
    write_ft(train_txt, ytr, ttr)
    write_ft(test_txt, yte, tte)
    model = os.path.join(workdir, f"{args.dataset}.{unit}")
    cmd = [args.fasttext, "supervised", "-input", train_txt, "-output", model, "-verbose", "0",
           *ANCHOR_ARGS, *args.extra]
    if args.epoch is not None:
        cmd += ["-epoch", str(args.epoch)]  # later flags win in fastText's parser
    common.log(" ".join(cmd))
    t = time.perf_counter()
    subprocess.run(cmd, check=True)
    train_seconds = time.perf_counter() - t
    t = time.perf_counter()
    out = subprocess.run([args.fasttext, "predict", model + ".bin", test_txt],
                         check=True, capture_output=True, text=True).stdout.split("\n")
    predict_seconds = time.perf_counter() - t
    pred_labels = [l[len("__label__"):] for l in out if l]
    index = {c: i for i, c in enumerate(classes)}
    m = common.metrics([index[l] for l in yte], [index.get(l, -1) for l in pred_labels],
                       len(classes))
    res = {"unit": unit, "command": " ".join(cmd), "train_seconds": train_seconds,
           "model_bytes": os.path.getsize(model + ".bin"),
           "test_accuracy": m["accuracy"], "test_macro_f1": m["macro_f1"], "test_n": m["n"],
           # includes the model load, which dominates for the default 2M-bucket model
           "predict_cli_seconds": predict_seconds,
           "predict_examples_per_second_incl_load": len(yte) / predict_seconds,
           "peak_rss_mb_fasttext": children_peak_mb()}
    if not args.keep_models:
        for ext in (".bin", ".vec"):
            if os.path.exists(model + ext):
                os.remove(model + ext)
    return res


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--dataset", default="online_shopping_cats", choices=common.DATASETS)
    p.add_argument("--data-dir", default=common.default_data_dir())
    p.add_argument("--units", default="words,chars", help="comma list of words, chars")
    p.add_argument("--limit", type=int)
    p.add_argument("--epoch", type=int, help="override -epoch 25 (smoke tests)")
    p.add_argument("--fasttext", default=shutil.which("fasttext") or "fasttext")
    p.add_argument("--keep-models", action="store_true", help="keep the (large) .bin files")
    p.add_argument("extra", nargs="*", help="more fastText flags after --, e.g. -- -bucket 200000")
    args = p.parse_args()
    base = {"system": "fasttext", "dataset": args.dataset, "limit": args.limit,
            "command": " ".join([os.path.relpath(sys.argv[0], common.REPO)] + sys.argv[1:])}
    if not shutil.which(args.fasttext):
        common.emit({**base, "error": f"{args.fasttext} not found (scripts/install-deps.sh --bench)"})
        return
    workdir = os.path.join(common.BENCH, "out", "fasttext")
    os.makedirs(workdir, exist_ok=True)
    results = [run_unit(args, u, workdir) for u in args.units.split(",")]
    common.emit({**base, "fasttext_args": ANCHOR_ARGS + args.extra, "results": results,
                 "machine": common.machine_info()})


if __name__ == "__main__":
    main()
