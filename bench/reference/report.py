#!/usr/bin/env python3
"""Turns a bench/out/<run>/ folder of raw results into the Markdown tables the drivers print.
Missing or failed systems become a cell that says why, so a partial run still reads clearly."""
import argparse
import glob
import json
import os
import re


def load_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.loads(f.read().strip().splitlines()[-1])
    except (OSError, ValueError, IndexError):
        return None


def last_jsonl(path):
    try:
        with open(path, encoding="utf-8") as f:
            lines = [l for l in f.read().splitlines() if l.strip()]
        return json.loads(lines[-1]) if lines else None
    except (OSError, ValueError):
        return None


def time_v_rss_mb(path):
    try:
        with open(path, encoding="utf-8") as f:
            m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", f.read())
        return int(m.group(1)) / 1024 if m else None
    except OSError:
        return None


def fmt(v, spec=",.0f", missing="—"):
    return missing if v is None else format(v, spec)


def cell(res, key, spec=",.0f"):
    if res is None:
        return "not run"
    if "error" in res:
        return "error"
    return fmt(res.get(key), spec)


def train_table(run, models, batches):
    rows = ["| model | batch | PyTorch ex/s | Keras ex/s | fenlei ex/s | fenlei / PyTorch "
            "| PyTorch % sgemm peak | RSS MB PyTorch / Keras / fenlei |",
            "|---|---|---|---|---|---|---|---|"]
    for m in models:
        for b in batches:
            t = load_json(os.path.join(run, f"torch.{m}.{b}.json"))
            k = load_json(os.path.join(run, f"keras.{m}.{b}.json"))
            f = last_jsonl(os.path.join(run, f"fenlei.{m}.{b}.jsonl"))
            f_eps = f.get("examples_per_second") if f else None
            t_eps = t.get("examples_per_second") if t and "error" not in t else None
            ratio = f"{f_eps / t_eps:.2f}×" if f_eps and t_eps else "pending"
            frac = (f"{100 * t['fraction_of_sgemm_peak']:.0f} %"
                    if t and "fraction_of_sgemm_peak" in t else "—")
            rss = " / ".join([cell(t, "peak_rss_mb"), cell(k, "peak_rss_mb") if m == "seed-cnn"
                              else "n/a", fmt(time_v_rss_mb(os.path.join(run, f"fenlei.{m}.{b}.time")),
                                              ",.0f", "pending")])
            rows.append(f"| {m} | {b} | {cell(t, 'examples_per_second')} | "
                        f"{cell(k, 'examples_per_second') if m == 'seed-cnn' else 'n/a'} | "
                        f"{fmt(f_eps, ',.0f', 'pending')} | {ratio} | {frac} | {rss} |")
    return "\n".join(rows)


# Test accuracy / macro-F1 from ../shared/ANCHORS.md (2026-11-28), for side-by-side reading.
ANCHORS = {
    "chnsenticorp_htl": {"fasttext-words": "0.871 / 0.849", "fasttext-chars": "0.876 / 0.855",
                         "seed-cnn": "0.872 / 0.850", "textcnn": "0.858 / 0.830"},
    "online_shopping_cats": {"fasttext-words": "0.879 / 0.866", "fasttext-chars": "0.893 / 0.882",
                             "seed-cnn": "0.891 / 0.886", "textcnn": "0.873 / 0.862"},
    "online_shopping_senti": {"fasttext-words": "0.924 / 0.924", "fasttext-chars": "0.923 / 0.923",
                              "seed-cnn": "—", "textcnn": "—"},
    "thucnews_titles": {"fasttext-words": "0.831 / 0.831", "fasttext-chars": "0.860 / 0.860",
                        "seed-cnn": "0.813 / 0.815", "textcnn": "0.767 / 0.767"},
}


