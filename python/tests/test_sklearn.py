"""fenlei.sklearn.FenleiClassifier as a scikit-learn estimator."""

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import FunctionTransformer  # noqa: E402

from fenlei.sklearn import FenleiClassifier  # noqa: E402

PARAMS = dict(model="fasttext", epochs=6, lr=0.05, bigram_buckets=1000, threads=1)


def test_fit_predict_score_with_int_labels(reviews):
    texts, labels = reviews
    y = np.array([1 if l == "pos" else 0 for l in labels])
    clf = FenleiClassifier(**PARAMS).fit(texts, y)
    assert list(clf.classes_) == [0, 1]
    pred = clf.predict(["房间很干净，服务很好", "太吵了，隔音太差"])
    assert list(pred) == [1, 0]
    proba = clf.predict_proba(texts[:10])
    assert proba.shape == (10, 2)
    assert clf.score(texts, y) > 0.95


def test_params_round_trip_and_clone():
    clf = FenleiClassifier(**PARAMS)
    assert clf.get_params()["epochs"] == 6
    clf.set_params(epochs=3, options={"class_weight": "balanced"})
    copy = clone(clf)
    assert copy.get_params()["epochs"] == 3
    assert copy.get_params()["options"] == {"class_weight": "balanced"}


def test_pipeline_cross_val_and_grid_search(reviews):
    texts, labels = reviews
    pipe = make_pipeline(FunctionTransformer(lambda xs: [x.strip() for x in xs]),
                         FenleiClassifier(**PARAMS))
    scores = cross_val_score(pipe, texts, labels, cv=3)
    assert len(scores) == 3 and min(scores) > 0.9
    grid = GridSearchCV(FenleiClassifier(**PARAMS), {"epochs": [1, 4]}, cv=2).fit(texts, labels)
    assert grid.best_params_["epochs"] in (1, 4)
    assert grid.score(texts, labels) > 0.9


def test_unfitted_predict_raises():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        FenleiClassifier().predict(["你好"])
