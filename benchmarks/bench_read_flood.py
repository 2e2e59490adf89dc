"""Benchmark ingest's share of the server under a flood of readers.

A real ``hallmon serve``; one writer posts the flagship hall's simulated days
(a new date each day, so the live state stays one day's size, as in a real
hall) in batches of 500 as fast as it can: alone, then while ``--readers``
readers in another process fetch ``/metrics`` and ``/v1/halls/flagship/state``
(half each) as fast as they can, then alone again. The figure is the rate
under the flood over the mean of the two rates alone, in the same run; the
config's ``limits.ingest_share`` (0.5 by default) is the share the read gate
keeps for ingest. ``--pairs N`` repeats the three phases N times and prints
each ratio and their median.

    python benchmarks/bench_read_flood.py [--readers 8] [--seconds 6] [--pairs 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # serving, also when imported by path

from serving import free_port, wait_ready  # noqa: E402

from sim.eventlog.convert import day_events  # noqa: E402
from sim.model.hall import simulate  # noqa: E402
from sim.model.scenario import load_scenario  # noqa: E402

BATCH = 500
TOKEN = "bench-token"
READER = """
import collections, json, sys, threading, time, httpx
url, n, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
paths = ["/metrics", "/v1/halls/flagship/state"]
counts = collections.Counter()
def read(path):
    with httpx.Client(base_url=url, timeout=30) as client:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            counts[path + " " + str(client.get(path).status_code)] += 1
threads = [threading.Thread(target=read, args=(paths[i % 2],)) for i in range(n)]
[t.start() for t in threads]
[t.join() for t in threads]
print(json.dumps(counts))
"""


def bodies() -> Iterator[bytes]:
    """Batches of the flagship's simulated day, dated one day later each time
    (2024 onwards: in the past, never quarantined)."""
    scn = load_scenario(ROOT / "scenarios/flagship.yaml")
    day = day_events(simulate(scn, seed=7, replication=0), scn, date(2024, 1, 1), "no_show")
    k = 0
    while True:
        shift = timedelta(days=k)
        rows = [e.model_copy(update={"ts": e.ts + shift, "id": f"{k}-{e.id}"}) for e in day]
        for i in range(0, len(rows), BATCH):
            yield json.dumps([e.as_row() for e in rows[i : i + BATCH]]).encode()
        k += 1


def rate(client: httpx.Client, source: Iterator[bytes], seconds: float) -> float:
    """Events a second one writer gets acknowledged in ``seconds``."""
    events = 0
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        reply = client.post("/v1/halls/flagship/events", content=next(source))
        reply.raise_for_status()
        events += reply.json()["accepted"]
    return events / (time.monotonic() - start)


def start_server(directory: Path, share: float | None) -> tuple[subprocess.Popen[bytes], str]:
    limits = "{hall: {events_per_s: 1000000000, events_burst: 1000000}"
    limits += f", ingest_share: {share}}}" if share is not None else "}"
    config = directory / "bench.yaml"
    config.write_text(
        f"store: {directory / 'hallmon.db'}\nclock: events\nnowcast: {{every: 0}}\n"
        f"forecast: {{replications: 0}}\ndrift: {{every: 0}}\nlimits: {limits}\nhalls:\n"
        f"  - {{id: flagship, scenario: {ROOT / 'scenarios/flagship.yaml'}, "
        "token_env: BENCH_TOKEN}\n",
        encoding="utf-8",
    )
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "monitor", "serve", "--config", str(config), "--port", str(port),
         "--log-level", "warning"],
        env=dict(os.environ, BENCH_TOKEN=TOKEN), cwd=ROOT, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, server)
    except RuntimeError as exc:
        server.kill()
        raise SystemExit(str(exc)) from None
    return server, url


def measure(readers: int, seconds: float, pairs: int, share: float | None) -> dict[str, Any]:
    source = bodies()
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as scratch:
        server, url = start_server(Path(scratch), share)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        try:
            with httpx.Client(base_url=url, headers=headers, timeout=60) as writer:
                rate(writer, source, 1.0)  # warm up
                for _ in range(pairs):
                    before = rate(writer, source, seconds)
                    flood = subprocess.Popen(
                        [sys.executable, "-c", READER, url, str(readers), str(seconds + 1.0)],
                        stdout=subprocess.PIPE, text=True,
                    )  # fmt: skip
                    time.sleep(0.5)  # let the flood start
                    flooded = rate(writer, source, seconds)
                    out, _ = flood.communicate(timeout=120)
                    after = rate(writer, source, seconds)
                    alone = (before + after) / 2
                    runs.append(
                        {"alone_per_s": alone, "flooded_per_s": flooded,
                         "ratio": flooded / alone, "reads": json.loads(out)}
                    )  # fmt: skip
        finally:
            server.terminate()
            server.wait(30)
    ratios = [r["ratio"] for r in runs]
    return {
        "readers": readers,
        "ingest_share": 0.5 if share is None else share,
        "runs": runs,
        "median_ratio": statistics.median(ratios),
        "min_ratio": min(ratios),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--share", type=float, help="limits.ingest_share (default: the config's)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = measure(args.readers, args.seconds, args.pairs, args.share)
    result |= {"python": platform.python_version(), "cpus": os.cpu_count()}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    for r in result["runs"]:
        reads = ", ".join(f"{k}: {v}" for k, v in sorted(r["reads"].items()))
        print(
            f"ingest alone {r['alone_per_s']:,.0f}/s, under {args.readers} readers "
            f"{r['flooded_per_s']:,.0f}/s: {r['ratio']:.2f} ({reads})"
        )
    print(
        f"median {result['median_ratio']:.2f}, lowest {result['min_ratio']:.2f} "
        f"(ingest_share {result['ingest_share']})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
