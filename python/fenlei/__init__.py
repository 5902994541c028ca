"""fenlei: Chinese (and English) text classification with a C++ engine.

    >>> import fenlei
    >>> fenlei.cut("我来到北京清华大学")
    ['我', '来到', '北京', '清华大学']
    >>> model = fenlei.train("train.tsv", valid="dev.tsv", model="fasttext", epochs=5)
    >>> model.predict(["房间很干净"], k=2)
    ([('pos', 'neg')], [array([0.97, 0.03], dtype=float32)])

Everything runs in C++ (segmentation, training, inference) with the GIL released, so one model
can serve many Python threads. Errors raise subclasses of fenlei.Error that are also the built-in
exception for the case (ValueError, FileNotFoundError, OSError, ...), with the CLI's messages.
See docs/python.md.
"""

from __future__ import annotations

import os
import tempfile
import threading
from typing import Any, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _fenlei
from ._errors import (
    DataLossError,
    Error,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
    UnimplementedError,
)

__version__ = "0.1.0"

PathLike = Union[str, "os.PathLike[str]"]
Texts = Union[Sequence[str], Iterable[str]]

__all__ = [
    "cut",
    "Segmenter",
    "train",
    "load",
    "Model",
    "MAX_INTRA_OP_THREADS",
    "Error",
    "InvalidArgumentError",
    "NotFoundError",
    "DataLossError",
    "FailedPreconditionError",
    "UnimplementedError",
]


def _text_list(texts: Any, what: str = "texts") -> List[str]:
    """A list of str from a list, tuple, pandas Series, numpy array or any iterable of str."""
    if isinstance(texts, str):
        raise TypeError(f"{what} must be a sequence of str, not one str (wrap it in a list)")
    if hasattr(texts, "tolist"):  # pandas Series, numpy array: one fast conversion
        texts = texts.tolist()
    out = texts if isinstance(texts, list) else list(texts)
    for i, t in enumerate(out):
        if not isinstance(t, str):
            raise TypeError(f"{what}[{i}] is {type(t).__name__}, not str")
    return out


def _label_list(labels: Any, n: int) -> List[str]:
    """Labels as str (ints and other scalars by str()); the count must match the texts."""
    if hasattr(labels, "tolist"):
        labels = labels.tolist()
    out = [l if isinstance(l, str) else str(l) for l in labels]
    if len(out) != n:
        raise InvalidArgumentError(f"{n} texts but {len(out)} labels")
    return out


# ---------------------------------------------------------------------------------------------
# Segmentation


class Segmenter:
    """jieba 0.42.1's segmenter, token for token, in C++.

    Args:
        user_dict: a jieba user dictionary file ("word [freq] [tag]" per line).
        dict: the main dictionary (default: python3-jieba's dict.txt, or $FENLEI_JIEBA_DIR).
        jieba_dir: a directory holding jieba's dict.txt and finalseg tables.
        use_cache: keep a binary copy of the dictionary in ~/.cache/fenlei for fast loads.

    Thread-safe: one Segmenter may be used from any number of threads.
    """

    def __init__(
        self,
        user_dict: Optional[PathLike] = None,
        *,
        dict: Optional[PathLike] = None,
        jieba_dir: Optional[PathLike] = None,
        use_cache: bool = True,
    ) -> None:
        self._seg = _fenlei.Segmenter(
            None if user_dict is None else os.fspath(user_dict),
            None if dict is None else os.fspath(dict),
            None if jieba_dir is None else os.fspath(jieba_dir),
            use_cache,
        )

    def cut(self, text: str, mode: str = "default", hmm: bool = True) -> List[str]:
        """The words of `text`, as jieba.lcut would give them.

        mode: "default" (jieba.lcut(text, HMM=hmm)), "full" (cut_all=True) or "search"
        (jieba.lcut_for_search).
        """
        return self._seg.cut(text, mode, hmm)

    lcut = cut

    def is_word(self, word: str) -> bool:
        """True if `word` is in the dictionary with a frequency above 0."""
        return self._seg.is_word(word)


_default_segmenter: Optional[Segmenter] = None
_default_lock = threading.Lock()


def _segmenter() -> Segmenter:
    global _default_segmenter
    if _default_segmenter is None:
        with _default_lock:
            if _default_segmenter is None:
                _default_segmenter = Segmenter()
    return _default_segmenter


def cut(text: str, mode: str = "default", hmm: bool = True) -> List[str]:
    """Segments `text` into words exactly as jieba.lcut does (the dictionary loads on first use).

    mode: "default" (accurate mode), "full" (jieba's cut_all=True) or "search"
    (jieba.lcut_for_search); hmm=False turns off the HMM for unknown words.

        >>> fenlei.cut("我来到北京清华大学", mode="full")
        ['我', '来到', '北京', '清华', '清华大学', '华大', '大学']
    """
    return _segmenter()._seg.cut(text, mode, hmm)


