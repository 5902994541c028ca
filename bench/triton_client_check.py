#!/usr/bin/env python3
"""The official Triton HTTP client (`pip install 'tritonclient[http]'`) against `fenlei serve`,
unchanged: health, server and model metadata, readiness, infer with requested outputs, top_k and a
request id, and the errors it must raise. Exits 0 when every check passes.

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

    texts = np.array(["房间很干净，服务很好", "太差了，再也不来", "一般"], dtype=object)
    text = httpclient.InferInput("text", [len(texts)], "BYTES")
    text.set_data_from_numpy(texts, binary_data=False)
    outputs = [httpclient.InferRequestedOutput(name, binary_data=False)
               for name in ("label", "probabilities", "top_k_labels", "top_k_scores")]
    result = client.infer(model, [text], outputs=outputs, request_id="triton-1",
                          parameters={"top_k": 2}, headers=headers)
    response = result.get_response()
    assert response["id"] == "triton-1", response
    predicted = result.as_numpy("label")
    probabilities = result.as_numpy("probabilities")
    top_labels = result.as_numpy("top_k_labels")
    top_scores = result.as_numpy("top_k_scores")
    assert predicted.shape == (3,), predicted.shape
    assert probabilities.shape == (3, len(labels)), probabilities.shape
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-4), probabilities
    for i in range(3):
        label = predicted[i].decode() if isinstance(predicted[i], bytes) else predicted[i]
        assert labels[int(np.argmax(probabilities[i]))] == label, (label, probabilities[i])
        assert top_scores[i][0] >= top_scores[i][1]
    assert top_labels.shape == (3, 2) and top_scores.shape == (3, 2)

    # Only the outputs asked for.
    only = client.infer(model, [text], outputs=[httpclient.InferRequestedOutput("label", binary_data=False)],
                        headers=headers)
    assert [o["name"] for o in only.get_response()["outputs"]] == ["label"]

    # Errors the client must see as exceptions with the server's message.
    for name, call in [
        ("unknown model", lambda: client.infer("no-such-model", [text], headers=headers)),
        ("unknown version", lambda: client.infer(model, [text], model_version="99", headers=headers)),
        ("wrong input name", lambda: client.infer(model, [wrong_name()], headers=headers)),
        ("wrong type", lambda: client.infer(model, [wrong_type()], headers=headers)),
    ]:
        try:
            call()
        except InferenceServerException as e:
            assert e.message(), name
        else:
            raise AssertionError(name + " did not fail")
    print("tritonclient checks passed against", url)
    return 0


def wrong_name():
    t = httpclient.InferInput("texts", [1], "BYTES")
    t.set_data_from_numpy(np.array(["a"], dtype=object), binary_data=False)
    return t


def wrong_type():
    t = httpclient.InferInput("text", [1], "FP32")
    t.set_data_from_numpy(np.array([1.0], dtype=np.float32), binary_data=False)
    return t


if __name__ == "__main__":
    sys.exit(main())
