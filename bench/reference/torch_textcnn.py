#!/usr/bin/env python3
"""PyTorch reference for fenlei's seed-cnn and textcnn presets (../shared/ANCHORS.md).

  --speed      examples/s of one epoch's training loop (tokenisation excluded, warm-up batches
               excluded), peak RSS, and the FLOP-based fraction of this machine's sgemm peak
  --accuracy   N epochs, best epoch on dev, test accuracy and macro-F1
  --inference  single-text latency (ids ready / including python jieba) and batch-256 throughput

Prints one JSON object on stdout; progress goes to stderr. CPU only, 2 threads by default.
"""
import argparse
import copy
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402


def keras_init(module):
    # Keras defaults, so the network starts where the seed's Keras model starts.
    for m in module.modules():
        if isinstance(m, nn.Embedding):
            nn.init.uniform_(m.weight, -0.05, 0.05)
        elif isinstance(m, (nn.Conv1d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)  # glorot_uniform: fans = Cin*k, Cout*k as in Keras
            nn.init.zeros_(m.bias)


class SeedCnn(nn.Module):
    """Embedding(V,16) -> Conv1d(16->128, 5) -> ReLU -> global max -> Linear(out)."""

    def __init__(self, vocab_rows, out_dim, emb=16, filters=128, width=5):
        super().__init__()
        self.emb = nn.Embedding(vocab_rows, emb)
        self.conv = nn.Conv1d(emb, filters, width)
        self.fc = nn.Linear(filters, out_dim)
        self.shape = dict(emb=emb, convs=[(width, filters)], fc_in=filters)

    def forward(self, x):
        h = self.emb(x).transpose(1, 2)  # (B, emb, L)
        h = torch.relu(self.conv(h)).amax(dim=2)
        return self.fc(h)


class KimTextCnn(nn.Module):
    """Kim (2014) CNN-rand: Embedding(V,128) -> widths 3/4/5 x 100 -> ReLU -> max -> concat ->
    dropout 0.5 -> Linear(out)."""

    def __init__(self, vocab_rows, out_dim, emb=128, widths=(3, 4, 5), filters=100, dropout=0.5):
        super().__init__()
        self.emb = nn.Embedding(vocab_rows, emb)
        self.convs = nn.ModuleList(nn.Conv1d(emb, filters, w) for w in widths)
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(filters * len(widths), out_dim)
        self.shape = dict(emb=emb, convs=[(w, filters) for w in widths], fc_in=filters * len(widths))

    def forward(self, x):
        h = self.emb(x).transpose(1, 2)
        h = torch.cat([torch.relu(c(h)).amax(dim=2) for c in self.convs], dim=1)
        return self.fc(self.drop(h))


def make_model(name, vocab_rows, num_classes):
    out_dim = 1 if num_classes == 2 else num_classes  # sigmoid for 2 classes, softmax otherwise
    model = SeedCnn(vocab_rows, out_dim) if name == "seed-cnn" else KimTextCnn(vocab_rows, out_dim)
    keras_init(model)
    return model


def forward_flops(model, maxlen, out_dim):
    s = model.shape
    f = sum(2 * (maxlen - w + 1) * w * s["emb"] * n for w, n in s["convs"])
    return f + 2 * s["fc_in"] * out_dim


def loss_fn(num_classes):
    if num_classes == 2:
        bce = nn.BCEWithLogitsLoss()  # == sigmoid + binary cross-entropy, numerically stable
        return lambda logits, y: bce(logits.squeeze(1), y.float())
    return nn.CrossEntropyLoss()


def predict(model, x, num_classes, batch=1024):
    model.eval()
    out = []
    with torch.inference_mode():
        for i in range(0, len(x), batch):
            logits = model(torch.from_numpy(x[i:i + batch]))
            out.append((logits.squeeze(1) > 0).long() if num_classes == 2 else logits.argmax(1))
    model.train()
    return torch.cat(out).tolist() if out else []


def make_optimizer(model):
    # Keras' Adam defaults (epsilon 1e-7, not PyTorch's 1e-8).
    return torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)


