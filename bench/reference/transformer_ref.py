#!/usr/bin/env python3
"""Reference side of bench/transformer_bench.sh: random-weight encoders of real shapes, their
ids for shared texts, and PyTorch / ONNX Runtime timings on those ids (1 thread, process CPU
time: on a shared machine wall time measures the neighbours).

  transformer_ref.py make OUT        # OUT/<shape>/ checkpoints + OUT/<shape>/ids.jsonl
  transformer_ref.py run DIR [--single N] [--batches N]   # JSON lines: torch, ort, ort-int8
"""
import argparse
import json
import os
import random
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np  # noqa: E402
import torch  # noqa: E402
from transformers import (BertConfig, BertForSequenceClassification,  # noqa: E402
                          ElectraConfig, ElectraForSequenceClassification)
try:
    from transformers import BertTokenizerLegacy as SlowBertTokenizer  # noqa: E402
except ImportError:
    from transformers import BertTokenizer as SlowBertTokenizer  # noqa: E402

SHAPES = {
    # bert-base-chinese: 12 layers, 768 hidden, 12 heads, 3072 FFN, vocabulary 21,128
    "bert-base-chinese": ("bert", dict(num_hidden_layers=12, hidden_size=768, num_attention_heads=12,
                                       intermediate_size=3072)),
    # RBT3: the first 3 layers of RoBERTa-wwm-ext (BERT architecture, same width)
    "rbt3": ("bert", dict(num_hidden_layers=3, hidden_size=768, num_attention_heads=12,
                          intermediate_size=3072)),
    # chinese-electra-small-discriminator: 12 layers, 256 hidden, 4 heads, 1024 FFN, 128 embeddings
    "electra-small": ("electra", dict(num_hidden_layers=12, hidden_size=256, num_attention_heads=4,
                                      intermediate_size=1024, embedding_size=128)),
}
VOCAB_SIZE = 21128
MAX_LEN = 128
SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../shared/data")


def texts(n):
    rng = random.Random(7)
    out = []
    for name in ["chnsenticorp_htl", "sst2_en", "online_shopping_senti", "thucnews_titles"]:
        with open(os.path.join(SHARED, name, "test.tsv"), encoding="utf-8") as f:
            rows = [line.rstrip("\n").split("\t", 1)[-1] for line in f][1:]
        rng.shuffle(rows)
        out += rows[: n // 4]
    rng.shuffle(out)
    return out


def make_vocab(path):
    """Specials, every character of the shared texts, frequent English words, then fillers."""
    chars, words = {}, {}
    for name in ["chnsenticorp_htl", "online_shopping_senti", "thucnews_titles", "sst2_en"]:
        with open(os.path.join(SHARED, name, "train.tsv"), encoding="utf-8") as f:
            for line in f:
                text = line.rstrip("\n").split("\t", 1)[-1].lower()
                for ch in text:
                    if not ch.isspace():
                        chars[ch] = chars.get(ch, 0) + 1
                for w in text.split():
                    words[w] = words.get(w, 0) + 1
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab += [c for c, _ in sorted(chars.items(), key=lambda kv: -kv[1])][:8000]
    seen = set(vocab)
    for w, _ in sorted(words.items(), key=lambda kv: -kv[1]):
        if len(vocab) >= 16000:
            break
        if w not in seen and w.isalpha():
            vocab.append(w)
            seen.add(w)
    for c in "abcdefghijklmnopqrstuvwxyz0123456789":
        for t in (c, "##" + c):
            if t not in seen:
                vocab.append(t)
                seen.add(t)
    i = 0
    while len(vocab) < VOCAB_SIZE:
        vocab.append("[unused%d]" % i)
        i += 1
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(vocab[:VOCAB_SIZE]) + "\n")


def make(out):
    os.makedirs(out, exist_ok=True)
    vocab = os.path.join(out, "vocab.txt")
    make_vocab(vocab)
    tok = SlowBertTokenizer(vocab, do_lower_case=True, model_max_length=MAX_LEN)
    sample = texts(400)
    torch.manual_seed(0)
    for name, (kind, shape) in SHAPES.items():
        d = os.path.join(out, name)
        common = dict(vocab_size=VOCAB_SIZE, max_position_embeddings=512, num_labels=2, **shape)
        if kind == "bert":
            model = BertForSequenceClassification(BertConfig(**common))
        else:
            model = ElectraForSequenceClassification(ElectraConfig(**common))
        model.save_pretrained(d, safe_serialization=True)
        tok.save_pretrained(d)
        with open(os.path.join(d, "ids.jsonl"), "w") as f:
            for t in sample:
                f.write(json.dumps(tok(t, truncation=True, max_length=MAX_LEN)["input_ids"]) + "\n")
        print("made", d, file=sys.stderr)