# ---------------------------------------------------------------------------------------------
# Models


class Model:
    """A trained classifier (float or int8). Immutable and thread-safe: predict from any number
    of threads at once; the GIL is released while it computes.

    Get one with fenlei.load(path) or fenlei.train(...).
    """

    def __init__(self, impl: "_fenlei.Model", intra_op_threads: int = 1) -> None:
        self._m = impl
        self._intra_op_threads = intra_op_threads

    @property
    def intra_op_threads(self) -> int:
        """Threads one text's forward pass may use (fenlei.load's intra_op_threads; 1 for a model
        from train() or quantize())."""
        return self._intra_op_threads

    @property
    def labels(self) -> List[str]:
        """The labels, in the order of predict_proba's columns."""
        return self._m.labels

    @property
    def info(self) -> dict:
        """What `fenlei info` shows: architecture, labels, max_len, quantized, precision
        ("float32", "int8" or "bf16"), tensor_dtypes (the file's weight tensors by stored dtype:
        {"f32": {"tensors": 5, "bytes": 53508}, ...}), vocab_size, parameter_count, tokenizer,
        format_version, checksum, file_bytes, metadata_json."""
        return self._m.info()

    def predict(
        self, texts: Union[str, Texts], k: int = 1, threshold: float = 0.0
    ) -> Union[Tuple[Tuple[str, ...], np.ndarray], Tuple[List[Tuple[str, ...]], List[np.ndarray]]]:
        """The k most probable labels of each text and their probabilities, best first, like
        fastText's predict: for one str, (labels, probabilities); for a list of texts,
        ([labels, ...], [probabilities, ...]). Labels below `threshold` are left out."""
        single = isinstance(texts, str)
        rows = self._m.predict([texts] if single else _text_list(texts), k, threshold)
        if single:
            labels, probs = rows[0]
            return tuple(labels), probs
        return [tuple(r[0]) for r in rows], [r[1] for r in rows]

    def predict_proba(self, texts: Union[str, Texts]) -> np.ndarray:
        """Probabilities, a float32 array of shape (n, len(labels)); columns follow self.labels."""
        return self._m.predict_proba([texts] if isinstance(texts, str) else _text_list(texts))

    def test(
        self,
        path: Optional[PathLike] = None,
        *,
        texts: Optional[Texts] = None,
        labels: Optional[Sequence[Any]] = None,
        format: str = "auto",
    ) -> dict:
        """Evaluates on labelled data, as `fenlei test`: a file, or texts and labels in memory.

        Returns a dict: n, loss, accuracy, macro_f1, weighted_f1, per_class (label -> precision,
        recall, f1, support) and confusion (rows: true labels, in self.labels order).
        """
        if path is not None:
            if texts is not None or labels is not None:
                raise InvalidArgumentError("pass a path or texts and labels, not both")
            return self._m.test_file(os.fspath(path), format)
        if texts is None or labels is None:
            raise InvalidArgumentError("pass a path, or texts= and labels=")
        t = _text_list(texts)
        return self._m.test_texts(t, _label_list(labels, len(t)))

    def explain(self, text: str, label: Optional[str] = None) -> List[Tuple[str, float]]:
        """Which words decided the prediction: [(token, weight), ...] in text order, where weight
        is how much the label's probability drops when the token is left out (positive: evidence
        for the label). `label`: the label to explain (default: the predicted one)."""
        _, tokens = self._m.explain(text, label)
        return [(token, weight) for token, weight, _known in tokens]

    def quantize(self, per_channel: bool = True, embedding_scale: str = "table") -> "Model":
        """The int8 version of this float model (smaller file, integer kernels), as
        `fenlei quantize`. embedding_scale: "table" (one scale) or "row" (one per row)."""
        return Model(self._m.quantize(per_channel, embedding_scale))

    def save(self, path: PathLike) -> None:
        """Writes the model file (atomically)."""
        self._m.save(os.fspath(path))

    def warm_up(self) -> None:
        """Precomputes lazy inference tables so that the first predictions are as fast as later
        ones (results are identical either way)."""
        self._m.warm_up()

    def __repr__(self) -> str:
        i = self.info
        return f"<fenlei.Model {i['architecture']} ({i['precision']}), labels={i['labels']!r}>"

    # Pickling (joblib, multiprocessing): the model file's bytes and intra_op_threads.
    def __getstate__(self) -> Tuple[bytes, int]:
        with tempfile.TemporaryDirectory(prefix="fenlei-") as d:
            p = os.path.join(d, "m.fenlei")
            self.save(p)
            with open(p, "rb") as f:
                return f.read(), self._intra_op_threads

    def __setstate__(self, state: Union[bytes, Tuple[bytes, int]]) -> None:
        # Plain bytes: a pickle from before intra_op_threads existed.
        data, threads = (state, 1) if isinstance(state, bytes) else state
        with tempfile.TemporaryDirectory(prefix="fenlei-") as d:
            p = os.path.join(d, "m.fenlei")
            with open(p, "wb") as f:
                f.write(data)
            self._m = _fenlei.Model.load(p, threads)
        self._intra_op_threads = threads