def train_epoch(model, opt, crit, x, y, batch, gen, warmup=0):
    """One shuffled epoch. Returns (examples timed, seconds timed, mean loss); the first `warmup`
    batches are run but not timed (allocator and oneDNN primitive caches warm up there)."""
    model.train()
    perm = torch.randperm(len(x), generator=gen).numpy()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    timed_n, t0, total = 0, None, 0.0
    nb = 0
    for i in range(0, len(x), batch):
        if nb == warmup:
            t0 = time.perf_counter()
        idx = torch.from_numpy(perm[i:i + batch])
        xb, yb = xt[idx], yt[idx]
        opt.zero_grad(set_to_none=True)
        loss = crit(model(xb), yb)
        loss.backward()
        opt.step()
        total += loss.item() * len(idx)
        if nb >= warmup:
            timed_n += len(idx)
        nb += 1
    seconds = time.perf_counter() - t0 if t0 is not None else 0.0
    return timed_n, seconds, total / max(1, len(x))


def sgemm_peak_gflops(threads):
    # 2048^3 single-precision matmul, best of a few: the machine ceiling ANCHORS.md quotes.
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    torch.mm(a, b)
    best = float("inf")
    for _ in range(4):
        t = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - t)
    return 2 * 2048 ** 3 / best / 1e9


def prepare(args):
    t = time.perf_counter()
    ytr, _, ttr = common.load_split(args.data_dir, args.dataset, "train", args.limit)
    classes = sorted(set(ytr))
    vocab = common.build_vocab(ttr)
    data = {"classes": classes, "vocab": vocab,
            "train": (common.encode(ttr, vocab, args.maxlen), common.label_ids(ytr, classes))}
    for split in ("dev", "test"):
        if args.mode == "speed":
            break
        lab, texts, toks = common.load_split(args.data_dir, args.dataset, split, args.limit)
        keep = [i for i, l in enumerate(lab) if l in set(classes)]  # --limit may drop a class
        data[split] = (common.encode([toks[i] for i in keep], vocab, args.maxlen),
                       common.label_ids([lab[i] for i in keep], classes))
        data[split + "_texts"] = [texts[i] for i in keep]
    data["prepare_seconds"] = time.perf_counter() - t
    return data


