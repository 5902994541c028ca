#!/usr/bin/env python3
"""Resident memory of ONNX Runtime holding one of transformer_ref.py's exported models and
running texts through it (1 thread), in a process that imports nothing else heavy (no torch):
the counterpart of transformer_latency's rss fields.

  ort_rss.py DIR model.opt.onnx|model.int8.onnx [--texts N]   # one JSON line
"""
import argparse
import json
import os

import numpy as np
import onnxruntime as ort


def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("model")
    ap.add_argument("--texts", type=int, default=64)
    a = ap.parse_args()
    ids = [json.loads(line) for line in open(os.path.join(a.dir, "ids.jsonl"))][: a.texts]
    before = rss_mb()
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(os.path.join(a.dir, a.model), so, providers=["CPUExecutionProvider"])
    for x in ids:
        arr = np.array([x], dtype=np.int64)
        sess.run(None, {"input_ids": arr, "attention_mask": np.ones_like(arr)})
    name = "onnxruntime-int8" if "int8" in a.model else "onnxruntime"
    print(json.dumps({"system": name, "rss_mb": round(rss_mb(), 1),
                      "rss_model_mb": round(rss_mb() - before, 1)}))


if __name__ == "__main__":
    main()
