#!/usr/bin/env python3
"""`fenlei export --to hf` checked against transformers (benchmark venv only; CI never runs it).

  /work/benchvenv/bin/python bench/hf_export_check.py [--fenlei build/fenlei] [--data FILE.tsv ...]
      [--checkpoint DIR ...] [--skip-fixtures] [--max-texts N]

For each checkpoint -- the committed BERT and ELECTRA (embeddings_project) fixtures under
tests/data/hf, and an ELECTRA without embeddings_project (embedding_size == hidden_size, cased,
gelu) made here with transformers from random weights -- it runs

  fenlei import CKPT --output m.fenlei
  fenlei export m.fenlei --to hf OUT
  fenlei predict m.fenlei --k C --json           (fenlei's probabilities)
  AutoTokenizer + AutoModelForSequenceClassification on OUT (transformers' probabilities)
  fenlei import OUT --output again.fenlei; fenlei predict again.fenlei  (the round trip)

on the fixtures' ~2,000 texts (ChnSentiCorp, SST-2, TREC, THUCNews titles, edge cases; texts
with line breaks are skipped, fenlei predict reads lines) plus the first --n lines of each
--data TSV, and prints, per checkpoint: texts, token-id mismatches between fenlei and
transformers' AutoTokenizer (the fast BertTokenizer in transformers 5) and the slow one, the
largest probability difference (goal < 1e-4), argmax agreement, whether OUT's model.safetensors
equals the original file byte for byte, and whether the round trip predicts identically.
Exit status 1 when a probability differs by 1e-4 or more on a text both tokenise alike.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402
from transformers import (AutoModelForSequenceClassification, AutoTokenizer,  # noqa: E402
                          ElectraConfig, ElectraForSequenceClassification)
try:
    from transformers import BertTokenizerLegacy as SlowBertTokenizer  # noqa: E402
except ImportError:  # transformers 4: BertTokenizer is the slow one
    from transformers import BertTokenizer as SlowBertTokenizer  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "data", "hf")
TOLERANCE = 1e-4


def run(cmd, stdin=None):
    r = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()}")
    return r


def load_texts(data_files, n):
    texts = []
    for name in ("bert", "electra"):
        with open(os.path.join(FIXTURES, name, "expected.jsonl"), encoding="utf-8") as f:
            texts += [json.loads(line)["text"] for line in f]
    for path in data_files:
        with open(path, encoding="utf-8") as f:
            for i, line in enumerate(f):
                if i >= n:
                    break
                texts.append(line.rstrip("\n").split("\t", 1)[-1])
    seen, out = set(), []
    for t in texts:
        if "\n" not in t and "\r" not in t and t not in seen:
            seen.add(t)
            out.append(t)
    return out


def fenlei_predict(fenlei, model, texts, labels):
    out = run([fenlei, "predict", model, "--k", str(len(labels)), "--json"],
              "".join(t + "\n" for t in texts)).stdout.splitlines()
    assert len(out) == len(texts), (len(out), len(texts))
    probs = []
    for line in out:
        scores = {s["label"]: s["score"] for s in json.loads(line)["top_k"]}
        probs.append([scores[label] for label in labels])
    return out, probs


def fenlei_ids(fenlei, model, texts):
    out = run([fenlei, "tokenize", model, "--json"], "".join(t + "\n" for t in texts)).stdout
    return [json.loads(line)["ids"] for line in out.splitlines()]


def make_electra_without_projection(out_dir):
    """Random ELECTRA, embedding_size == hidden_size (no embeddings_project), cased tokenizer."""
    torch.manual_seed(5)
    config = ElectraConfig(vocab_size=3000, embedding_size=32, hidden_size=32, num_hidden_layers=2,
                           num_attention_heads=4, intermediate_size=64, max_position_embeddings=128,
                           hidden_act="gelu", layer_norm_eps=3e-7, initializer_range=0.3,
                           id2label={0: "no", 1: "yes"}, label2id={"no": 0, "yes": 1})
    model = ElectraForSequenceClassification(config).eval()
    assert not hasattr(model.electra, "embeddings_project")
    model.save_pretrained(out_dir)
    for name in ("vocab.txt", "tokenizer_config.json"):
        shutil.copy(os.path.join(FIXTURES, "electra", name), out_dir)


def check(name, ckpt, fenlei, texts, work):
    model = os.path.join(work, name + ".fenlei")
    exported = os.path.join(work, name + "-hf")
    again = os.path.join(work, name + "-again.fenlei")
    run([fenlei, "import", ckpt, "--output", model])
    run([fenlei, "export", model, "--to", "hf", exported])

    torch.set_num_threads(1)
    tok = AutoTokenizer.from_pretrained(exported)
    slow = SlowBertTokenizer.from_pretrained(exported)
    hf = AutoModelForSequenceClassification.from_pretrained(exported).eval()
    labels = [hf.config.id2label[i] for i in range(hf.config.num_labels)]
    lines, f_probs = fenlei_predict(fenlei, model, texts, labels)
    f_ids = fenlei_ids(fenlei, model, texts)

    worst, agree, compared, fast_mismatch, slow_mismatch = 0.0, 0, 0, [], 0
    with torch.no_grad():
        for text, fp, fid in zip(texts, f_probs, f_ids):
            enc = tok(text, truncation=True, return_tensors="pt")
            ids = enc["input_ids"][0].tolist()
            if slow(text, truncation=True)["input_ids"] != fid:
                slow_mismatch += 1
            if ids != fid:
                fast_mismatch.append(text)
                continue
            hp = torch.softmax(hf(**enc).logits[0], -1).tolist()
            worst = max(worst, max(abs(a - b) for a, b in zip(fp, hp)))
            agree += max(range(len(fp)), key=fp.__getitem__) == max(range(len(hp)), key=hp.__getitem__)
            compared += 1

    same_bytes = None
    original = os.path.join(ckpt, "model.safetensors")
    if os.path.exists(original):
        with open(original, "rb") as a, open(os.path.join(exported, "model.safetensors"), "rb") as b:
            same_bytes = a.read() == b.read()
    run([fenlei, "import", exported, "--output", again])
    again_lines, _ = fenlei_predict(fenlei, again, texts, labels)
    result = {"checkpoint": name, "texts": len(texts), "compared": compared,
              "fast_tokenizer_id_mismatches": len(fast_mismatch),
              "slow_tokenizer_id_mismatches": slow_mismatch,
              "max_abs_prob_diff": worst, "argmax_agreement": agree / max(compared, 1),
              "safetensors_identical_to_original": same_bytes,
              "round_trip_predictions_identical": again_lines == lines,
              "mismatched_texts": [repr(t) for t in fast_mismatch[:5]]}
    print(json.dumps(result, ensure_ascii=False))
    return worst < TOLERANCE and again_lines == lines


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--fenlei", default=os.path.join(ROOT, "build", "fenlei"))
    ap.add_argument("--data", nargs="*", default=[], help="extra label<TAB>text files")
    ap.add_argument("--n", type=int, default=200, help="lines taken from each --data file")
    ap.add_argument("--checkpoint", nargs="*", default=[],
                    help="further checkpoint directories (BERT/ELECTRA classifiers) to check")
    ap.add_argument("--max-texts", type=int, default=0, help="use only the first N texts")
    ap.add_argument("--skip-fixtures", action="store_true", help="check only --checkpoint")
    args = ap.parse_args()
    texts = load_texts(args.data, args.n)
    if args.max_texts:
        texts = texts[:args.max_texts]
    print(f"transformers {__import__('transformers').__version__}, torch {torch.__version__}, "
          f"{len(texts)} texts", file=sys.stderr)
    ok = True
    with tempfile.TemporaryDirectory() as work:
        cases = [(os.path.basename(os.path.normpath(c)), c) for c in args.checkpoint]
        if not args.skip_fixtures:
            noproj = os.path.join(work, "electra-noproj-ckpt")
            make_electra_without_projection(noproj)
            cases = [("bert", os.path.join(FIXTURES, "bert")),
                     ("electra", os.path.join(FIXTURES, "electra")),
                     ("electra-noproj", noproj)] + cases
        for name, ckpt in cases:
            ok = check(name, ckpt, args.fenlei, texts, work) and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
