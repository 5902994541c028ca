#!/usr/bin/env python3
"""Compares fenlei with transformers on a real checkpoint directory (never committed):
WordPiece ids and mean-pooled final hidden states, for shared texts.

  check_real_checkpoint.py DIR build/bench/transformer_embed [N]
"""
import json
import os
import subprocess
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
import numpy as np  # noqa: E402
import torch  # noqa: E402
from transformers import AutoModel, AutoTokenizer  # noqa: E402

d, binary = sys.argv[1], sys.argv[2]
n = int(sys.argv[3]) if len(sys.argv) > 3 else 500
shared = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../shared/data")
texts = []
for name in ["sst2_en", "trec_en", "chnsenticorp_htl", "thucnews_titles"]:
    with open(os.path.join(shared, name, "test.tsv"), encoding="utf-8") as f:
        texts += [line.rstrip("\n").split("\t", 1)[-1] for line in f][1: n // 4 + 1]
tok = AutoTokenizer.from_pretrained(d)
model = AutoModel.from_pretrained(d).eval()
out = subprocess.run([binary, d], input="\n".join(texts) + "\n", capture_output=True, text=True,
                     check=True).stdout.splitlines()
id_mismatch, worst = 0, 0.0
for text, line in zip(texts, out):
    got = json.loads(line)
    enc = tok(text, truncation=True, return_tensors="pt")
    if enc["input_ids"][0].tolist() != got["ids"]:
        id_mismatch += 1
        continue
    with torch.no_grad():
        mean = model(**enc).last_hidden_state[0].mean(0).numpy()
    worst = max(worst, float(np.max(np.abs(mean - np.array(got["mean"])))))
print(json.dumps({"checkpoint": d, "texts": len(texts), "id_mismatches": id_mismatch,
                  "max_abs_diff_mean_embedding": worst}))
