#!/usr/bin/env python3
"""Makes tests/data/hf/finetune/: what PyTorch + transformers do in K optimiser steps of
fine-tuning the BERT and ELECTRA fixtures (tests/data/hf/{bert,electra}), for
tests/unit/transformer/finetune_parity_test.cc to replay with fenlei's backward passes and
optimiser (CI never runs Python).

  /work/benchvenv/bin/python bench/make_finetune_parity_fixture.py [--shared ../shared/data]

For each model and each of two optimiser set-ups
  adamw: torch.optim.AdamW(lr 1e-3, weight decay 0.01 except biases and LayerNorm weights,
         eps 1e-8), transformers' linear schedule (warm-up 2 of 5 steps), clip_grad_norm_ 0.5
  sgd:   torch.optim.SGD(lr 0.05, momentum 0.9), constant, no clipping
it runs K = 3 steps on fixed batches of 4 shared texts (padded batch with attention mask, mean
cross-entropy, dropout off), and writes
  steps.json                  ids and labels of every batch, learning rates, losses, grad norms
  <model>_<optimizer>.safetensors
                              per parameter the change (after - before) of every element, except
                              the word-embedding table: only the rows any batch used
                              ("<name>.rows" as float ids, "<name>.rows_delta" their changes).
"""
import argparse
import json
import os
import random
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference"))
from transformer_finetune_ref import padded  # noqa: E402
from transformers import (AutoModelForSequenceClassification, AutoTokenizer,  # noqa: E402
                          get_constant_schedule, get_linear_schedule_with_warmup)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
K, BATCH, MAX_LEN = 3, 4, 24
SETUPS = {
    "adamw": dict(lr=1e-3, weight_decay=0.01, warmup=2, total=5, clip=0.5),
    "sgd": dict(lr=0.05, momentum=0.9, clip=0.0),
}


def texts(shared, rng):
    out = []
    for name in ["chnsenticorp_htl", "sst2_en"]:
        with open(os.path.join(shared, name, "dev.tsv"), encoding="utf-8") as f:
            rows = [line.rstrip("\n").split("\t", 1)[1] for line in f][1:]
        rng.shuffle(rows)
        out += rows[: K * BATCH // 2]
    rng.shuffle(out)
    return out


def run(model_dir, setup, batches):
    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir)
    model.eval()  # dropout off; gradients still flow
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    decay = [p for n, p in model.named_parameters() if not (n.endswith(".bias") or "LayerNorm" in n)]
    no_decay = [p for n, p in model.named_parameters() if n.endswith(".bias") or "LayerNorm" in n]
    s = SETUPS[setup]
    if setup == "adamw":
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": s["weight_decay"]},
                                 {"params": no_decay, "weight_decay": 0.0}], lr=s["lr"], eps=1e-8)
        sched = get_linear_schedule_with_warmup(opt, s["warmup"], s["total"])
    else:
        opt = torch.optim.SGD(model.parameters(), lr=s["lr"], momentum=s["momentum"])
        sched = get_constant_schedule(opt)
    losses, norms, lrs = [], [], []
    for batch in batches:
        input_ids, mask = padded([ids for ids, _ in batch])
        labels = torch.tensor([label for _, label in batch])
        opt.zero_grad()
        out = model(input_ids=input_ids, attention_mask=mask, labels=labels)
        out.loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), s["clip"] if s["clip"] > 0 else 1e30)
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
        losses.append(out.loss.item())
        norms.append(norm.item())
    used = sorted({i for batch in batches for ids, _ in batch for i in ids})
    tensors = {}
    for n, p in model.named_parameters():
        delta = (p.detach() - before[n]).contiguous()
        if "word_embeddings" in n:
            tensors[n + ".rows"] = torch.tensor(used, dtype=torch.float32)
            tensors[n + ".rows_delta"] = delta[used].contiguous()
        else:
            tensors[n] = delta
    return tensors, {"losses": losses, "grad_norms": norms, "lrs": lrs}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared", "data"))
    args = ap.parse_args()
    out_dir = os.path.join(ROOT, "tests", "data", "hf", "finetune")
    os.makedirs(out_dir, exist_ok=True)
    rng = random.Random(12)
    sample = texts(args.shared, rng)
    summary = {"k": K, "batch": BATCH, "setups": SETUPS, "models": {}}
    for model_name in ["bert", "electra"]:
        model_dir = os.path.join(ROOT, "tests", "data", "hf", model_name)
        tok = AutoTokenizer.from_pretrained(model_dir)
        ids = [tok(t, truncation=True, max_length=MAX_LEN)["input_ids"] for t in sample]
        labels = [rng.randrange(3) for _ in sample]
        batches = [list(zip(ids[i * BATCH:(i + 1) * BATCH], labels[i * BATCH:(i + 1) * BATCH]))
                   for i in range(K)]
        entry = {"batches": [[{"ids": i, "label": l} for i, l in b] for b in batches]}
        for setup in SETUPS:
            tensors, record = run(model_dir, setup, batches)
            save_file(tensors, os.path.join(out_dir, f"{model_name}_{setup}.safetensors"))
            entry[setup] = record
            print(model_name, setup, record)
        summary["models"][model_name] = entry
    with open(os.path.join(out_dir, "steps.json"), "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=1)


if __name__ == "__main__":
    main()