MAX_INTRA_OP_THREADS: int = _fenlei.MAX_INTRA_OP_THREADS


def load(path: PathLike, *, intra_op_threads: int = 1) -> Model:
    """Loads and validates a model file written by fenlei (CLI or Python), float, int8 or bf16.

    intra_op_threads: threads one text's forward pass may use (ONNX Runtime's
    intra_op_num_threads; the CLI's --intra-op-threads), 1 to MAX_INTRA_OP_THREADS (256). A
    transformer model splits each large dense layer and its attention heads over them, with
    probabilities bit-identical for any number; cnn and fasttext models ignore it. Each Python
    thread that predicts gets its own intra_op_threads - 1 helper threads, so C threads calling
    at once run up to C x intra_op_threads: keep that within the cores. Default 1: the calling
    thread alone.

    Raises NotFoundError (no file), DataLossError (corrupt), InvalidArgumentError (a ValueError:
    not a model, or intra_op_threads out of range), TypeError (intra_op_threads not an int).
    """
    if isinstance(intra_op_threads, bool) or not isinstance(intra_op_threads, int):
        raise TypeError(f"intra_op_threads must be an int, not {type(intra_op_threads).__name__}")
    if not 1 <= intra_op_threads <= MAX_INTRA_OP_THREADS:
        # Checked here too: a number beyond C's int would otherwise be a TypeError.
        raise InvalidArgumentError(
            f"intra_op_threads must be in [1, {MAX_INTRA_OP_THREADS}], got {intra_op_threads}"
        )
    return Model(_fenlei.Model.load(os.fspath(path), intra_op_threads), intra_op_threads)


def train(
    path: Optional[PathLike] = None,
    *,
    texts: Optional[Texts] = None,
    labels: Optional[Sequence[Any]] = None,
    valid: Union[PathLike, Tuple[Texts, Sequence[Any]], None] = None,
    model: str = "seed-cnn",
    verbose: int = 1,
    **settings: Any,
) -> Model:
    """Trains a classifier, as `fenlei train`, on a data file or on texts and labels in memory.

    Args:
        path: training data (TSV/CSV with a header, JSONL, or fastText format).
        texts, labels: the training data in memory instead (lists, tuples, pandas Series, numpy
            arrays; labels may be str or int).
        valid: validation data, a file or a (texts, labels) pair; default: the last
            `validation_split` (0.2) of the training data, as Keras.
        model: "seed-cnn", "textcnn", "fasttext", "bilstm", "gru" or "rcnn".
        verbose: 0 silent, 1 progress bar and one line per epoch on stderr, 2 debug.
        **settings: any `fenlei train` flag with "_" for "-": epochs, batch_size, lr, optimizer,
            lr_schedule, patience, monitor, tokenizer ("word", "char", "word+char"), hmm,
            user_dict, max_len, vocab_size, min_count, embed_dim, filters, widths, hidden,
            dropout, bigram_buckets, class_weight, weight_decay, l2, clip_norm, restore_best,
            seed, threads (0 = all cores), validation_split, format, text_column, label_column,
            skip_bad_rows, lowercase, fullwidth_to_halfwidth, t2s, output (also save there),
            log (per-epoch JSON lines). Unset ones take the preset's defaults.

    Returns the trained Model (the best epoch's weights by default).
    """
    settings["model"] = model
    for key in ("user_dict", "output", "log"):
        if settings.get(key) is not None:
            settings[key] = os.fspath(settings[key])
    if path is not None:
        if texts is not None or labels is not None:
            raise InvalidArgumentError("pass a path or texts and labels, not both")
        if isinstance(valid, tuple):
            raise InvalidArgumentError("with a training file, valid must be a file too")
        if valid is not None:
            settings["valid"] = os.fspath(valid)
        return Model(_fenlei.train_file(os.fspath(path), settings, verbose))
    if texts is None or labels is None:
        raise InvalidArgumentError("pass a training file, or texts= and labels=")
    t = _text_list(texts)
    lab = _label_list(labels, len(t))
    vt = vl = None
    if isinstance(valid, tuple):
        vt = _text_list(valid[0], "valid texts")
        vl = _label_list(valid[1], len(vt))
    elif valid is not None:
        settings["valid"] = os.fspath(valid)
    return Model(_fenlei.train_texts(t, lab, vt, vl, settings, verbose))
