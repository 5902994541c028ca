"""ONNX Runtime single-text p50/p99 and batch-of-32 throughput with N intra-op threads, in
wall-clock time (process CPU time would add the threads up), on the optimised float model and
ids that transformer_ref.py wrote. bench/transformer_threads.sh runs it next to
transformer_latency --threads N.

    python ort_threads.py DIR --threads 2 [--single N] [--batches N] [--int8]

--int8 runs model.int8.onnx (ORT's dynamic quantisation of the same graph) instead.
"""
import argparse
import json
import os
import time

import numpy as np
import onnxruntime as ort


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--single", type=int, default=40)
    ap.add_argument("--batches", type=int, default=1)
    ap.add_argument("--int8", action="store_true")
    a = ap.parse_args()
    ids = [json.loads(l) for l in open(os.path.join(a.dir, "ids.jsonl"))]
    so = ort.SessionOptions()
    so.intra_op_num_threads = a.threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    model = "model.int8.onnx" if a.int8 else "model.opt.onnx"
    sess = ort.InferenceSession(os.path.join(a.dir, model), so,
                                providers=["CPUExecutionProvider"])

    def run(batch):
        n = max(len(x) for x in batch)
        i = np.zeros((len(batch), n), dtype=np.int64)
        m = np.zeros((len(batch), n), dtype=np.int64)
        for r, x in enumerate(batch):
            i[r, : len(x)] = x
            m[r, : len(x)] = 1
        sess.run(None, {"input_ids": i, "attention_mask": m})

    for k in range(3):
        run([ids[k]])
    lat = []
    for k in range(a.single):
        t = time.perf_counter()
        run([ids[k % len(ids)]])
        lat.append((time.perf_counter() - t) * 1000)
    lat.sort()
    total = 0.0
    for b in range(a.batches):
        t = time.perf_counter()
        run([ids[(b * 32 + k) % len(ids)] for k in range(32)])
        total += time.perf_counter() - t
    print(json.dumps({"system": "onnxruntime", "threads": a.threads, "clock": "wall",
                      "precision": "int8" if a.int8 else "float32",
                      "p50_ms": lat[len(lat) // 2],
                      "p99_ms": lat[min(len(lat) - 1, int(0.99 * len(lat)))],
                      "batch32_texts_per_s": 32 * a.batches / total}), flush=True)


if __name__ == "__main__":
    main()