def run_speed(args, data, model):
    x, y = data["train"]
    nc = len(data["classes"])
    gen = torch.Generator().manual_seed(args.seed)
    # Tiny smoke-test slices still time something: never warm up on more than a fifth.
    warmup = min(args.warmup, (len(x) + args.batch_size - 1) // args.batch_size // 5)
    n, sec, loss = train_epoch(model, make_optimizer(model), loss_fn(nc), x, y, args.batch_size,
                               gen, warmup=warmup)
    eps = n / sec if sec > 0 else 0.0
    out_dim = 1 if nc == 2 else nc
    train_flops = 3 * forward_flops(model, args.maxlen, out_dim)
    res = {"examples_per_second": eps, "timed_examples": n, "timed_seconds": sec,
           "warmup_batches": warmup,
           "train_loss": loss, "train_mflop_per_example": train_flops / 1e6,
           "achieved_gflops": eps * train_flops / 1e9}
    if not args.no_peak:
        peak = sgemm_peak_gflops(args.threads)
        res["sgemm_peak_gflops"] = peak
        res["fraction_of_sgemm_peak"] = res["achieved_gflops"] / peak
    return res


def mean_loss(model, crit, x, y, batch=1024):
    model.eval()
    total = 0.0
    with torch.inference_mode():
        for i in range(0, len(x), batch):
            xb, yb = torch.from_numpy(x[i:i + batch]), torch.from_numpy(y[i:i + batch])
            total += crit(model(xb), yb).item() * len(xb)
    model.train()
    return total / max(1, len(x))


def run_accuracy(args, data, model):
    """Up to --epochs epochs; the epoch with the best --monitor value on dev is kept (highest
    accuracy, or lowest loss as fenlei's presets choose), and with --patience N training stops
    after N epochs without a better value (fenlei's early stopping). Test on the kept weights."""
    (x, y), (xd, yd), (xt, yt) = data["train"], data["dev"], data["test"]
    nc = len(data["classes"])
    opt, crit = make_optimizer(model), loss_fn(nc)
    gen = torch.Generator().manual_seed(args.seed)
    by_loss = args.monitor == "valid_loss"
    epochs, best, best_state = [], None, None
    for ep in range(1, args.epochs + 1):
        n, sec, loss = train_epoch(model, opt, crit, x, y, args.batch_size, gen)
        dev = common.metrics(yd.tolist(), predict(model, xd, nc), nc)
        epochs.append({"epoch": ep, "train_loss": loss, "seconds": sec,
                       "examples_per_second": n / sec if sec else 0.0,
                       "valid_loss": mean_loss(model, crit, xd, yd),
                       "valid_accuracy": dev["accuracy"], "valid_macro_f1": dev["macro_f1"]})
        common.log(f"epoch {ep}: loss {loss:.4f} dev loss {epochs[-1]['valid_loss']:.4f} "
                   f"acc {dev['accuracy']:.4f} ({sec:.1f}s)")
        better = best is None or (epochs[-1]["valid_loss"] < best["valid_loss"] if by_loss
                                  else dev["accuracy"] > best["valid_accuracy"])
        if better:
            best, best_state = epochs[-1], copy.deepcopy(model.state_dict())
        elif args.patience and ep - best["epoch"] >= args.patience:
            break
    model.load_state_dict(best_state)
    test = common.metrics(yt.tolist(), predict(model, xt, nc), nc)
    return {"best_epoch": best["epoch"], "epochs_run": len(epochs), "monitor": args.monitor,
            "patience": args.patience, "dev_accuracy": best["valid_accuracy"],
            "test_accuracy": test["accuracy"], "test_macro_f1": test["macro_f1"],
            "test_n": test["n"], "process_cpu_seconds": time.process_time(), "epochs": epochs}


def percentiles(samples_s):
    a = np.array(samples_s) * 1e6
    return {"p50_us": float(np.percentile(a, 50)), "p99_us": float(np.percentile(a, 99)),
            "mean_us": float(a.mean()), "n": len(a)}


def run_inference(args, data, model):
    # Untrained weights: latency does not depend on the values, and this keeps the mode short.
    model.eval()
    xt, _ = data["test"]
    texts = data["test_texts"]
    n = min(args.latency_samples, len(xt))
    jieba = common.import_jieba()
    jieba.initialize()  # dictionary load (~1 s) is a one-off cost, reported separately below
    res = {}
    with torch.inference_mode():
        for i in range(min(50, n)):  # warm-up
            model(torch.from_numpy(xt[i:i + 1]))
        # Wall clock, and this thread's CPU time (*_cpu: the steadier figure on a shared
        # machine; with --threads 1 torch computes in the calling thread).
        lat, cpu = [], []
        for i in range(n):
            c, t = time.thread_time(), time.perf_counter()
            model(torch.from_numpy(xt[i:i + 1]))
            lat.append(time.perf_counter() - t)
            cpu.append(time.thread_time() - c)
        res["single_ids"] = percentiles(lat)
        res["single_ids_cpu"] = percentiles(cpu)
        lat, seg, cpu, seg_cpu = [], [], [], []
        for i in range(n):
            c, t = time.thread_time(), time.perf_counter()
            ws = common.words_of(jieba, texts[i])
            c1, t1 = time.thread_time(), time.perf_counter()
            ids = common.encode([ws], data["vocab"], args.maxlen)
            model(torch.from_numpy(ids))
            lat.append(time.perf_counter() - t)
            cpu.append(time.thread_time() - c)
            seg.append(t1 - t)
            seg_cpu.append(c1 - c)
        res["single_with_jieba"] = percentiles(lat)
        res["single_with_jieba_cpu"] = percentiles(cpu)
        res["jieba_only"] = percentiles(seg)
        res["jieba_only_cpu"] = percentiles(seg_cpu)
        chars = sum(len(texts[i]) for i in range(n))
        res["jieba_mb_per_second"] = sum(len(texts[i].encode()) for i in range(n)) / sum(seg) / 1e6
        res["mean_chars_per_text"] = chars / n
        b = 256
        model(torch.from_numpy(xt[:b]))
        t, c = time.perf_counter(), time.process_time()
        done = 0
        for _ in range(args.batch_rounds):  # the test set this many times, as fenlei's
            for i in range(0, len(xt), b):  # predict_latency --batch-rounds
                model(torch.from_numpy(xt[i:i + b]))
                done += len(xt[i:i + b])
        res["batch256_examples_per_second"] = done / (time.perf_counter() - t)
        # Process CPU time: with --threads 1 the steadier figure on a shared machine.
        res["batch256_examples_per_cpu_second"] = done / (time.process_time() - c)
    return res


def run_main(description, models, datasets, default_dataset, default_epochs, build_model):
    """The command line of this script and of the references built on it (dpcnn.py,
    recurrent_nets.py): the same modes, flags and JSON output; only the networks differ.
    build_model(name, vocab_rows, num_classes) makes the network of --model (models[0] by
    default). A caller whose network is not a CNN sets this module's forward_flops first."""
    p = argparse.ArgumentParser(description=description,
                                formatter_class=argparse.RawTextHelpFormatter)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--speed", dest="mode", action="store_const", const="speed")
    g.add_argument("--accuracy", dest="mode", action="store_const", const="accuracy")
    g.add_argument("--inference", dest="mode", action="store_const", const="inference")
    p.add_argument("--dataset", default=default_dataset, choices=datasets)
    p.add_argument("--model", default=models[0], choices=models)
    p.add_argument("--data-dir", default=common.default_data_dir())
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--epochs", type=int, default=default_epochs, help="--accuracy only")
    p.add_argument("--monitor", choices=["valid_accuracy", "valid_loss"],
                   default="valid_accuracy", help="--accuracy: the dev value that picks the epoch "
                   "(fenlei's presets: valid_loss)")
    p.add_argument("--patience", type=int, default=0,
                   help="--accuracy: stop after N epochs without a better dev value (0: never)")
    p.add_argument("--maxlen", type=int, help="default 128 (32 for thucnews_titles)")
    p.add_argument("--limit", type=int, help="first N rows of each split (smoke tests)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--warmup", type=int, default=5, help="untimed batches in --speed")
    p.add_argument("--latency-samples", type=int, default=1000)
    p.add_argument("--batch-rounds", type=int, default=1,
                   help="--inference: time the batch-256 loop over the test set this many times")
    p.add_argument("--no-peak", action="store_true", help="skip the sgemm peak measurement")
    args = p.parse_args()
    args.maxlen = args.maxlen or common.default_maxlen(args.dataset)

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    data = prepare(args)
    nc = len(data["classes"])
    model = build_model(args.model, common.VOCAB_WORDS + 2, nc)
    common.log(f"torch {torch.__version__} {args.mode} {args.model} {args.dataset} "
               f"n_train={len(data['train'][0])} classes={nc} maxlen={args.maxlen}")
    run = {"speed": run_speed, "accuracy": run_accuracy, "inference": run_inference}[args.mode]
    cpu = time.process_time()
    result = run(args, data, model)
    if args.mode == "speed":
        # CPU seconds of the whole epoch (warm-up batches included): on a shared machine the
        # wall-clock rate measures the scheduler's share as much as the code.
        cpu = time.process_time() - cpu
        result["epoch_cpu_seconds"] = cpu
        result["examples_per_cpu_second"] = len(data["train"][0]) / cpu if cpu > 0 else 0.0
    common.emit({"system": "pytorch", "mode": args.mode, "model": args.model,
                 "dataset": args.dataset, "batch_size": args.batch_size, "maxlen": args.maxlen,
                 "threads": args.threads, "n_train": len(data["train"][0]), "classes": nc,
                 "limit": args.limit, "torch": torch.__version__,
                 "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
                 "prepare_seconds": data["prepare_seconds"], **result,
                 "peak_rss_mb": common.peak_rss_mb(), "machine": common.machine_info(),
                 "command": " ".join([os.path.relpath(sys.argv[0], common.REPO)] + sys.argv[1:])})


def main():
    run_main(__doc__, ["seed-cnn", "textcnn"], common.DATASETS, "online_shopping_cats", 10,
             make_model)


if __name__ == "__main__":
    main()
