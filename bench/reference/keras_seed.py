#!/usr/bin/env python3
"""The seed's own Keras model, on the same tokens as every other reference (common.py):

  Sequential: Embedding(10000, 16) -> Conv1D(128, 5, relu) -> GlobalMaxPooling1D
              -> Dense(1, sigmoid) for 2 classes / Dense(C, softmax); Adam; batch 32

  --speed     examples/s of one training epoch (warm-up batches untimed), peak RSS
  --accuracy  N epochs; validation on dev.tsv, or with --validation-split F on the last F of
              the training arrays exactly as Keras' validation_split does; best epoch on that
              validation set, then test accuracy and macro-F1

Keras 3 removed Embedding(input_length=...): the same fixed input length comes from
keras.Input(shape=(maxlen,)). Word ids >= 10000 fold into unk so the seed's 10000-row embedding
sees the same sequences as the PyTorch model's 10002 rows. Prints one JSON object on stdout;
if TensorFlow cannot be imported it prints {"error": ...} and exits 0, so drivers carry on.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

EMBED_ROWS = 10000


def parse():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--speed", dest="mode", action="store_const", const="speed")
    g.add_argument("--accuracy", dest="mode", action="store_const", const="accuracy")
    p.add_argument("--dataset", default="online_shopping_cats", choices=common.DATASETS)
    p.add_argument("--data-dir", default=common.default_data_dir())
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--maxlen", type=int)
    p.add_argument("--limit", type=int)
    p.add_argument("--validation-split", type=float, default=0.0)
    p.add_argument("--threads", type=int, default=2, help="intra-op threads (inter-op is 1)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--warmup", type=int, default=5)
    args = p.parse_args()
    args.maxlen = args.maxlen or common.default_maxlen(args.dataset)
    return args


def main():
    args = parse()
    base = {"system": "keras", "mode": args.mode, "model": "seed-cnn", "dataset": args.dataset,
            "batch_size": args.batch_size, "maxlen": args.maxlen, "threads": args.threads,
            "limit": args.limit,
            "command": " ".join([os.path.relpath(sys.argv[0], common.REPO)] + sys.argv[1:])}
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    try:
        import numpy as np
        import tensorflow as tf
        # Must precede any op: afterwards TensorFlow ignores (or rejects) the settings.
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
        import keras
    except Exception as e:  # noqa: BLE001 - any import failure means "no Keras here"
        common.emit({**base, "error": f"tensorflow/keras unavailable: {type(e).__name__}: {e}",
                     "machine": common.machine_info()})
        return
    keras.utils.set_random_seed(args.seed)

    t = time.perf_counter()
    ytr, _, ttr = common.load_split(args.data_dir, args.dataset, "train", args.limit)
    classes = sorted(set(ytr))
    nc = len(classes)
    vocab = common.build_vocab(ttr)
    x = common.encode(ttr, vocab, args.maxlen, max_id=EMBED_ROWS)
    y = common.label_ids(ytr, classes)
    splits = {}
    if args.mode == "accuracy":
        for s in ("dev", "test"):
            lab, _, toks = common.load_split(args.data_dir, args.dataset, s, args.limit)
            keep = [i for i, l in enumerate(lab) if l in set(classes)]
            splits[s] = (common.encode([toks[i] for i in keep], vocab, args.maxlen,
                                       max_id=EMBED_ROWS),
                         common.label_ids([lab[i] for i in keep], classes))
    prepare_seconds = time.perf_counter() - t

    model = keras.Sequential([
        keras.Input(shape=(args.maxlen,), dtype="int32"),
        keras.layers.Embedding(EMBED_ROWS, 16),
        keras.layers.Conv1D(128, 5, activation="relu"),
        keras.layers.GlobalMaxPooling1D(),
        keras.layers.Dense(1, activation="sigmoid") if nc == 2
        else keras.layers.Dense(nc, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(),  # lr 1e-3, epsilon 1e-7 (Keras defaults)
                  loss="binary_crossentropy" if nc == 2 else "sparse_categorical_crossentropy",
                  metrics=["accuracy"])

    class Timer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.batch, self.t0, self.t1 = 0, None, None

        def on_train_batch_begin(self, batch, logs=None):
            if self.batch == args.warmup:
                self.t0 = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            self.batch += 1
            self.t1 = time.perf_counter()

    result = {"keras": keras.__version__, "tensorflow": tf.__version__, "n_train": len(x),
              "classes": nc, "prepare_seconds": prepare_seconds}
    if args.mode == "speed":
        nb = (len(x) + args.batch_size - 1) // args.batch_size
        args.warmup = min(args.warmup, nb // 5)  # tiny slices still time something
        timer = Timer()
        model.fit(x, y, batch_size=args.batch_size, epochs=1, shuffle=True, verbose=0,
                  callbacks=[timer])
        timed = len(x) - min(len(x), args.warmup * args.batch_size)
        sec = (timer.t1 - timer.t0) if timer.t0 is not None else 0.0
        result.update({"examples_per_second": timed / sec if sec > 0 else 0.0,
                       "timed_examples": timed, "timed_seconds": sec,
                       "warmup_batches": args.warmup})
    else:
        class Best(keras.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.best, self.weights, self.history = None, None, []

            def on_epoch_end(self, epoch, logs=None):
                acc = float(logs["val_accuracy"])
                self.history.append({"epoch": epoch + 1, "train_loss": float(logs["loss"]),
                                     "valid_accuracy": acc})
                if self.best is None or acc > self.best[1]:
                    self.best, self.weights = (epoch + 1, acc), self.model.get_weights()

        best = Best()
        fit_kw = ({"validation_split": args.validation_split} if args.validation_split > 0
                  else {"validation_data": splits["dev"]})
        t = time.perf_counter()
        model.fit(x, y, batch_size=args.batch_size, epochs=args.epochs, shuffle=True,
                  verbose=0, callbacks=[best], **fit_kw)
        seconds = time.perf_counter() - t
        model.set_weights(best.weights)
        xt, yt = splits["test"]
        probs = model.predict(xt, batch_size=1024, verbose=0)
        pred = (probs[:, 0] > 0.5).astype(int) if nc == 2 else probs.argmax(1)
        m = common.metrics(yt.tolist(), pred.tolist(), nc)
        result.update({"validation": (f"last {args.validation_split} of train"
                                      if args.validation_split > 0 else "dev.tsv"),
                       "best_epoch": best.best[0], "valid_accuracy": best.best[1],
                       "test_accuracy": m["accuracy"], "test_macro_f1": m["macro_f1"],
                       "test_n": m["n"], "train_seconds": seconds, "epochs": best.history})
    common.emit({**base, **result, "peak_rss_mb": common.peak_rss_mb(),
                 "machine": common.machine_info()})


if __name__ == "__main__":
    main()
