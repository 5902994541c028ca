#!/usr/bin/env python3
"""PyTorch side of bench/transformer_finetune_bench.sh: fine-tunes a transformers checkpoint on
a TSV (label<TAB>text, header row) the way transformers' Trainer does by default: shuffled
batches padded to their longest text (DataCollatorWithPadding), model.train() (dropout on),
AdamW (weight decay except biases/LayerNorm), linear schedule, clip_grad_norm_ 1.0. Prints one
JSON line: examples/s over the training loop (wall and process CPU time) and peak RSS.

  transformer_finetune_ref.py CKPT_DIR TRAIN.tsv [--threads 1] [--batch 16] [--max-len 128]
"""
import argparse
import json
import os
import random
import resource
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
import torch  # noqa: E402
from transformers import (AutoModelForSequenceClassification, AutoTokenizer,  # noqa: E402
                          get_linear_schedule_with_warmup)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ckpt")
    ap.add_argument("train")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--max-len", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-5)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    with open(args.train, encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t", 1) for line in f][1:]
    labels = sorted({r[0] for r in rows})
    tok = AutoTokenizer.from_pretrained(args.ckpt)
    model = AutoModelForSequenceClassification.from_pretrained(
        args.ckpt, num_labels=len(labels), ignore_mismatched_sizes=True)
    enc = [(tok(r[1], truncation=True, max_length=args.max_len)["input_ids"], labels.index(r[0]))
           for r in rows]
    no_decay = lambda n: n.endswith(".bias") or "LayerNorm" in n  # noqa: E731
    opt = torch.optim.AdamW([
        {"params": [p for n, p in model.named_parameters() if not no_decay(n)], "weight_decay": 0.01},
        {"params": [p for n, p in model.named_parameters() if no_decay(n)], "weight_decay": 0.0}],
        lr=args.lr, eps=1e-8)
    steps = args.epochs * ((len(enc) + args.batch - 1) // args.batch)
    sched = get_linear_schedule_with_warmup(opt, 0, steps)
    model.train()
    rng = random.Random(args.seed)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    n = 0
    for _ in range(args.epochs):
        order = list(range(len(enc)))
        rng.shuffle(order)
        for b in range(0, len(order), args.batch):
            batch = [enc[i] for i in order[b:b + args.batch]]
            width = max(len(ids) for ids, _ in batch)
            ids = torch.zeros(len(batch), width, dtype=torch.long)
            mask = torch.zeros(len(batch), width, dtype=torch.long)
            for i, (x, _) in enumerate(batch):
                ids[i, :len(x)] = torch.tensor(x)
                mask[i, :len(x)] = 1
            out = model(input_ids=ids, attention_mask=mask,
                        labels=torch.tensor([y for _, y in batch]))
            out.loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            n += len(batch)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    print(json.dumps({"system": "pytorch", "threads": args.threads, "examples": n,
                      "examples_per_s_wall": n / wall, "examples_per_cpu_s": n / cpu,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main()
