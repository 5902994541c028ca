"""fenlei.load(path, intra_op_threads=N): threads per text for transformer models.

The model is tests/data/compat/v1-bert.bf16.fenlei, the 2-layer BERT fixture (tests/data/hf/bert)
imported and made bf16. Its layers are below the size at which a layer is split (2^21
multiply-adds), so here the option's plumbing is what is tested: it reaches the C++ loader, which
checks it, and results do not change. That the split itself is bit-identical is the C++ tests'
(IntraOpThreads.*, PackedParallel.*)."""

import os
import pickle
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import fenlei
from fenlei import _fenlei

from conftest import FAST

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMPAT = os.path.join(REPO, "tests", "data", "compat")
BERT = os.path.join(COMPAT, "v1-bert.bf16.fenlei")


def compat_texts():
    with open(os.path.join(COMPAT, "texts.txt"), encoding="utf-8") as f:
        texts = [t for t in f.read().split("\n") if t]
    # One text as long as the model reads (128 tokens after truncation).
    return texts + ["".join(texts)]


def test_transformer_probabilities_equal_for_one_and_two_threads():
    texts = compat_texts()
    one = fenlei.load(BERT)
    two = fenlei.load(BERT, intra_op_threads=2)
    assert one.intra_op_threads == 1 and two.intra_op_threads == 2
    want = one.predict_proba(texts)
    assert want.shape == (len(texts), 3)
    np.testing.assert_array_equal(two.predict_proba(texts), want)
    assert two.predict(texts, k=3)[0] == one.predict(texts, k=3)[0]
    # Two Python threads at once, each with its own two intra-op threads.
    with ThreadPoolExecutor(max_workers=2) as pool:
        for got in pool.map(two.predict_proba, [texts, texts, texts, texts]):
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("bad", [0, -1, fenlei.MAX_INTRA_OP_THREADS + 1, 10**30])
def test_out_of_range_intra_op_threads_is_a_value_error(bad):
    with pytest.raises(ValueError, match=r"intra_op_threads must be in \[1, 256\], got "):
        fenlei.load(BERT, intra_op_threads=bad)
    with pytest.raises(fenlei.InvalidArgumentError):
        fenlei.load(BERT, intra_op_threads=bad)


def test_the_cpp_loader_checks_intra_op_threads_itself():
    """The extension hands the number to Classifier::load, whose INVALID_ARGUMENT comes back."""
    with pytest.raises(fenlei.InvalidArgumentError, match=r"must be in \[1, 256\], got 0"):
        _fenlei.Model.load(BERT, 0)
    assert fenlei.MAX_INTRA_OP_THREADS == 256


@pytest.mark.parametrize("bad", ["2", 2.0, True, None])
def test_intra_op_threads_of_another_type_is_a_type_error(bad):
    with pytest.raises(TypeError, match="intra_op_threads must be an int"):
        fenlei.load(BERT, intra_op_threads=bad)


def test_intra_op_threads_survives_pickling():
    model = fenlei.load(BERT, intra_op_threads=2)
    copy = pickle.loads(pickle.dumps(model))
    assert copy.intra_op_threads == 2
    np.testing.assert_array_equal(copy.predict_proba(["房间很干净"]),
                                  model.predict_proba(["房间很干净"]))


def test_models_that_cannot_split_a_text_accept_and_ignore_it(tmp_path, reviews):
    texts, labels = reviews
    path = str(tmp_path / "ft.fenlei")
    fenlei.train(texts=texts, labels=labels, output=path, **FAST)
    one = fenlei.load(path).predict_proba(texts[:20])
    np.testing.assert_array_equal(fenlei.load(path, intra_op_threads=3).predict_proba(texts[:20]),
                                  one)
