"""Small data made here: a learnable two-class set of short Chinese reviews."""

import random

import pytest

POS = ["房间很干净", "服务很好", "早餐好吃", "位置方便", "床很舒服", "前台热情", "性价比高"]
NEG = ["太吵了", "隔音太差", "房间很脏", "服务态度差", "早餐难吃", "设施陈旧", "不会再来"]


def make_reviews(n, seed=0):
    """n (text, label) pairs: two phrases of one polarity, shuffled."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        label = "pos" if i % 2 == 0 else "neg"
        words = POS if label == "pos" else NEG
        rows.append(("，".join(rng.sample(words, 2)), label))
    rng.shuffle(rows)
    return rows


# Tiny and fast: a character fastText model learns the set above in a few epochs.
FAST = dict(model="fasttext", epochs=6, lr=0.05, bigram_buckets=1000, threads=1, verbose=0)


@pytest.fixture(scope="session")
def reviews():
    rows = make_reviews(200)
    return [t for t, _ in rows], [l for _, l in rows]


@pytest.fixture(scope="session")
def fasttext_model(reviews):
    import fenlei

    texts, labels = reviews
    return fenlei.train(texts=texts, labels=labels, **FAST)


def write_tsv(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        f.write("label\ttext\n")
        for text, label in rows:
            f.write(f"{label}\t{text}\n")
    return path
