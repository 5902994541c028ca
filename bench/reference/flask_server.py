#!/usr/bin/env python3
"""Reference server for bench/serve_bench.sh: the seed-cnn network in PyTorch behind Flask.

What a Python team would typically ship for the same model: python jieba segmentation, a PyTorch
module (Embedding 16 -> Conv1d 128x5 -> ReLU -> global max -> Linear -> softmax), Flask with its
threaded server, and the same JSON API as `fenlei serve`:

    POST /v1/models/{name}:predict  {"instances": [...], "k": 1}
      -> {"predictions": [{"label", "score", "top_k": [{"label", "score"}]}]}
    GET /v2/health/ready

The weights are RANDOMLY INITIALISED (seeded): only speed is measured, and the compute per request
does not depend on the weight values. The vocabulary is built with jieba from --train (most
frequent words first, cut to --vocab-size), so token lookup costs what it would with a trained
model. Shapes (--vocab-size, --max-len, --labels) are taken from the fenlei model being compared.

    bench/.venv/bin/python bench/reference/flask_server.py --train ../shared/data/x/train.tsv \
        --vocab-size 20000 --max-len 120 --labels neg,pos --port 8081
"""
import argparse
import collections
import json
import logging
import sys

# Debian's python3-jieba and python3-flask (apt-get install python3-jieba python3-flask) live
# outside the venv, which holds PyTorch; both are pure Python.
sys.path.append("/usr/lib/python3/dist-packages")

import jieba  # noqa: E402
import torch  # noqa: E402
from flask import Flask, Response, request  # noqa: E402

PAD, UNK = 0, 1


class SeedCnn(torch.nn.Module):
    def __init__(self, vocab_size, num_labels, embed_dim=16, filters=128, width=5):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab_size, embed_dim, padding_idx=PAD)
        self.conv = torch.nn.Conv1d(embed_dim, filters, width)
        self.out = torch.nn.Linear(filters, num_labels)
        self.width = width

    def forward(self, ids):  # ids: [batch, length >= width]
        x = self.embed(ids).transpose(1, 2)          # [batch, embed, length]
        x = torch.relu(self.conv(x))                 # [batch, filters, length - width + 1]
        x = torch.amax(x, dim=2)                     # global max pooling
        return torch.softmax(self.out(x), dim=1)     # [batch, labels]


def build_vocab(train_path, vocab_size):
    counts = collections.Counter()
    with open(train_path, encoding="utf-8") as f:
        next(f)  # header label<TAB>text
        for line in f:
            _, _, text = line.rstrip("\n").partition("\t")
            counts.update(w for w in jieba.lcut(text) if w.strip())
    words = [w for w, _ in counts.most_common(max(0, vocab_size - 2))]
    return {w: i + 2 for i, w in enumerate(words)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train", required=True, help="TSV (label<TAB>text) to build the vocabulary")
    ap.add_argument("--vocab-size", type=int, default=20000)
    ap.add_argument("--max-len", type=int, default=120)
    ap.add_argument("--labels", default="neg,pos")
    ap.add_argument("--name", default="bench")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8081)
    ap.add_argument("--torch-threads", type=int, default=1,
                    help="intra-op threads; 1 is fastest for single-review requests")
    args = ap.parse_args()

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no per-request log lines
    jieba.setLogLevel(logging.ERROR)
    jieba.initialize()
    torch.set_num_threads(args.torch_threads)
    torch.manual_seed(0)
    labels = args.labels.split(",")
    vocab = build_vocab(args.train, args.vocab_size)
    model = SeedCnn(max(args.vocab_size, len(vocab) + 2), len(labels)).eval()

    app = Flask(__name__)

    def error(status, message):
        return Response(json.dumps({"error": message}), status, mimetype="application/json")

    @app.post("/v1/models/<name>:predict")
    def predict(name):
        if name != args.name:
            return error(404, f"model '{name}' is not served here")
        try:
            body = json.loads(request.get_data())
            texts = body["instances"]
            k = int(body.get("k", 1))
            if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
                raise ValueError("instances must be a non-empty array of strings")
        except (ValueError, KeyError, TypeError) as e:
            return error(400, str(e))
        rows = []
        for text in texts:
            ids = [vocab.get(w, UNK) for w in jieba.lcut(text) if w.strip()][: args.max_len]
            rows.append(ids or [UNK])
        length = max(model.width, max(len(r) for r in rows))
        batch = torch.zeros((len(rows), length), dtype=torch.long)
        for i, r in enumerate(rows):
            batch[i, : len(r)] = torch.tensor(r)
        with torch.inference_mode():
            probs = model(batch)
        scores, order = torch.sort(probs, dim=1, descending=True)
        predictions = []
        for s, o in zip(scores.tolist(), order.tolist()):
            top = [{"label": labels[j], "score": p} for j, p in zip(o[:k], s[:k])]
            predictions.append({"label": top[0]["label"], "score": top[0]["score"], "top_k": top})
        return Response(json.dumps({"predictions": predictions}, ensure_ascii=False),
                        mimetype="application/json")

    @app.get("/v2/health/ready")
    def ready():
        return Response('{"ready":true}', mimetype="application/json")

    print(f"serving on http://{args.host}:{args.port}", flush=True)
    app.run(host=args.host, port=args.port, threaded=True)


if __name__ == "__main__":
    main()
