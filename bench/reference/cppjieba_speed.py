"""cppjieba's segmentation speed on the texts bench_segment times (every text after the first tab
of shared/data/*/train.tsv, datasets sorted), default mode with HMM, one thread.

cppjieba is reached through the PyPI package `cppjieba` (pybind11 bindings that compile
cppjieba's C++ sources and bundle its dictionary), installed into a scratch venv:
    python3 -m venv /tmp/cppjieba-venv && /tmp/cppjieba-venv/bin/pip install cppjieba
Three timings, best of --repeat, process CPU time and wall:
  per_text  one cut() call per text (Python call overhead on every text);
  chunked   the texts joined by "\\n" into ~1 MB chunks, one cut() per chunk, which makes the
            call overhead negligible (cppjieba splits at the newline anyway; the tokens of a
            text do not change);
  core      chunked minus the time Python takes to build the same list of token strings from
            UTF-8 bytes (what the binding does for every token it returns): an estimate of the
            C++ segmentation alone, i.e. the figure to compare with fenlei's C++ cut loop.
Prints one JSON object (MB = 10^6 bytes of UTF-8 input).
"""
import argparse
import glob
import json
import os
import time

import cppjieba_pybind
from cppjieba import CppJieba as cj_paths


def load_texts(shared):
    texts = []
    for f in sorted(glob.glob(os.path.join(shared, "data", "*", "train.tsv"))):
        with open(f, encoding="utf-8", newline="\n") as fh:
            next(fh)
            for line in fh:
                line = line.rstrip("\n")
                if "\t" in line:
                    texts.append(line.split("\t", 1)[1])
    return texts


def best_of(repeat, fn):
    best_wall, best_cpu, result = 1e30, 1e30, None
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        result = fn()
        best_wall = min(best_wall, time.perf_counter() - w)
        best_cpu = min(best_cpu, time.process_time() - c)
    return best_wall, best_cpu, result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--chunk-bytes", type=int, default=1 << 20)
    args = ap.parse_args()

    t = time.perf_counter()
    jb = cppjieba_pybind.Jieba(str(cj_paths.DICT_PATH), str(cj_paths.HMM_PATH),
                               str(cj_paths.USER_DICT_PATH), str(cj_paths.IDF_PATH),
                               str(cj_paths.STOP_WORDS_PATH))
    load_s = time.perf_counter() - t
    texts = load_texts(args.shared)
    nbytes = sum(len(s.encode("utf-8")) for s in texts)

    chunks, cur, cur_bytes = [], [], 0
    for s in texts:
        cur.append(s)
        cur_bytes += len(s.encode("utf-8")) + 1
        if cur_bytes >= args.chunk_bytes:
            chunks.append("\n".join(cur))
            cur, cur_bytes = [], 0
    if cur:
        chunks.append("\n".join(cur))

    def per_text():
        return sum(len(jb.cut(s, True)) for s in texts)

    def chunked():
        return [jb.cut(c, True) for c in chunks]

    pw, pc, per_text_tokens = best_of(args.repeat, per_text)
    cw, cc, chunk_tokens = best_of(args.repeat, chunked)
    # What the binding adds per returned token: a str decoded from UTF-8 bytes, appended to a list.
    token_bytes = [[tok.encode("utf-8") for tok in toks] for toks in chunk_tokens]
    ow, oc, _ = best_of(args.repeat, lambda: [[b.decode("utf-8") for b in tb] for tb in token_bytes])
    n_chunk_tokens = sum(len(t) for t in chunk_tokens)
    newline_tokens = sum(1 for toks in chunk_tokens for tok in toks if tok == "\n")
    mb = nbytes / 1e6
    print(json.dumps({
        "system": "cppjieba (PyPI cppjieba 0.1.1, pybind11)",
        "texts": len(texts), "mb": round(mb, 3), "chunks": len(chunks),
        "tokens_per_text_calls": per_text_tokens,
        "tokens_chunked_without_newlines": n_chunk_tokens - newline_tokens,
        "load_ms": round(load_s * 1e3, 1),
        "per_text_mb_s_cpu": round(mb / pc, 2), "per_text_mb_s_wall": round(mb / pw, 2),
        "chunked_mb_s_cpu": round(mb / cc, 2), "chunked_mb_s_wall": round(mb / cw, 2),
        "list_build_s_cpu": round(oc, 3),
        "core_mb_s_cpu": round(mb / max(cc - oc, 1e-9), 2),
        "core_mb_s_wall": round(mb / max(cw - ow, 1e-9), 2),
    }))


if __name__ == "__main__":
    main()