def accuracy_table(run, datasets, presets):
    rows = ["| dataset | preset | fenlei acc / macro-F1 | ANCHORS reference (same model) "
            "| reference in this run | fenlei train s |", "|---|---|---|---|---|---|"]
    for d in datasets:
        for p in presets:
            f = load_json(os.path.join(run, f"fenlei.{d}.{p}.test.json"))
            fen = (f"{f['accuracy']:.3f} / {f['macro_f1']:.3f}"
                   if f and "accuracy" in f else "pending")
            ref_key = p if p in ("seed-cnn", "textcnn") else "fasttext-words"
            anchor = ANCHORS.get(d, {}).get(ref_key, "—")
            if p == "fasttext":
                anchor = (f"words {ANCHORS[d]['fasttext-words']}, "
                          f"chars {ANCHORS[d]['fasttext-chars']}")
            here = "not run"
            r = load_json(os.path.join(run, f"ref.{d}.{p}.json"))
            if r and "results" in r:
                here = ", ".join(f"{x['unit']} {x['test_accuracy']:.3f} / {x['test_macro_f1']:.3f}"
                                 for x in r["results"])
            elif r and "test_accuracy" in r:
                here = f"{r['test_accuracy']:.3f} / {r['test_macro_f1']:.3f}"
            elif r:
                here = "error"
            secs = None
            try:
                with open(os.path.join(run, f"fenlei.{d}.{p}.seconds")) as fh:
                    secs = float(fh.read().strip())
            except (OSError, ValueError):
                pass
            rows.append(f"| {d} | {p} | {fen} | {anchor} | {here} | {fmt(secs, '.1f')} |")
    return "\n".join(rows)


def infer_table(run):
    t = load_json(os.path.join(run, "torch.inference.json"))
    f = load_json(os.path.join(run, "fenlei.inference.json"))
    rows = ["| system | single text p50 / p99 | batch throughput ex/s | notes |", "|---|---|---|---|"]
    if t and "error" not in t:
        s, j = t["single_ids"], t["single_with_jieba"]
        rows.append(f"| PyTorch {t['model']}, ids ready | {s['p50_us']:.0f} / {s['p99_us']:.0f} µs "
                    f"| {t['batch256_examples_per_second']:,.0f} (batch 256) | length {t['maxlen']} |")
        rows.append(f"| PyTorch {t['model']} + python jieba | {j['p50_us']:.0f} / {j['p99_us']:.0f} µs "
                    f"| — | jieba {t['jieba_mb_per_second']:.2f} MB/s |")
    else:
        rows.append("| PyTorch | not run | | |")
    if f and "error" not in f:
        rows.append(f"| fenlei predict (one CLI call per text) | {f['single_cli_p50_ms']:.1f} / "
                    f"{f['single_cli_p99_ms']:.1f} ms incl. process start + model load | "
                    f"{f['batch_examples_per_second']:,.0f} (whole test file, incl. load and "
                    f"segmentation) | {f['n']} texts |")
    else:
        rows.append(f"| fenlei predict | pending | pending | {f.get('error', '') if f else ''} |")
    return "\n".join(rows)


def _reference(t, cpu=False):
    """(name suffix, ids-ready p50/p99, end-to-end p50/p99, end-to-end batch texts/s) of a
    torch_textcnn.py or torch_fasttext.py --inference result; cpu: its CPU-time figures."""
    if cpu:  # torch_textcnn.py and the references built on it (torch_textrnn.py)
        rate = t["batch256_examples_per_cpu_second"]
        jieba_rate = 1e6 / t["jieba_only_cpu"]["mean_us"]
        both = 1.0 / (1.0 / rate + 1.0 / jieba_rate)
        return " + python jieba", t["single_ids_cpu"], t["single_with_jieba_cpu"], both, rate
    s = t["single_ids"]
    if "single_with_jieba" in t:  # torch_textcnn.py: the model's batch rate and jieba's, combined
        j = t["single_with_jieba"]
        jieba_rate = 1e6 / t["jieba_only"]["mean_us"]
        both = 1.0 / (1.0 / t["batch256_examples_per_second"] + 1.0 / jieba_rate)
        return " + python jieba", s, j, both, t["batch256_examples_per_second"]
    e = t["single_end_to_end"]  # torch_fasttext.py: measured end to end
    suffix = " + python jieba (words)" if t.get("unit") == "words" else " (chars, no segmenter)"
    return suffix, s, e, t["batch256_end_to_end_texts_per_second"], None


