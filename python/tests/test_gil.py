"""The GIL is released while C++ computes. Deterministic, no timing: with a 60 s switch
interval a Python thread gives the GIL up only voluntarily, so the main thread can observe the
worker "inside the call" only if the C++ code released the GIL there."""

import sys
import threading
import time

import pytest

import fenlei

from conftest import FAST, make_reviews


def runs_without_the_gil(call):
    state = {"in_call": False}

    def work():
        state["in_call"] = True
        call()
        state["in_call"] = False

    old = sys.getswitchinterval()
    sys.setswitchinterval(60)
    try:
        worker = threading.Thread(target=work)
        worker.start()
        # This thread runs again only when the worker gives the GIL up.
        while worker.is_alive() and not state["in_call"]:
            time.sleep(0.0005)
        seen_inside = state["in_call"]
        worker.join()
    finally:
        sys.setswitchinterval(old)
    return seen_inside


@pytest.fixture(scope="module")
def many_texts():
    return [t for t, _ in make_reviews(20000, seed=7)]


def test_predict_proba_releases_the_gil(fasttext_model, many_texts):
    assert runs_without_the_gil(lambda: fasttext_model.predict_proba(many_texts))


def test_train_releases_the_gil(reviews):
    texts, labels = reviews
    assert runs_without_the_gil(
        lambda: fenlei.train(texts=texts * 20, labels=labels * 20, **FAST))


def test_cut_of_a_long_text_releases_the_gil(many_texts):
    text = "".join(many_texts)
    assert runs_without_the_gil(lambda: fenlei.cut(text))
