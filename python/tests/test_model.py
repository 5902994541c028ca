"""fenlei.train / load / Model: predictions, evaluation, explanations, quantisation, saving,
errors, threads and verbosity, on data made in conftest.py."""

import glob
import os
import pickle
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import fenlei

from conftest import FAST, make_reviews, write_tsv

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_trained_model_predicts_like_fasttext(fasttext_model):
    m = fasttext_model
    assert m.labels == ["neg", "pos"]
    labels, probs = m.predict(["房间很干净，服务很好", "太吵了，隔音太差"], k=2)
    assert labels[0] == ("pos", "neg") and labels[1] == ("neg", "pos")
    assert len(probs) == 2 and probs[0].shape == (2,) and probs[0][0] > probs[0][1]
    one_labels, one_probs = m.predict("房间很干净")
    assert one_labels == ("pos",) and one_probs.shape == (1,)


def test_predict_proba_is_a_numpy_matrix_in_label_order(fasttext_model):
    texts = ["房间很干净", "隔音太差", "早餐好吃"]
    p = fasttext_model.predict_proba(texts)
    assert isinstance(p, np.ndarray) and p.dtype == np.float32 and p.shape == (3, 2)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)
    top = [fasttext_model.labels[i] for i in p.argmax(axis=1)]
    assert top == [fasttext_model.predict(t)[0][0] for t in texts]


def test_pandas_series_are_accepted(reviews):
    pd = pytest.importorskip("pandas")
    texts, labels = reviews
    df = pd.DataFrame({"text": texts, "label": labels})
    m = fenlei.train(texts=df["text"], labels=df["label"], **FAST)
    assert m.predict_proba(df["text"].head(5)).shape == (5, 2)
    assert m.test(texts=df["text"], labels=df["label"])["accuracy"] > 0.95


def test_seed_cnn_trains_from_lists(reviews):
    texts, labels = reviews
    m = fenlei.train(texts=texts, labels=labels, model="seed-cnn", epochs=2, threads=1, verbose=0)
    assert m.info["architecture"] == "seed-cnn"
    assert m.predict_proba(texts[:4]).shape == (4, 2)


def test_files_in_and_out(tmp_path):
    train = write_tsv(tmp_path / "train.tsv", make_reviews(200, seed=1))
    dev = write_tsv(tmp_path / "dev.tsv", make_reviews(40, seed=2))
    m = fenlei.train(train, valid=dev, **FAST)
    result = m.test(dev)
    assert result["n"] == 40 and result["accuracy"] > 0.95
    assert set(result) >= {"n", "loss", "accuracy", "macro_f1", "weighted_f1", "per_class",
                           "confusion"}
    assert set(result["per_class"]) == {"neg", "pos"}
    assert result["per_class"]["pos"]["support"] == 20

    m.save(tmp_path / "m.fenlei")
    loaded = fenlei.load(tmp_path / "m.fenlei")
    texts = [t for t, _ in make_reviews(20, seed=3)]
    np.testing.assert_array_equal(loaded.predict_proba(texts), m.predict_proba(texts))

    small = m.quantize()
    small.save(tmp_path / "m.int8.fenlei")
    q = fenlei.load(tmp_path / "m.int8.fenlei")
    assert q.info["quantized"] and not m.info["quantized"]
    assert os.path.getsize(tmp_path / "m.int8.fenlei") < os.path.getsize(tmp_path / "m.fenlei")
    assert q.test(dev)["accuracy"] > 0.9
    with pytest.raises(fenlei.FailedPreconditionError, match="already int8"):
        q.quantize()


def test_in_memory_training_with_validation_pairs_and_files(tmp_path, reviews):
    texts, labels = reviews
    dev_rows = make_reviews(30, seed=4)
    dev_texts, dev_labels = [t for t, _ in dev_rows], [l for _, l in dev_rows]
    m = fenlei.train(texts=texts, labels=labels, valid=(dev_texts, dev_labels), **FAST)
    assert m.test(texts=dev_texts, labels=dev_labels)["accuracy"] > 0.95
    dev = write_tsv(tmp_path / "dev.tsv", dev_rows)
    m2 = fenlei.train(texts=texts, labels=labels, valid=dev, **FAST)
    assert m2.test(dev)["accuracy"] > 0.95


def test_explain_names_the_deciding_words(fasttext_model):
    tokens = fasttext_model.explain("房间很干净，就是隔音太差")
    assert tokens and all(isinstance(t, str) and isinstance(w, float) for t, w in tokens)
    assert "".join(t for t, _ in tokens) == "房间很干净，就是隔音太差"  # char tokens, in order
    # Predicted neg: the complaint's characters speak for it, the praise's against it.
    for_neg = dict(fasttext_model.explain("房间很干净，就是隔音太差", label="neg"))
    assert for_neg["太"] > 0 and for_neg["净"] < 0
    for_pos = dict(fasttext_model.explain("房间很干净，就是隔音太差", label="pos"))
    assert for_pos["太"] < 0


