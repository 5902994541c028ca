#!/usr/bin/env python3
"""The fasttext preset's network in PyTorch, for the inference comparison: tokens and hashed
token bigrams (fenlei's bucket formula, the same 200,000 buckets) -> EmbeddingBag(mean, dim 100)
-> Linear -> softmax.

  --unit chars  one token per non-space character, as fenlei's fasttext preset (no segmenter)
  --unit words  python jieba words, as fastText is usually run on Chinese (ANCHORS' fastText):
                the "PyTorch + python jieba" pipeline of the issue's inference target

  --inference  single-text latency with ids ready and end to end (Python tokenisation and bigram
               hashing included), and batch-256 throughput. Weights are untrained: latency does
               not depend on them. One JSON object on stdout.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

BUCKETS = 200_000
DIM = 100
MAX_LEN = 512  # the preset's max_len (characters)


def percentiles(samples_s):
    a = np.array(samples_s) * 1e6
    return {"p50_us": float(np.percentile(a, 50)), "p99_us": float(np.percentile(a, 99)),
            "mean_us": float(a.mean()), "n": len(a)}


def encode(tokens, vocab, vocab_size):
    ids = [vocab.get(c, common.UNK) for c in tokens[:MAX_LEN]]
    # fenlei's bucket(a, b) = (a * 116049371 + b) mod buckets, rows after the vocabulary.
    bigrams = [vocab_size + (a * 116049371 + b) % BUCKETS for a, b in zip(ids, ids[1:])]
    return ids + bigrams


class FastText(torch.nn.Module):
    def __init__(self, rows, classes):
        super().__init__()
        self.bag = torch.nn.EmbeddingBag(rows, DIM, mode="mean")
        self.out = torch.nn.Linear(DIM, classes)

    def forward(self, ids, offsets):
        return torch.softmax(self.out(self.bag(ids, offsets)), dim=-1)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--inference", action="store_true", required=True)
    p.add_argument("--dataset", default="online_shopping_cats", choices=common.DATASETS)
    p.add_argument("--data-dir", default=common.default_data_dir())
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--latency-samples", type=int, default=2000)
    p.add_argument("--limit", type=int)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--unit", choices=["chars", "words"], default="chars")
    a = p.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    train_labels, _, train_tokens = common.load_split(a.data_dir, a.dataset, "train", a.limit,
                                                      unit=a.unit)
    _, texts, test_tokens = common.load_split(a.data_dir, a.dataset, "test", a.limit, unit=a.unit)
    vocab = common.build_vocab(train_tokens, size=None)
    if a.unit == "words":
        jieba = common.import_jieba()
        jieba.initialize()
        tokenize = lambda text: common.words_of(jieba, text)  # noqa: E731
    else:
        tokenize = common.chars_of
    vocab_size = len(vocab) + 2
    model = FastText(vocab_size + BUCKETS, len(set(train_labels))).eval()
    n = min(a.latency_samples, len(texts))
    encoded = [torch.tensor(encode(t, vocab, vocab_size) or [0], dtype=torch.int64)
               for t in test_tokens]
    zero = torch.zeros(1, dtype=torch.int64)
    res = {"system": "pytorch", "model": "fasttext", "unit": a.unit, "torch": torch.__version__,
           "threads": a.threads, "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "unset"),
           "vocab_size": vocab_size, "buckets": BUCKETS}
    with torch.inference_mode():
        for i in range(min(50, n)):  # warm-up
            model(encoded[i], zero)
        lat = []
        for i in range(n):
            t = time.perf_counter()
            model(encoded[i], zero)
            lat.append(time.perf_counter() - t)
        res["single_ids"] = percentiles(lat)
        lat, tok = [], []
        for i in range(n):
            t = time.perf_counter()
            ids = encode(tokenize(texts[i]), vocab, vocab_size) or [0]
            t1 = time.perf_counter()
            model(torch.tensor(ids, dtype=torch.int64), zero)
            lat.append(time.perf_counter() - t)
            tok.append(t1 - t)
        res["single_end_to_end"] = percentiles(lat)
        res["tokenize_only"] = percentiles(tok)
        b = 256
        start = time.perf_counter()
        for i in range(0, len(texts), b):
            chunk = [encode(tokenize(t), vocab, vocab_size) or [0] for t in texts[i:i + b]]
            offsets = torch.tensor(np.cumsum([0] + [len(c) for c in chunk[:-1]]), dtype=torch.int64)
            model(torch.tensor([x for c in chunk for x in c], dtype=torch.int64), offsets)
        res["batch256_end_to_end_texts_per_second"] = len(texts) / (time.perf_counter() - start)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
