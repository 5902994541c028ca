#!/usr/bin/env python3
"""PyTorch side of bench/transformer_preset_infer.sh: inference of a transformers checkpoint
(a fenlei model exported with `fenlei export --to hf`, so the very same network and
vocabulary) on the texts of a TSV (label<TAB>text, header row), one thread:

  - single texts, ids ready: the model alone on each text's ids (p50/p99 after 50 warm-up calls)
  - single texts end to end: transformers' tokenizer + the model (whichever of the Rust "fast"
    tokenizer and the pure-Python BertTokenizer takes less CPU per text here; both are reported)
  - batches of 256 consecutive texts (the fast tokenizer, which batches in Rust), padded to the batch's longest text with an attention mask
    (what DataCollatorWithPadding and pipelines do): texts/s ids ready and with the tokenizer.
Prints one JSON line (times in microseconds, rates in texts per second).

  transformer_infer_ref.py HF_DIR TEXTS.tsv [--threads 1] [--max-len 128] [--samples 2000]
"""
import argparse
import json
import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
import torch  # noqa: E402
from transformers import (AutoModelForSequenceClassification, BertTokenizer,  # noqa: E402
                          BertTokenizerFast)
from transformer_finetune_ref import padded  # noqa: E402  (this script's directory)


def percentiles(seconds, cpu_seconds):
    """Wall and thread-CPU percentiles: on a machine shared with other jobs the wall time also
    counts the waits for a core, the CPU time only the call's own work (one thread)."""
    def q(values, f):
        s = sorted(values)
        return s[min(len(s) - 1, int(len(s) * f))] * 1e6
    return {"p50_us": q(seconds, 0.5), "p99_us": q(seconds, 0.99),
            "cpu_p50_us": q(cpu_seconds, 0.5), "cpu_p99_us": q(cpu_seconds, 0.99)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ckpt")
    ap.add_argument("texts")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--max-len", type=int, default=128)
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=256)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    with open(args.texts, encoding="utf-8") as f:
        texts = [line.rstrip("\n").split("\t", 1)[-1] for line in f][1:]
    fast = BertTokenizerFast.from_pretrained(args.ckpt)
    slow = BertTokenizer.from_pretrained(args.ckpt)
    model = AutoModelForSequenceClassification.from_pretrained(args.ckpt).eval()
    enc = lambda tok, t: tok(t, truncation=True, max_length=args.max_len)["input_ids"]  # noqa: E731
    ids = [enc(fast, t) for t in texts]
    n = min(args.samples, len(texts))
    res = {"system": "pytorch", "threads": args.threads, "texts": len(texts),
           "mean_tokens": sum(len(x) for x in ids) / len(ids)}
    with torch.inference_mode():
        for i in range(min(50, n)):
            model(input_ids=torch.tensor([ids[i]]))
        # Both of transformers' tokenizers, per text; the end-to-end rows use the faster one
        # (for single short texts the pure-Python BertTokenizer often beats the Rust one, whose
        # per-call overhead dominates).
        tok_cpu = {}
        for name, tok in (("fast", fast), ("python", slow)):
            c = time.thread_time()
            for i in range(n):
                enc(tok, texts[i])
            tok_cpu[name] = (time.thread_time() - c) / n
        best = fast if tok_cpu["fast"] <= tok_cpu["python"] else slow
        res["tokenizer_mean_cpu_us"] = {k: v * 1e6 for k, v in tok_cpu.items()}
        res["single_text_tokenizer"] = "fast" if best is fast else "python"
        lat, cpu, lat_e2e, cpu_e2e = [], [], [], []
        for i in range(n):
            t, c = time.perf_counter(), time.thread_time()
            model(input_ids=torch.tensor([ids[i]]))
            lat.append(time.perf_counter() - t)
            cpu.append(time.thread_time() - c)
        for i in range(n):
            t, c = time.perf_counter(), time.thread_time()
            x = enc(best, texts[i])
            model(input_ids=torch.tensor([x]))
            lat_e2e.append(time.perf_counter() - t)
            cpu_e2e.append(time.thread_time() - c)
        res["single_ids"] = percentiles(lat, cpu)
        res["single_with_tokenizer"] = percentiles(lat_e2e, cpu_e2e)
        b = args.batch
        model(*padded(ids[:b]))
        for with_tokenizer in (False, True):
            t, c = time.perf_counter(), time.process_time()
            for i in range(0, len(texts), b):
                if with_tokenizer:
                    batch_ids = fast(texts[i:i + b], truncation=True,
                                     max_length=args.max_len)["input_ids"]
                else:
                    batch_ids = ids[i:i + b]
                x, mask = padded(batch_ids)
                model(input_ids=x, attention_mask=mask)
            key = "batch_with_tokenizer" if with_tokenizer else "batch_ids"
            res[key + "_texts_per_second"] = len(texts) / (time.perf_counter() - t)
            res[key + "_texts_per_cpu_second"] = len(texts) / (time.process_time() - c)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
