"""A scikit-learn estimator over fenlei.train: fit / predict / predict_proba / score, usable in
Pipeline, cross_val_score and GridSearchCV.

    >>> from fenlei.sklearn import FenleiClassifier
    >>> clf = FenleiClassifier(model="fasttext", epochs=5).fit(texts, labels)
    >>> clf.predict(["房间很干净"])
    array(['pos'], dtype='<U3')

X is a sequence of raw texts (list, pandas Series, numpy array of str): fenlei segments and
encodes them itself. y may hold str or int labels; predictions come back as the same values
(classes_ holds them, sorted).
"""

from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("fenlei.sklearn needs scikit-learn: pip install scikit-learn") from e

import fenlei
from fenlei import _label_list, _text_list


class FenleiClassifier(ClassifierMixin, BaseEstimator):
    """scikit-learn classifier over fenlei.train. The parameters are fenlei.train's keywords;
    None means the preset's default (as an absent `fenlei train` flag). `options` passes any
    other fenlei.train keyword, e.g. options={"class_weight": "balanced"}.

    Training holds out the last `validation_split` of the data given to fit() to choose the best
    epoch, as `fenlei train` does without --valid.
    """

    def __init__(
        self,
        model: str = "seed-cnn",
        epochs: Optional[int] = None,
        lr: Optional[float] = None,
        batch_size: Optional[int] = None,
        tokenizer: Optional[str] = None,
        max_len: Optional[int] = None,
        vocab_size: Optional[int] = None,
        embed_dim: Optional[int] = None,
        dropout: Optional[float] = None,
        bigram_buckets: Optional[int] = None,
        patience: Optional[int] = None,
        validation_split: float = 0.2,
        threads: int = 0,
        seed: int = 42,
        verbose: int = 0,
        options: Optional[Dict[str, Any]] = None,
    ) -> None:
        self.model = model
        self.epochs = epochs
        self.lr = lr
        self.batch_size = batch_size
        self.tokenizer = tokenizer
        self.max_len = max_len
        self.vocab_size = vocab_size
        self.embed_dim = embed_dim
        self.dropout = dropout
        self.bigram_buckets = bigram_buckets
        self.patience = patience
        self.validation_split = validation_split
        self.threads = threads
        self.seed = seed
        self.verbose = verbose
        self.options = options

    def fit(self, X: Any, y: Any) -> "FenleiClassifier":
        texts = _text_list(X, "X")
        y_values = y.tolist() if hasattr(y, "tolist") else list(y)
        self.classes_ = np.unique(np.asarray(y_values))  # sorted, numpy's dtype for y
        if len(self.classes_) < 2:
            raise fenlei.InvalidArgumentError("y has only one class; a classifier needs two")
        settings: Dict[str, Any] = dict(self.options or {})
        for name in ("epochs", "lr", "batch_size", "tokenizer", "max_len", "vocab_size",
                     "embed_dim", "dropout", "bigram_buckets", "patience"):
            value = getattr(self, name)
            if value is not None:
                settings[name] = value
        self.model_ = fenlei.train(
            texts=texts,
            labels=_label_list(y_values, len(texts)),
            model=self.model,
            validation_split=self.validation_split,
            threads=self.threads,
            seed=self.seed,
            verbose=self.verbose,
            **settings,
        )
        # fenlei's labels are strings in byte order; map its columns onto classes_.
        column = {label: i for i, label in enumerate(self.model_.labels)}
        missing = [c for c in self.classes_.tolist() if str(c) not in column]
        if missing:  # a class only in the held-out part never reaches the model
            raise fenlei.InvalidArgumentError(
                f"classes {missing!r} occur only in the validation split; shuffle the data or "
                "lower validation_split")
        self._columns = np.array([column[str(c)] for c in self.classes_.tolist()])
        self.n_features_in_ = 1
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probabilities, shape (n, len(classes_)); columns follow classes_."""
        self._check_fitted()
        return self.model_.predict_proba(_text_list(X, "X"))[:, self._columns]

    def predict(self, X: Any) -> np.ndarray:
        self._check_fitted()
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("FenleiClassifier is not fitted yet; call fit(X, y) first")
