"""Shared plumbing for the reference systems: data loading, cached jieba tokenisation, the
vocabulary/id encoding described in ../shared/ANCHORS.md, metrics and machine facts.

Every reference script builds its inputs here so PyTorch, Keras and fastText see the very same
tokens, and so a benchmark run differs from the ANCHORS numbers only by the system measured.
"""
import hashlib
import json
import logging
import os
import platform
import resource
import subprocess
import sys
import time
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
REPO = os.path.dirname(BENCH)
CACHE_DIR = os.path.join(BENCH, "out", "cache")
DATASETS = ["chnsenticorp_htl", "online_shopping_cats", "online_shopping_senti", "thucnews_titles"]
VOCAB_WORDS = 10000  # most frequent training words; ids 0 = pad, 1 = unk, 2.. = words
PAD, UNK = 0, 1


def default_data_dir():
    # FENLEI_SHARED_DIR is the convention the C++ tests use; the checkout layout is the fallback.
    shared = os.environ.get("FENLEI_SHARED_DIR") or os.path.join(REPO, "..", "shared")
    return os.path.normpath(os.path.join(shared, "data"))


def default_maxlen(dataset):
    # Titles are at most 33 characters, so 32 jieba words never truncate them (ANCHORS.md).
    return 32 if dataset.startswith("thucnews") else 128


def import_jieba():
    """Imports jieba 0.42.1. The venv is tried first; otherwise Debian's python3-jieba (pure
    Python) is taken from /usr/lib/python3/dist-packages, appended at the END of sys.path so it
    can never shadow the venv's own numpy/torch."""
    try:
        import jieba  # noqa: F401
    except ImportError:
        sys.path.append("/usr/lib/python3/dist-packages")
        import jieba  # noqa: F401
    import jieba
    jieba.setLogLevel(logging.WARNING)
    return jieba


def read_tsv(path, limit=None):
    labels, texts = [], []
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n")
        if header != "label\ttext":
            raise SystemExit(f"{path}: expected header 'label<TAB>text', got {header!r}")
        for line in f:
            if limit is not None and len(labels) >= limit:
                break
            label, _, text = line.rstrip("\n").partition("\t")
            labels.append(label)
            texts.append(text)
    return labels, texts


def words_of(jieba, text):
    # jieba's default mode (accurate, HMM on). Whitespace tokens are dropped, as fastText and
    # Keras' Tokenizer drop them; everything else (punctuation included) is kept.
    return [w for w in jieba.lcut(text) if w.strip()]


def chars_of(text):
    return [c for c in text if not c.isspace()]


def _file_key(path):
    st = os.stat(path)
    return hashlib.sha1(f"{os.path.abspath(path)}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:12]


def load_split(data_dir, dataset, split, limit=None, unit="words"):
    """Returns (labels, texts, tokens) for one split. Word tokenisation of the whole file is cached
    under bench/out/cache/ (keyed by path, size and mtime), so only the first run pays for jieba."""
    path = os.path.join(data_dir, dataset, f"{split}.tsv")
    labels, texts = read_tsv(path)
    if unit == "chars":
        tokens = [chars_of(t) for t in texts]
    else:
        cache = os.path.join(CACHE_DIR, f"{dataset}.{split}.{_file_key(path)}.words.jsonl")
        if os.path.exists(cache):
            with open(cache, encoding="utf-8") as f:
                tokens = [json.loads(line) for line in f]
        else:
            jieba = import_jieba()
            tokens = [words_of(jieba, t) for t in texts]
            os.makedirs(CACHE_DIR, exist_ok=True)
            tmp = cache + ".tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                for ws in tokens:
                    f.write(json.dumps(ws, ensure_ascii=False) + "\n")
            os.replace(tmp, cache)  # atomic: a killed run never leaves a half cache
        if len(tokens) != len(texts):
            raise SystemExit(f"stale cache for {path}; delete {CACHE_DIR}")
    if limit is not None:
        labels, texts, tokens = labels[:limit], texts[:limit], tokens[:limit]
    return labels, texts, tokens


def build_vocab(train_tokens, size=VOCAB_WORDS):
    # Most frequent first; ties keep first-occurrence order (Counter.most_common is stable),
    # which is also what Keras' Tokenizer does.
    counts = Counter()
    for ws in train_tokens:
        counts.update(ws)
    return {w: i + 2 for i, (w, _) in enumerate(counts.most_common(size))}


def encode(tokens, vocab, maxlen, max_id=None):
    """Post-padded, post-truncated id rows (the first maxlen tokens are kept). max_id folds ids
    >= max_id into unk, so a model with a smaller embedding sees the same sequence."""
    import numpy as np
    out = np.zeros((len(tokens), maxlen), dtype=np.int64)
    for r, ws in enumerate(tokens):
        ids = [vocab.get(w, UNK) for w in ws[:maxlen]]
        if max_id is not None:
            ids = [i if i < max_id else UNK for i in ids]
        out[r, :len(ids)] = ids
    return out


def label_ids(labels, classes):
    import numpy as np
    index = {c: i for i, c in enumerate(classes)}
    return np.array([index[l] for l in labels], dtype=np.int64)


def metrics(y_true, y_pred, num_classes):
    """Accuracy and macro-F1 (classes absent from both truth and prediction are skipped, as
    sklearn does with zero_division=0 on labels present)."""
    n = len(y_true)
    correct = sum(int(a == b) for a, b in zip(y_true, y_pred))
    f1s = []
    for c in range(num_classes):
        tp = sum(1 for a, b in zip(y_true, y_pred) if a == c and b == c)
        fp = sum(1 for a, b in zip(y_true, y_pred) if a != c and b == c)
        fn = sum(1 for a, b in zip(y_true, y_pred) if a == c and b != c)
        if tp + fp + fn == 0:
            continue
        f1s.append(2 * tp / (2 * tp + fp + fn))
    return {"n": n, "accuracy": correct / n if n else 0.0,
            "macro_f1": sum(f1s) / len(f1s) if f1s else 0.0}


def peak_rss_mb(who=resource.RUSAGE_SELF):
    return resource.getrusage(who).ru_maxrss / 1024.0  # Linux reports KiB


def machine_info():
    model = platform.processor()
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return {"cpu": model, "nproc": os.cpu_count(), "python": platform.python_version(),
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "loadavg": os.getloadavg()}


def emit(obj):
    json.dump(obj, sys.stdout, ensure_ascii=False, indent=None)
    sys.stdout.write("\n")
    sys.stdout.flush()


def log(msg):
    print(msg, file=sys.stderr, flush=True)