def test_errors_are_fenlei_errors_with_the_cli_messages(tmp_path, reviews):
    texts, labels = reviews
    with pytest.raises(fenlei.NotFoundError) as err:
        fenlei.load(tmp_path / "missing.fenlei")
    assert isinstance(err.value, FileNotFoundError) and isinstance(err.value, fenlei.Error)
    broken = tmp_path / "broken.fenlei"
    broken.write_bytes(b"FENLEI" + b"\0" * 10)
    with pytest.raises(fenlei.Error):
        fenlei.load(broken)
    with pytest.raises(ValueError, match="--epochs must be at least 1"):
        fenlei.train(texts=texts, labels=labels, model="fasttext", epochs=0, verbose=0)
    with pytest.raises(fenlei.InvalidArgumentError, match="unknown model preset .bert."):
        fenlei.train(texts=texts, labels=labels, model="bert", verbose=0)
    with pytest.raises(TypeError, match="epoch"):
        fenlei.train(texts=texts, labels=labels, epoch=3, verbose=0)
    with pytest.raises(ValueError, match="200 texts but 199 labels"):
        fenlei.train(texts=texts, labels=labels[:-1], verbose=0)
    with pytest.raises(FileNotFoundError, match="nope.tsv"):
        fenlei.train(tmp_path / "nope.tsv", verbose=0)
    with pytest.raises(TypeError, match=r"texts\[1\] is float"):
        fenlei.train(texts=["好", float("nan")], labels=["a", "b"], verbose=0)


def test_one_model_serves_many_threads(fasttext_model):
    texts = [t for t, _ in make_reviews(500, seed=5)]
    expected = fasttext_model.predict_proba(texts)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: fasttext_model.predict_proba(texts), range(16)))
    for r in results:
        np.testing.assert_array_equal(r, expected)


def test_verbose_0_is_silent_and_1_reports_epochs(capfd, reviews):
    texts, labels = reviews
    fenlei.train(texts=texts, labels=labels, **FAST)
    assert capfd.readouterr().err == ""
    fenlei.train(texts=texts, labels=labels, **dict(FAST, verbose=1))
    assert "epoch" in capfd.readouterr().err


def test_models_pickle(fasttext_model):
    copy = pickle.loads(pickle.dumps(fasttext_model))
    np.testing.assert_array_equal(copy.predict_proba(["房间很干净"]),
                                  fasttext_model.predict_proba(["房间很干净"]))


def test_compat_models_load_and_predict_as_recorded():
    """The v1 model files every build must read (tests/data/compat) predict the recorded labels."""
    compat = os.path.join(REPO, "tests", "data", "compat")
    with open(os.path.join(compat, "texts.txt"), encoding="utf-8") as f:
        texts = f.read().split("\n")
    checked = 0
    for path in sorted(glob.glob(os.path.join(compat, "*.fenlei"))):
        expected = path[: -len(".fenlei")] + ".expected.tsv"
        rows = [l.split("\t") for l in open(expected, encoding="utf-8").read().splitlines() if l]
        model = fenlei.load(path)
        got = model.predict(texts[: len(rows)])[0]
        assert [g[0] for g in got] == [r[0] for r in rows], path
        checked += 1
    assert checked >= 3


def test_info_tells_precision_and_the_stored_tensor_dtypes(fasttext_model):
    """info["precision"] is the engine's (a v1 bf16 file stores its weights as f32) and
    info["tensor_dtypes"] counts the file's tensors by stored dtype, as `fenlei info` does."""
    compat = os.path.join(REPO, "tests", "data", "compat")
    cases = {
        "v1-seed-cnn-char.fenlei": ("float32", {"f32": {"tensors": 5, "bytes": 53508}}),
        "v1-seed-cnn-char.int8.fenlei": (
            "int8", {"f32": {"tensors": 5, "bytes": 1036}, "i8": {"tensors": 3, "bytes": 13248}}),
        "v1-bert.bf16.fenlei": ("bf16", {"f32": {"tensors": 41, "bytes": 473868}}),
    }
    for name, (precision, dtypes) in cases.items():
        info = fenlei.load(os.path.join(compat, name)).info
        assert info["precision"] == precision, name
        assert info["quantized"] == (precision != "float32"), name
        assert info["tensor_dtypes"] == dtypes, name
        assert repr(fenlei.load(os.path.join(compat, name))).endswith(
            f"({precision}), labels={info['labels']!r}>"), name

    f = fasttext_model.info
    assert f["precision"] == "float32" and set(f["tensor_dtypes"]) == {"f32"}
    assert f["tensor_dtypes"]["f32"]["bytes"] == 4 * f["parameter_count"]
    q = fasttext_model.quantize().info
    assert q["precision"] == "int8" and q["tensor_dtypes"]["i8"]["tensors"] > 0


SHARED = os.path.join(REPO, "..", "shared", "data", "chnsenticorp_htl")


@pytest.mark.skipif(not os.path.isdir(SHARED), reason="no /work/shared data here")
def test_real_hotel_reviews_fasttext(tmp_path):
    """One quick run on real data: fastText on ChnSentiCorp hotel reviews."""
    m = fenlei.train(os.path.join(SHARED, "train.tsv"), valid=os.path.join(SHARED, "dev.tsv"),
                     model="fasttext", epochs=2, threads=2, verbose=0)
    assert m.test(os.path.join(SHARED, "test.tsv"))["accuracy"] > 0.8
