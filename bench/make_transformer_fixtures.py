#!/usr/bin/env python3
"""Makes the transformer test fixtures under tests/data/hf/ (committed; CI never runs Python).

  /work/benchvenv/bin/python bench/make_transformer_fixtures.py [--shared ../shared/data]

1. Trains a small WordPiece vocabulary with `tokenizers` on shared Chinese and English texts.
2. Builds two random-weight classifiers with `transformers` (offline): BERT (2 layers, hidden 32,
   gelu) and ELECTRA (2 layers, hidden 32, embedding 16 -> embeddings_project, gelu_new, cased
   tokenizer), each saved as model.safetensors and pytorch_model.bin with its tokenizer files.
3. Writes expected.jsonl per model: for each of ~2,000 shared texts (plus edge cases), the ids
   of transformers' slow BertTokenizer (BertTokenizerLegacy in transformers 5; the tokens are
   vocab[id]), "fast_ids" where the fast tokenizer (tokenizer.json, kept in bert/) differs, and
   the model's class probabilities.
"""
import argparse
import json
import os
import random
import shutil

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402
from tokenizers import BertWordPieceTokenizer  # noqa: E402
from transformers import (BertConfig, BertForSequenceClassification, BertTokenizer,  # noqa: E402
                          ElectraConfig, ElectraForSequenceClassification)
try:  # transformers 5 made BertTokenizer the fast one and kept the Python one under this name
    from transformers import BertTokenizerLegacy as SlowBertTokenizer  # noqa: E402
except ImportError:
    SlowBertTokenizer = BertTokenizer

MAX_LEN = 128
EDGE_CASES = [
    "", " ", "Hello, World!", "HELLO world", "Café crème brûlée naïve", "Ünïcödé àccents",
    "hello[SEP]world [CLS] [MASK]", "tab\there\rand\x0bcontrol\x01chars", "zero\u200bwidth",
    "全角，标点！？（测试）", "混合English和中文123", "𠀀𠀁 rare CJK ext B", "한국어 텍스트",
    "emoji 😀👍 here", "İstanbul ΟΔΟΣ Straße", "a" * 150, "x" * 99 + " end", "dots...and---dashes",
    "e\u0301 composed by NFC", "ﬁ ligature", "\u2028line separator\u2029paragraph",
]


def read_texts(path, n, rng):
    with open(path, encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t", 1) for line in f][1:]
    texts = [r[1] for r in rows if len(r) == 2]
    rng.shuffle(texts)
    return texts[:n]


def train_vocab(shared, out_dir, rng):
    corpus = []
    for name in ["chnsenticorp_htl", "sst2_en", "trec_en", "thucnews_titles"]:
        corpus += read_texts(os.path.join(shared, name, "train.tsv"), 4000, rng)
    tok = BertWordPieceTokenizer(lowercase=True, strip_accents=None, handle_chinese_chars=True)
    tok.train_from_iterator(corpus, vocab_size=3000, min_frequency=2,
                            special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    vocab = sorted(tok.get_vocab().items(), key=lambda kv: kv[1])
    with open(os.path.join(out_dir, "vocab.txt"), "w", encoding="utf-8") as f:
        for token, _ in vocab:
            f.write(token + "\n")
    return len(vocab)


def save_model(model, tokenizer, fast, out_dir, keep_fast):
    model.save_pretrained(out_dir, safe_serialization=True)
    torch.save(model.state_dict(), os.path.join(out_dir, "pytorch_model.bin"))
    tokenizer.save_pretrained(out_dir)
    if keep_fast:
        fast.backend_tokenizer.save(os.path.join(out_dir, "tokenizer.json"))
    p = os.path.join(out_dir, "added_tokens.json")
    if os.path.exists(p):
        os.remove(p)


def expected(model, tokenizer, fast, texts, path):
    model.eval()
    with open(path, "w", encoding="utf-8") as f, torch.no_grad():
        for text in texts:
            enc = tokenizer(text, truncation=True, max_length=MAX_LEN, return_tensors="pt")
            ids = enc["input_ids"][0].tolist()
            probs = model(**enc).logits.softmax(-1)[0].tolist()
            row = {"text": text, "ids": ids, "probs": [round(p, 7) for p in probs]}
            fast_ids = fast(text, truncation=True, max_length=MAX_LEN)["input_ids"]
            if fast_ids != ids:
                row["fast_ids"] = fast_ids
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(os.path.dirname(__file__), "../../shared/data"))
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "../tests/data/hf"))
    args = ap.parse_args()
    rng = random.Random(20261201)
    torch.manual_seed(20261201)
    shutil.rmtree(args.out, ignore_errors=True)
    os.makedirs(args.out)
    vocab_dir = os.path.join(args.out, "vocab")
    os.makedirs(vocab_dir)
    vocab_size = train_vocab(args.shared, vocab_dir, rng)

    texts = list(EDGE_CASES)
    for name, n in [("chnsenticorp_htl", 600), ("sst2_en", 600), ("trec_en", 400),
                    ("thucnews_titles", 400)]:
        texts += read_texts(os.path.join(args.shared, name, "test.tsv"), n, rng)

    labels = {0: "neg", 1: "neu", 2: "pos"}
    common = dict(vocab_size=vocab_size, hidden_size=32, num_hidden_layers=2,
                  num_attention_heads=4, intermediate_size=64, max_position_embeddings=MAX_LEN,
                  id2label=labels, label2id={v: k for k, v in labels.items()},
                  initializer_range=0.3)  # wide weights, so probabilities are far from uniform
    vocab_file = os.path.join(vocab_dir, "vocab.txt")
    with open(vocab_file, encoding="utf-8") as f:
        vocab = {line.rstrip("\n"): i for i, line in enumerate(f)}
    models = {
        "bert": (BertForSequenceClassification(BertConfig(hidden_act="gelu", **common)),
                 SlowBertTokenizer(vocab_file, do_lower_case=True, model_max_length=MAX_LEN),
                 BertTokenizer(vocab=dict(vocab), do_lower_case=True, model_max_length=MAX_LEN)),
        "electra": (ElectraForSequenceClassification(
                        ElectraConfig(embedding_size=16, hidden_act="gelu_new",
                                      layer_norm_eps=1e-5, **common)),
                    SlowBertTokenizer(vocab_file, do_lower_case=False, model_max_length=MAX_LEN),
                    BertTokenizer(vocab=dict(vocab), do_lower_case=False,
                                  model_max_length=MAX_LEN)),
    }
    for name, (model, tokenizer, fast) in models.items():
        out_dir = os.path.join(args.out, name)
        save_model(model, tokenizer, fast, out_dir, keep_fast=name == "bert")
        expected(model, tokenizer, fast, texts, os.path.join(out_dir, "expected.jsonl"))
        print(name, sorted(os.listdir(out_dir)))
    shutil.rmtree(vocab_dir)


if __name__ == "__main__":
    main()
