#!/usr/bin/env python3
"""Times a prediction CLI the way a user meets it: one process per single text (start-up and
model load included), and one process over a whole file (throughput). Used for `fenlei predict`
by bench/infer_compare.sh; any CLI of the form `PROG... MODEL FILE` works.

  cli_latency.py --texts texts.txt --runs 30 -- build/fenlei predict model.fenlei
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

import numpy as np  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--texts", required=True, help="one text per line")
    p.add_argument("--runs", type=int, default=30, help="single-text invocations")
    p.add_argument("cmd", nargs="+", help="command; the input file is appended")
    a = p.parse_args()
    with open(a.texts, encoding="utf-8") as f:
        texts = [l.rstrip("\n") for l in f if l.strip()]
    base = {"system": "cli", "cmd": " ".join(a.cmd), "n": len(texts)}
    lat = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(min(a.runs, len(texts))):
            one = os.path.join(tmp, "one.txt")
            with open(one, "w", encoding="utf-8") as f:
                f.write(texts[i] + "\n")
            t = time.perf_counter()
            r = subprocess.run(a.cmd + [one], capture_output=True, text=True)
            lat.append(time.perf_counter() - t)
            if r.returncode != 0:
                common.emit({**base, "error": f"exit {r.returncode}: {r.stderr.strip()[:300]}"})
                return
    t = time.perf_counter()
    r = subprocess.run(a.cmd + [a.texts], capture_output=True, text=True)
    seconds = time.perf_counter() - t
    if r.returncode != 0:
        common.emit({**base, "error": f"exit {r.returncode}: {r.stderr.strip()[:300]}"})
        return
    lines = [l for l in r.stdout.splitlines() if l.strip()]
    ms = np.array(lat) * 1e3
    common.emit({**base, "single_cli_p50_ms": float(np.percentile(ms, 50)),
                 "single_cli_p99_ms": float(np.percentile(ms, 99)), "single_runs": len(ms),
                 "batch_seconds": seconds, "batch_examples_per_second": len(texts) / seconds,
                 "output_lines": len(lines), "output_ok": len(lines) == len(texts),
                 "peak_rss_mb_children": common.peak_rss_mb(__import__("resource").RUSAGE_CHILDREN),
                 "machine": common.machine_info()})


if __name__ == "__main__":
    main()
