#!/usr/bin/env python3
"""PyTorch side of bench/transformer_finetune_bench.sh: fine-tunes a transformers checkpoint on
a TSV (label<TAB>text, header row) the way transformers' Trainer does by default: shuffled
batches padded to their longest text (DataCollatorWithPadding), model.train() (dropout on),
AdamW (weight decay except biases/LayerNorm), linear schedule, clip_grad_norm_ 1.0. Prints one
JSON line: examples/s over the training loop (wall and process CPU time) and peak RSS.

  transformer_finetune_ref.py CKPT_DIR TRAIN.tsv [--threads 1] [--batch 16] [--max-len 128]

Accuracy (issue #15, the `transformer` preset against the same network): --valid DEV.tsv --test
TEST.tsv evaluates dev loss and accuracy after every epoch, keeps the epoch of the lowest dev
loss, stops after --patience epochs without a better one, and reports test accuracy and
macro-F1 of the kept weights. --scratch takes only CKPT_DIR's config and vocabulary (a
`fenlei export --to hf` of a preset model) and starts from transformers' random init, as the
preset starts from its own; with --warmup-ratio 0.1 --lr 1e-3 --batch 32 --epochs 6 --patience 2
this is the preset's recipe.
"""
import argparse
import copy
import json
import os
import random
import resource
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
import torch  # noqa: E402
from transformers import (AutoConfig, AutoModelForSequenceClassification,  # noqa: E402
                          AutoTokenizer, get_linear_schedule_with_warmup)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402  (metrics)


def read_rows(path):
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t", 1) for line in f][1:]


def padded(id_lists):
    """Id and attention-mask tensors of id_lists, padded with 0 to the longest list (what
    transformers' DataCollatorWithPadding does). Shared by the references that batch texts."""
    width = max(len(x) for x in id_lists)
    ids = torch.zeros(len(id_lists), width, dtype=torch.long)
    mask = torch.zeros(len(id_lists), width, dtype=torch.long)
    for i, x in enumerate(id_lists):
        ids[i, :len(x)] = torch.tensor(x)
        mask[i, :len(x)] = 1
    return ids, mask


def batches(enc, order, size):
    """Padded id and mask tensors of enc[order[...]], size rows at a time, with their labels."""
    for b in range(0, len(order), size):
        batch = [enc[i] for i in order[b:b + size]]
        ids, mask = padded([x for x, _ in batch])
        yield ids, mask, torch.tensor([y for _, y in batch])


def evaluate(model, enc, num_labels):
    """Mean loss, accuracy and macro-F1 of enc (dropout off)."""
    model.eval()
    total, pred = 0.0, []
    with torch.inference_mode():
        for ids, mask, y in batches(enc, list(range(len(enc))), 128):
            out = model(input_ids=ids, attention_mask=mask, labels=y)
            total += out.loss.item() * len(y)
            pred += out.logits.argmax(1).tolist()
    model.train()
    m = common.metrics([y for _, y in enc], pred, num_labels)
    return {"loss": total / max(1, len(enc)), "accuracy": m["accuracy"], "macro_f1": m["macro_f1"]}


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
    ap.add_argument("--warmup-ratio", type=float, default=0.0)
    ap.add_argument("--scratch", action="store_true", help="CKPT_DIR's config, random weights")
    ap.add_argument("--valid", help="dev TSV: best epoch by dev loss (accuracy mode)")
    ap.add_argument("--test", help="test TSV: accuracy and macro-F1 of the kept epoch")
    ap.add_argument("--patience", type=int, default=0, help="stop after N epochs without a better dev loss")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rows = read_rows(args.train)
    labels = sorted({r[0] for r in rows})
    tok = AutoTokenizer.from_pretrained(args.ckpt)
    if args.scratch:
        model = AutoModelForSequenceClassification.from_config(
            AutoConfig.from_pretrained(args.ckpt, num_labels=len(labels)))
    else:
        model = AutoModelForSequenceClassification.from_pretrained(
            args.ckpt, num_labels=len(labels), ignore_mismatched_sizes=True)

    def encode(rows):
        return [(tok(r[1], truncation=True, max_length=args.max_len)["input_ids"],
                 labels.index(r[0])) for r in rows if r[0] in labels]

    enc = encode(rows)
    dev = encode(read_rows(args.valid)) if args.valid else None
    no_decay = lambda n: n.endswith(".bias") or "LayerNorm" in n  # noqa: E731
    opt = torch.optim.AdamW([
        {"params": [p for n, p in model.named_parameters() if not no_decay(n)], "weight_decay": 0.01},
        {"params": [p for n, p in model.named_parameters() if no_decay(n)], "weight_decay": 0.0}],
        lr=args.lr, eps=1e-8)
    steps = args.epochs * ((len(enc) + args.batch - 1) // args.batch)
    sched = get_linear_schedule_with_warmup(opt, int(args.warmup_ratio * steps), steps)
    model.train()
    rng = random.Random(args.seed)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    n = 0
    epochs, best, best_state = [], None, None
    for epoch in range(1, args.epochs + 1):
        order = list(range(len(enc)))
        rng.shuffle(order)
        for ids, mask, y in batches(enc, order, args.batch):
            out = model(input_ids=ids, attention_mask=mask, labels=y)
            out.loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            n += len(y)
        if dev is None:
            continue
        epochs.append({"epoch": epoch, **evaluate(model, dev, len(labels))})
        print(f"epoch {epoch}: dev {epochs[-1]}", file=sys.stderr, flush=True)
        if best is None or epochs[-1]["loss"] < best["loss"]:
            best, best_state = epochs[-1], copy.deepcopy(model.state_dict())
        elif args.patience and epoch - best["epoch"] >= args.patience:
            break
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    result = {"system": "pytorch", "threads": args.threads, "examples": n,
              "examples_per_s_wall": n / wall, "examples_per_cpu_s": n / cpu,
              "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    if best is not None:
        model.load_state_dict(best_state)
        result.update(best_epoch=best["epoch"], epochs_run=len(epochs), dev=best, epochs=epochs)
        if args.test:
            test = evaluate(model, encode(read_rows(args.test)), len(labels))
            result.update(test_accuracy=test["accuracy"], test_macro_f1=test["macro_f1"])
    print(json.dumps(result))


if __name__ == "__main__":
    main()
