#!/usr/bin/env python3
"""Hostile and mixed load for `fenlei serve` (standard library only; used by bench/serve_slowloris.sh
and bench/serve_soak.sh).

  hostile_load.py slow URL --connections 500 --seconds 30 [--source 127.0.0.2]
      Holds N connections that each send one header byte per second (reconnecting when the server
      cuts one off) and reports how many the server cut off and refused.

  hostile_load.py soak URL --model NAME --seconds 120 --pid PID [--reload-every 10]
      Mixed load: good predictions (latency measured), bad requests, slow clients, huge bodies
      (Content-Length and chunked), pipelined batches, :reload and SIGHUP reloads; RSS sampled.
      Prints one JSON object: errors (answers that were not what the request deserved), lost
      (good requests without an answer), p50/p99 of good requests, RSS over time.
"""
import argparse
import asyncio
import json
import os
import random
import signal
import sys
import time
from urllib.parse import urlparse


def parse_url(url):
    u = urlparse(url)
    return u.hostname, u.port


async def read_response(reader):
    """Reads one HTTP/1.1 response with a Content-Length body; returns (status, headers, body)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers, body


def request(method, path, body=b"", headers=None):
    h = {"Host": "bench"}
    if body or method == "POST":
        h["Content-Length"] = str(len(body))
    h.update(headers or {})
    head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items()) + "\r\n"
    return head.encode() + body


class Stats:
    def __init__(self):
        self.latencies = []
        self.counts = {}
        self.errors = []
        self.lost = 0

    def count(self, kind):
        self.counts[kind] = self.counts.get(kind, 0) + 1

    def error(self, what):
        self.count("error")
        if len(self.errors) < 20:
            self.errors.append(what)


# ---- slow clients -------------------------------------------------------------------------------

async def slow_client(host, port, source, until, stats):
    """Sends one byte of a never-ending header per second; reconnects when cut off."""
    trickle = b"POST /v1/models/x:predict HTTP/1.1\r\nHost: slow\r\nX-Slow: " + b"a" * 100000
    while time.monotonic() < until:
        try:
            reader, writer = await asyncio.open_connection(
                host, port, local_addr=(source, 0) if source else None)
        except OSError:
            stats.count("connect_failed")
            await asyncio.sleep(1)
            continue
        stats.count("opened")
        i = 0
        try:
            while time.monotonic() < until:
                writer.write(trickle[i:i + 1])
                i += 1
                await writer.drain()
                try:
                    status, _, _ = await asyncio.wait_for(read_response(reader), 1.0)
                    stats.count(f"answered_{status}")  # 408 (deadline) or 503 (over a cap)
                    break
                except asyncio.TimeoutError:
                    continue
        except (OSError, asyncio.IncompleteReadError):
            stats.count("cut_off")
        finally:
            writer.close()


async def run_slow(args):
    host, port = parse_url(args.url)
    until = time.monotonic() + args.seconds
    stats = Stats()
    await asyncio.gather(*(slow_client(host, port, args.source, until, stats)
                           for _ in range(args.connections)))
    print(json.dumps({"slow_connections": args.connections, "events": stats.counts}))


# ---- soak ---------------------------------------------------------------------------------------

TEXTS = ["服务很好，房间干净", "太差了，再也不来", "一般般", "早餐不错但是隔音差", "位置很方便"]


async def good_client(host, port, model, until, stats, pipelined=False):
    path = f"/v1/models/{model}:predict"
    reader = writer = None
    while time.monotonic() < until:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            n = random.randint(2, 8) if pipelined else 1
            bodies = [json.dumps({"instances": random.sample(TEXTS, random.randint(1, 3))},
                                 ensure_ascii=False).encode() for _ in range(n)]
            start = time.monotonic()
            writer.write(b"".join(request("POST", path, b, {"Content-Type": "application/json"})
                                  for b in bodies))
            await writer.drain()
            for b in bodies:
                try:
                    status, headers, body = await asyncio.wait_for(read_response(reader), 10)
                except (asyncio.TimeoutError, asyncio.IncompleteReadError, OSError) as e:
                    stats.lost += 1
                    stats.error(f"good request lost: {type(e).__name__}")
                    writer.close()
                    writer = None
                    break
                stats.latencies.append(time.monotonic() - start)
                # 503 only while reloading is never right: reloads swap models without a gap.
                if status != 200 or len(json.loads(body)["predictions"]) != len(json.loads(b)["instances"]):
                    stats.error(f"good request got {status}: {body[:200]!r}")
                else:
                    stats.count("pipelined_ok" if pipelined else "good_ok")
                if headers.get("connection") == "close":
                    writer.close()
                    writer = None
                    break
        except OSError as e:
            stats.lost += 1
            stats.error(f"good client connection failed: {e}")
            writer = None
            await asyncio.sleep(0.1)
        await asyncio.sleep(random.uniform(0, 0.01))


BAD = [
    (request("POST", "/v1/models/{m}:predict", b'{"instances": ["a", ', {"Content-Type": "application/json"}), 400),
    (request("POST", "/v1/models/{m}:predict", b'{"instances": 5}', {"Content-Type": "application/json"}), 400),
    (request("POST", "/v1/models/{m}:predict", b'{"instances": ["\xe5\xa5"]}', {"Content-Type": "application/json"}), 400),
    (request("POST", "/v1/models/nope:predict", b'{"instances": ["a"]}'), 404),
    (request("GET", "/v1/models/{m}:predict"), 405),
    (request("GET", "/" + "a" * 20000), 414),
    (request("GET", "/v2/health/live", headers={"X-Big": "b" * 40000}), 431),
    (b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + b"\x00" * 64 + b"\r\n\r\n", 400),
    (request("POST", "/v1/models/{m}:reload", b"a=b",
             {"Content-Type": "application/x-www-form-urlencoded", "Origin": "https://evil.example"}), 403),
    (b"POST /v1/models/{m}:predict HTTP/1.1\r\nHost: b\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
]


async def one_shot(host, port, data, expect, stats, kind, timeout=10):
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError as e:
        stats.error(f"{kind}: connect failed {e}")
        return
    try:
        writer.write(data)
        await writer.drain()
        status, _, _ = await asyncio.wait_for(read_response(reader), timeout)
        if status != expect:
            stats.error(f"{kind}: got {status}, expected {expect}")
        else:
            stats.count(f"{kind}_ok")
    except (asyncio.TimeoutError, asyncio.IncompleteReadError, OSError) as e:
        # A server may close while a huge body is still being sent; the answer was then sent first.
        stats.error(f"{kind}: no answer ({type(e).__name__})")
    finally:
        writer.close()


async def bad_client(host, port, model, until, stats):
    while time.monotonic() < until:
        data, expect = random.choice(BAD)
        await one_shot(host, port, data.replace(b"{m}", model.encode()), expect, stats, "bad")
        await asyncio.sleep(random.uniform(0, 0.05))


async def huge_client(host, port, model, until, stats, limit):
    while time.monotonic() < until:
        path = f"/v1/models/{model}:predict"
        if random.random() < 0.5:
            data = request("POST", path, b"a" * (limit * 4), {"Content-Type": "application/json"})
        else:
            chunk = b"a" * 65536
            data = (f"POST {path} HTTP/1.1\r\nHost: b\r\nContent-Type: application/json\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n").encode()
            data += b"".join(b"10000\r\n" + chunk + b"\r\n" for _ in range(limit * 4 // 65536 + 2))
        await one_shot(host, port, data, 413, stats, "huge")
        await asyncio.sleep(random.uniform(0.05, 0.2))


async def reloader(host, port, model, until, stats, every, pid):
    n = 0
    while time.monotonic() + every < until:
        await asyncio.sleep(every)
        n += 1
        if n % 2 and pid:
            os.kill(pid, signal.SIGHUP)
            stats.count("sighup")
        else:
            await one_shot(host, port, request("POST", f"/v1/models/{model}:reload", b"{}",
                                               {"Content-Type": "application/json"}), 200, stats,
                           "reload", timeout=60)


async def rss_sampler(pid, until, samples):
    start = time.monotonic()
    while time.monotonic() < until:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        samples.append((round(time.monotonic() - start), int(line.split()[1]) // 1024))
        except OSError:
            return
        await asyncio.sleep(max(1, (until - start) / 20))


async def run_soak(args):
    host, port = parse_url(args.url)
    until = time.monotonic() + args.seconds
    stats = Stats()
    rss = []
    tasks = [good_client(host, port, args.model, until, stats) for _ in range(args.good)]
    tasks += [good_client(host, port, args.model, until, stats, pipelined=True) for _ in range(2)]
    tasks += [bad_client(host, port, args.model, until, stats) for _ in range(2)]
    tasks += [huge_client(host, port, args.model, until, stats, args.max_body_bytes)]
    tasks += [slow_client(host, port, None, until, Stats()) for _ in range(args.slow)]
    tasks += [reloader(host, port, args.model, until, stats, args.reload_every, args.pid)]
    if args.pid:
        tasks.append(rss_sampler(args.pid, until, rss))
    await asyncio.gather(*tasks)
    lat = sorted(stats.latencies)
    pct = lambda p: round(1000 * lat[min(len(lat) - 1, int(p * len(lat)))], 2) if lat else None
    print(json.dumps({"seconds": args.seconds, "good_requests": len(lat), "lost": stats.lost,
                      "errors": stats.counts.get("error", 0), "first_errors": stats.errors,
                      "p50_ms": pct(0.50), "p99_ms": pct(0.99), "counts": stats.counts,
                      "rss_mb_over_time": rss}, ensure_ascii=False))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("slow")
    s.add_argument("url")
    s.add_argument("--connections", type=int, default=500)
    s.add_argument("--seconds", type=float, default=30)
    s.add_argument("--source", default=None, help="local address to connect from, e.g. 127.0.0.2")
    k = sub.add_parser("soak")
    k.add_argument("url")
    k.add_argument("--model", required=True)
    k.add_argument("--seconds", type=float, default=120)
    k.add_argument("--pid", type=int, default=0)
    k.add_argument("--good", type=int, default=4)
    k.add_argument("--slow", type=int, default=50)
    k.add_argument("--reload-every", type=float, default=10)
    k.add_argument("--max-body-bytes", type=int, default=1 << 20)
    args = ap.parse_args()
    asyncio.run(run_slow(args) if args.mode == "slow" else run_soak(args))


if __name__ == "__main__":
    sys.exit(main())