def infer_inprocess_table(run, presets, cpu=False):
    """fenlei's predict_latency runs against PyTorch (+ python jieba), one row per system; the
    ratios are against the first reference of each preset (the issue's PyTorch + python jieba).
    cpu: CPU time instead of wall clock (both sides measure it; runs since 2026-12-02)."""
    k = "_cpu" if cpu else ""
    rows = ["| system | single text p50 / p99 (µs) | first pass p50 / p99 (µs) | batch-256 texts/s "
            "| vs first PyTorch row (p50 / p99 / batch) |", "|---|---|---|---|---|"]
    for preset in presets:
        refs = []
        for suffix in ("", "-chars"):
            t = load_json(os.path.join(run, f"torch.{preset}{suffix}.json"))
            if not t:
                continue
            if "error" in t:
                rows.append(f"| PyTorch {preset}{suffix} | failed: {t['error']} | | | |")
                continue
            if cpu and "jieba_only_cpu" not in t:
                continue
            name, ids, e2e, batch, model_rate = _reference(t, cpu)
            if model_rate is not None:
                rows.append(f"| PyTorch {preset}, ids ready | {ids['p50_us']:,.0f} / {ids['p99_us']:,.0f} "
                            f"| — | {model_rate:,.0f} | |")
            rows.append(f"| **PyTorch {preset}{name}** | **{e2e['p50_us']:,.0f} / {e2e['p99_us']:,.0f}** "
                        f"| — | **≈ {batch:,.0f}** | {'1×' if not refs else ''} |")
            refs.append((e2e["p50_us"], e2e["p99_us"], batch))
        ref = refs[0] if refs else None
        recurrent = preset in ("bilstm", "gru", "rcnn")
        kinds = (("gemm", "float, uncached input gates"), ("float", "float, cached input gates"),
                 ("int8-gemm", "int8, uncached input gates"), ("int8", "int8, cached input gates")) \
            if recurrent else (("gemm", "float, im2col + sgemm"), ("float", "float"), ("int8", "int8"))
        for kind, name in kinds:
            f = load_json(os.path.join(run, f"fenlei.{preset}.{kind}.json"))
            if not f:
                continue
            if preset == "fasttext" and kind == "gemm":
                continue  # no conv: the same path as "float"
            if kind == "float" and preset == "dpcnn":
                name = "float, convs packed at load"
            elif kind == "float" and preset != "fasttext" and not recurrent:
                name = "float, token projections"
            if cpu and "single_cpu_p50_us" not in f:
                continue
            p50, p99 = f[f"single{k}_p50_us"], f[f"single{k}_p99_us"]
            rate = f["batch_texts_per_cpu_second" if cpu else "batch_texts_per_second"]
            ratio = "—"
            if ref:
                ratio = f"{ref[0] / p50:.1f}× / {ref[1] / p99:.1f}× / {rate / ref[2]:.1f}×"
            rows.append(f"| fenlei {preset} {name} | {p50:,.1f} / {p99:,.0f} | "
                        f"{f[f'first_pass{k}_p50_us']:,.1f} / {f[f'first_pass{k}_p99_us']:,.0f} | "
                        f"{rate:,.0f} | {ratio} |")
    return "\n".join(rows)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("kind", choices=["train", "accuracy", "infer", "infer-inprocess"])
    p.add_argument("run")
    p.add_argument("--models", default="seed-cnn textcnn")
    p.add_argument("--cpu", action="store_true", help="infer-inprocess: CPU time, not wall clock")
    p.add_argument("--batches", default="32 128")
    p.add_argument("--datasets", default=" ".join(ANCHORS))
    p.add_argument("--presets", default="seed-cnn textcnn fasttext")
    a = p.parse_args()
    if a.kind == "train":
        print(train_table(a.run, a.models.split(), a.batches.split()))
    elif a.kind == "accuracy":
        print(accuracy_table(a.run, a.datasets.split(), a.presets.split()))
    elif a.kind == "infer-inprocess":
        print(infer_inprocess_table(a.run, a.presets.split(), a.cpu))
    else:
        print(infer_table(a.run))


if __name__ == "__main__":
    main()
