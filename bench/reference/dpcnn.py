#!/usr/bin/env python3
"""PyTorch reference for fenlei's dpcnn preset (issue #15): Johnson & Zhang (2017), Deep Pyramid
CNN, the network fenlei's src/nn/dpcnn.h computes, with the same init, optimiser and data path
as torch_textcnn.py (whose modes, CLI and JSON output this script shares):

  --speed / --accuracy / --inference   as in torch_textcnn.py (same JSON fields)

Region conv (width 3, 250 channels, same padding) over 128-dim embeddings; stage 0 =
x + conv(relu(conv(relu(x)))); then up to `blocks` (7) times while the length exceeds 1:
max-pool size 3 stride 2 (windows 2t..2t+2, length L -> ceil(L/2)), two pre-activation convs,
shortcut add; max over the remaining positions; Linear. As in the paper's code every text of a
batch is padded to --maxlen (fenlei runs each text at its own length instead), so every text
runs all the blocks its padded length needs.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import torch_textcnn as ref  # noqa: E402

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


class Dpcnn(nn.Module):
    def __init__(self, vocab_rows, out_dim, emb=128, channels=250, blocks=7):
        super().__init__()
        self.emb = nn.Embedding(vocab_rows, emb)
        self.region = nn.Conv1d(emb, channels, 3, padding=1)
        self.convs = nn.ModuleList(nn.Conv1d(channels, channels, 3, padding=1)
                                   for _ in range(2 * (blocks + 1)))
        self.blocks = blocks
        self.fc = nn.Linear(channels, out_dim)
        self.shape = dict(emb=emb, channels=channels, blocks=blocks)

    def stage(self, x, s):
        h = self.convs[2 * s](torch.relu(x))
        return x + self.convs[2 * s + 1](torch.relu(h))

    def forward(self, ids):
        x = self.region(self.emb(ids).transpose(1, 2))  # (B, C, L)
        x = self.stage(x, 0)
        for s in range(1, self.blocks + 1):
            if x.shape[2] <= 1:
                break
            x = F.max_pool1d(F.pad(x, (0, 2), value=float("-inf")), 3, 2)
            x = self.stage(x, s)
        return self.fc(x.amax(dim=2))


def forward_flops(model, maxlen, out_dim):
    s = model.shape
    c, f, length = s["channels"], 0, maxlen
    f += 2 * length * 3 * s["emb"] * c  # region conv
    f += 2 * 2 * length * 3 * c * c     # stage 0
    for _ in range(s["blocks"]):
        if length <= 1:
            break
        length = (length + 1) // 2
        f += 2 * 2 * length * 3 * c * c
    return f + 2 * c * out_dim


def make_model(name, vocab_rows, num_classes):
    out_dim = 1 if num_classes == 2 else num_classes
    model = Dpcnn(vocab_rows, out_dim)
    ref.keras_init(model)  # glorot kernels, zero biases, uniform(-0.05, 0.05) embeddings
    return model


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--speed", dest="mode", action="store_const", const="speed")
    g.add_argument("--accuracy", dest="mode", action="store_const", const="accuracy")
    g.add_argument("--inference", dest="mode", action="store_const", const="inference")
    p.add_argument("--dataset", default="chnsenticorp_htl",
                   choices=common.DATASETS + ["sst2_en", "trec_en"])
    p.add_argument("--model", default="dpcnn", choices=["dpcnn"])
    p.add_argument("--data-dir", default=common.default_data_dir())
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--epochs", type=int, default=8, help="--accuracy only")
    p.add_argument("--maxlen", type=int, help="default 128 (32 for thucnews_titles)")
    p.add_argument("--limit", type=int, help="first N rows of each split")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--warmup", type=int, default=5, help="untimed batches in --speed")
    p.add_argument("--latency-samples", type=int, default=1000)
    p.add_argument("--no-peak", action="store_true", help="skip the sgemm peak measurement")
    args = p.parse_args()
    args.maxlen = args.maxlen or common.default_maxlen(args.dataset)

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    ref.forward_flops = forward_flops  # torch_textcnn's --speed mode reads it for its FLOP rate
    data = ref.prepare(args)
    nc = len(data["classes"])
    model = make_model(args.model, common.VOCAB_WORDS + 2, nc)
    common.log(f"torch {torch.__version__} {args.mode} dpcnn {args.dataset} "
               f"n_train={len(data['train'][0])} classes={nc} maxlen={args.maxlen}")
    run = {"speed": ref.run_speed, "accuracy": ref.run_accuracy,
           "inference": ref.run_inference}[args.mode]
    cpu = time.process_time()
    result = run(args, data, model)
    if args.mode == "speed":
        # CPU seconds of the whole epoch (warm-up batches included): on a shared machine the
        # wall-clock rate measures the scheduler's share as much as the code.
        cpu = time.process_time() - cpu
        result["epoch_cpu_seconds"] = cpu
        result["examples_per_cpu_second"] = len(data["train"][0]) / cpu if cpu > 0 else 0.0
    common.emit({"system": "pytorch", "mode": args.mode, "model": "dpcnn",
                 "dataset": args.dataset, "batch_size": args.batch_size, "maxlen": args.maxlen,
                 "threads": args.threads, "n_train": len(data["train"][0]), "classes": nc,
                 "limit": args.limit, "torch": torch.__version__,
                 "prepare_seconds": data["prepare_seconds"], **result,
                 "peak_rss_mb": common.peak_rss_mb(), "machine": common.machine_info(),
                 "command": " ".join([os.path.relpath(sys.argv[0], common.REPO)] + sys.argv[1:])})


if __name__ == "__main__":
    main()
