#!/usr/bin/env python3
"""The official Triton HTTP client (`pip install 'tritonclient[http]'`) against `fenlei serve`,
unchanged: health, server and model metadata, readiness, infer with requested outputs, top_k and a
request id, and the errors it must raise; all of it once with JSON tensors and once with the
binary tensor data extension (binary_data=True on inputs and outputs, the client's default), and
the two must give the same answers. Exits 0 when every check passes.

  triton_client_check.py HOST:PORT MODEL [--token TOKEN]

Run by tests/integration/serve_cli_test.cc (ServeCli.TritonClientWorksUnchanged) when the package
is importable (FENLEI_TRITON_PYTHON names the interpreter; default python3).
"""
import sys

import numpy as np
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException


def main():
    url, model = sys.argv[1], sys.argv[2]
    headers = {}
    if "--token" in sys.argv:
        headers["Authorization"] = "Bearer " + sys.argv[sys.argv.index("--token") + 1]
    client = httpclient.InferenceServerClient(url=url)
    assert client.is_server_live(headers=headers), "not live"
    assert client.is_server_ready(headers=headers), "not ready"
    assert client.is_model_ready(model, headers=headers), "model not ready"
    server = client.get_server_metadata(headers=headers)
    assert server["name"] == "fenlei", server
    meta = client.get_model_metadata(model, headers=headers)
    assert meta["inputs"][0]["name"] == "text" and meta["inputs"][0]["datatype"] == "BYTES", meta
    labels = meta["labels"]

    texts = np.array(["房间很干净，服务很好", "太差了，再也不来", "一般", ""], dtype=object)
    answers = {}
    for binary in (False, True):
        answers[binary] = check_infer(client, model, labels, texts, binary, headers)
    for name in answers[False]:
        json_answer, binary_answer = answers[False][name], answers[True][name]
        if json_answer.dtype.kind == "f":
            assert np.allclose(json_answer, binary_answer, atol=1e-6), (name, json_answer, binary_answer)
        else:
            assert (json_answer == binary_answer).all(), (name, json_answer, binary_answer)

    # No outputs named: the client asks for every output as binary data.
    text = httpclient.InferInput("text", [len(texts)], "BYTES")
    text.set_data_from_numpy(texts)
    every = client.infer(model, [text], headers=headers)
    assert list(as_str(every.as_numpy("label"))) == list(answers[True]["label"])
    assert every.as_numpy("probabilities").shape == (len(texts), len(labels))

    # Errors the client must see as exceptions with the server's message.
    for name, call in [
        ("unknown model", lambda: client.infer("no-such-model", [text], headers=headers)),
        ("unknown version", lambda: client.infer(model, [text], model_version="99", headers=headers)),
        ("wrong input name", lambda: client.infer(model, [wrong_name()], headers=headers)),
        ("wrong type", lambda: client.infer(model, [wrong_type()], headers=headers)),
        ("wrong type, binary", lambda: client.infer(model, [wrong_type(binary=True)], headers=headers)),
    ]:
        try:
            call()
        except InferenceServerException as e:
            assert e.message(), name
        else:
            raise AssertionError(name + " did not fail")
    print("tritonclient checks passed against", url, "(JSON and binary tensors)")
    return 0


def check_infer(client, model, labels, texts, binary, headers):
    """One infer with every output, JSON or binary tensors both ways; returns the outputs."""
    n = len(texts)
    text = httpclient.InferInput("text", [n], "BYTES")
    text.set_data_from_numpy(texts, binary_data=binary)
    outputs = [httpclient.InferRequestedOutput(name, binary_data=binary)
               for name in ("label", "probabilities", "top_k_labels", "top_k_scores")]
    result = client.infer(model, [text], outputs=outputs, request_id="triton-1",
                          parameters={"top_k": 2}, headers=headers)
    response = result.get_response()
    assert response["id"] == "triton-1", response
    for output in response["outputs"]:
        assert ("binary_data_size" in output.get("parameters", {})) == binary, output
    predicted = result.as_numpy("label")
    probabilities = result.as_numpy("probabilities")
    top_labels = result.as_numpy("top_k_labels")
    top_scores = result.as_numpy("top_k_scores")
    assert predicted.shape == (n,), predicted.shape
    assert probabilities.shape == (n, len(labels)), probabilities.shape
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-4), probabilities
    for i in range(n):
        label = predicted[i].decode() if isinstance(predicted[i], bytes) else predicted[i]
        assert labels[int(np.argmax(probabilities[i]))] == label, (label, probabilities[i])
        assert top_scores[i][0] >= top_scores[i][1]
    assert top_labels.shape == (n, 2) and top_scores.shape == (n, 2)

    # Only the outputs asked for.
    only = client.infer(model, [text], outputs=[httpclient.InferRequestedOutput("label", binary_data=binary)],
                        headers=headers)
    assert [o["name"] for o in only.get_response()["outputs"]] == ["label"]
    return {"label": as_str(predicted), "probabilities": probabilities,
            "top_k_labels": np.array([as_str(row) for row in top_labels], dtype=object),
            "top_k_scores": top_scores}


def as_str(values):
    """BYTES outputs come back as bytes (binary) or str (JSON): compare them as str."""
    return np.array([v.decode() if isinstance(v, bytes) else v for v in values], dtype=object)


def wrong_name():
    t = httpclient.InferInput("texts", [1], "BYTES")
    t.set_data_from_numpy(np.array(["a"], dtype=object), binary_data=False)
    return t


def wrong_type(binary=False):
    t = httpclient.InferInput("text", [1], "FP32")
    t.set_data_from_numpy(np.array([1.0], dtype=np.float32), binary_data=binary)
    return t


if __name__ == "__main__":
    sys.exit(main())