def load(d):
    cfg = json.load(open(os.path.join(d, "config.json")))
    cls = BertForSequenceClassification if cfg["model_type"] == "bert" else ElectraForSequenceClassification
    model = cls.from_pretrained(d).eval()
    ids = [json.loads(line) for line in open(os.path.join(d, "ids.jsonl"))]
    return model, cfg, ids


def timings(name, run_one, run_batch, ids, single, batches):
    for i in range(3):
        run_one(ids[i])
    lat = []
    for i in range(single):
        t = time.process_time()
        run_one(ids[i % len(ids)])
        lat.append((time.process_time() - t) * 1000)
    lat.sort()
    total = 0.0
    for b in range(batches):
        batch = [ids[(b * 32 + i) % len(ids)] for i in range(32)]
        t = time.process_time()
        run_batch(batch)
        total += time.process_time() - t
    return {"system": name, "p50_ms": lat[len(lat) // 2],
            "p99_ms": lat[min(len(lat) - 1, int(0.99 * len(lat)))],
            "batch32_texts_per_s": 32 * batches / total}


def padded(batch):
    n = max(len(x) for x in batch)
    ids = np.zeros((len(batch), n), dtype=np.int64)
    mask = np.zeros((len(batch), n), dtype=np.int64)
    for i, x in enumerate(batch):
        ids[i, : len(x)] = x
        mask[i, : len(x)] = 1
    return ids, mask


def run(d, single, batches):
    torch.set_num_threads(1)
    model, cfg, ids = load(d)

    def torch_one(x):
        with torch.inference_mode():
            model(input_ids=torch.tensor([x])).logits.softmax(-1)

    def torch_batch(b):
        i, m = padded(b)
        with torch.inference_mode():
            model(input_ids=torch.from_numpy(i), attention_mask=torch.from_numpy(m)).logits.softmax(-1)

    print(json.dumps(timings("pytorch", torch_one, torch_batch, ids, single, batches)), flush=True)

    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer
    onnx_path = os.path.join(d, "model.onnx")
    if not os.path.exists(os.path.join(d, "model.int8.onnx")):
        i, m = padded(ids[:2])
        torch.onnx.export(model, (torch.from_numpy(i), torch.from_numpy(m)), onnx_path,
                          input_names=["input_ids", "attention_mask"], output_names=["logits"],
                          dynamic_axes={"input_ids": {0: "b", 1: "s"}, "attention_mask": {0: "b", 1: "s"}},
                          opset_version=17, dynamo=False)
        opt = optimizer.optimize_model(onnx_path, model_type="bert", num_heads=cfg["num_attention_heads"],
                                       hidden_size=cfg["hidden_size"])
        opt.save_model_to_file(os.path.join(d, "model.opt.onnx"))
        import onnx
        quantize_dynamic(os.path.join(d, "model.opt.onnx"), os.path.join(d, "model.int8.onnx"),
                         weight_type=QuantType.QInt8,
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    for name, path in [("onnxruntime", "model.opt.onnx"), ("onnxruntime-int8", "model.int8.onnx")]:
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        so.inter_op_num_threads = 1
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        sess = ort.InferenceSession(os.path.join(d, path), so, providers=["CPUExecutionProvider"])

        def ort_one(x, sess=sess):
            a = np.array([x], dtype=np.int64)
            sess.run(None, {"input_ids": a, "attention_mask": np.ones_like(a)})

        def ort_batch(b, sess=sess):
            i, m = padded(b)
            sess.run(None, {"input_ids": i, "attention_mask": m})

        print(json.dumps(timings(name, ort_one, ort_batch, ids, single, batches)), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["make", "run"])
    ap.add_argument("dir")
    ap.add_argument("--single", type=int, default=100)
    ap.add_argument("--batches", type=int, default=4)
    a = ap.parse_args()
    if a.cmd == "make":
        make(a.dir)
    else:
        run(a.dir, a.single, a.batches)


if __name__ == "__main__":
    main()
