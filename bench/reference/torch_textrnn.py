#!/usr/bin/env python3
"""PyTorch reference for fenlei's recurrent presets (issue 15): bilstm (BiLSTM + attention
pooling, Zhou et al. 2016), gru (BiGRU + attention) and rcnn (Lai et al. 2015), the same shapes
as fenlei's defaults (embedding 128, 128 units per direction, rcnn projection 128, dropout 0.5
on the pooled features). Idiomatic PyTorch: nn.LSTM/nn.GRU over pack_padded_sequence, so, like
fenlei, no recurrent work is spent on padding.

  --speed      examples/s of one epoch's training loop (tokenisation and warm-up batches
               excluded) and peak RSS, as torch_textcnn.py --speed
  --inference  single-text latency (ids ready / including python jieba) and batch-256
               throughput of the untrained network on the test texts, as torch_textcnn.py
               --inference (bench/infer_inprocess.sh runs it against fenlei)

Prints one JSON object on stdout; progress goes to stderr. CPU only.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import torch_textcnn as ref  # noqa: E402  (data preparation, loss, Adam, the timed epoch)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence  # noqa: E402


class TextRnn(nn.Module):
    def __init__(self, kind, vocab_rows, out_dim, emb=128, hidden=128, proj=128, dropout=0.5):
        super().__init__()
        self.kind = kind
        self.emb = nn.Embedding(vocab_rows, emb, padding_idx=0)
        cell = nn.GRU if kind == "gru" else nn.LSTM
        self.rnn = cell(emb, hidden, batch_first=True, bidirectional=True)
        self.drop = nn.Dropout(dropout)
        if kind == "rcnn":
            self.proj = nn.Linear(2 * hidden + emb, proj)
            self.fc = nn.Linear(proj, out_dim)
        else:
            self.att = nn.Parameter(torch.zeros(2 * hidden))
            self.fc = nn.Linear(2 * hidden, out_dim)
        self.hidden = hidden

    def forward(self, x):
        lengths = (x != 0).sum(1).clamp(min=1)
        e = self.emb(x)
        packed = pack_padded_sequence(e, lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.rnn(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        mask = torch.arange(x.shape[1])[None, :] < lengths[:, None]  # (B, L)
        if self.kind == "rcnn":
            h = self.hidden
            left = torch.cat([torch.zeros_like(out[:, :1, :h]), out[:, :-1, :h]], 1)
            right = torch.cat([out[:, 1:, h:], torch.zeros_like(out[:, :1, h:])], 1)
            y = torch.tanh(self.proj(torch.cat([left, e, right], 2)))
            feat = y.masked_fill(~mask[:, :, None], float("-inf")).amax(1)
        else:
            s = (torch.tanh(out) * self.att).sum(2).masked_fill(~mask, float("-inf"))
            feat = (torch.softmax(s, 1)[:, :, None] * out).sum(1)
        return self.fc(self.drop(feat))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--speed", dest="mode", action="store_const", const="speed")
    g.add_argument("--inference", dest="mode", action="store_const", const="inference")
    p.add_argument("--dataset", default="chnsenticorp_htl", choices=common.DATASETS)
    p.add_argument("--model", default="bilstm", choices=["bilstm", "gru", "rcnn"])
    p.add_argument("--data-dir", default=common.default_data_dir())
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--maxlen", type=int, help="default 128 (32 for thucnews_titles)")
    p.add_argument("--limit", type=int, help="first N rows of each split")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--warmup", type=int, default=5, help="untimed batches")
    p.add_argument("--latency-samples", type=int, default=1000, help="--inference only")
    args = p.parse_args()
    args.maxlen = args.maxlen or common.default_maxlen(args.dataset)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    data = ref.prepare(args)
    nc = len(data["classes"])
    model = TextRnn(args.model, common.VOCAB_WORDS + 2, 1 if nc == 2 else nc)
    if args.mode == "inference":
        common.log(f"torch {torch.__version__} inference {args.model} {args.dataset}")
        res = ref.run_inference(args, data, model)
        common.emit({"system": "pytorch", "mode": "inference", "model": args.model,
                     "dataset": args.dataset, "maxlen": args.maxlen, "threads": args.threads,
                     "classes": nc, "limit": args.limit, "torch": torch.__version__,
                     "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"), **res,
                     "peak_rss_mb": common.peak_rss_mb(),
                     "command": " ".join([os.path.relpath(sys.argv[0], common.REPO)] + sys.argv[1:])})
        return
    x, y = data["train"]
    common.log(f"torch {torch.__version__} speed {args.model} {args.dataset} n_train={len(x)}")
    gen = torch.Generator().manual_seed(args.seed)
    warmup = min(args.warmup, (len(x) + args.batch_size - 1) // args.batch_size // 5)
    n, sec, loss = ref.train_epoch(model, ref.make_optimizer(model), ref.loss_fn(nc), x, y,
                                   args.batch_size, gen, warmup=warmup)
    common.emit({"system": "pytorch", "mode": "speed", "model": args.model,
                 "dataset": args.dataset, "batch_size": args.batch_size, "maxlen": args.maxlen,
                 "threads": args.threads, "n_train": len(x), "classes": nc, "limit": args.limit,
                 "torch": torch.__version__, "prepare_seconds": data["prepare_seconds"],
                 "examples_per_second": n / sec if sec > 0 else 0.0, "timed_examples": n,
                 "timed_seconds": sec, "train_loss": loss, "peak_rss_mb": common.peak_rss_mb(),
                 "command": " ".join([os.path.relpath(sys.argv[0], common.REPO)] + sys.argv[1:])})


if __name__ == "__main__":
    main()
