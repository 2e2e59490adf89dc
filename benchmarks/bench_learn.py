"""Ingest while a hall's model is re-fitted: does the nightly learning leave
ingest alone? The ratio of ingest p99 latency during a fit to its p99 once the
fit is over, in the same run.

A store is filled first (by a ``hallmon serve`` without learning) with
``--days`` days of the large city hall of the recovery test
(``tests/monitor/background/halls/city.yaml``, about 4,000 tickets a day).
Then a real ``hallmon serve`` starts on it with ``learn:`` on and
``workers: --workers``: the hall's last night is due at once, so a fit (the
store read through its own connection, the candidate fitted, both models
back-tested) starts within seconds, in a worker process. All along, one writer
posts another hall's events at a steady ``--rate`` events/s in batches of
``--batch`` (on a schedule: it never bursts to catch up), and the run records
the latency of every batch and, polling ``/v1/halls/city/model``, when the fit
ran. It goes on for as long after the fit as the fit took, and compares the
p50 and p99 of the batches posted during the fit with those after it.

    python benchmarks/bench_learn.py [--days 21] [--rate 500] [--batch 100]
        [--workers 1] [--json]

Exit status 0 whatever it finds; the figures go to the README's performance
table with the machine they ran on.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from serving import free_port, wait_ready  # noqa: E402

from sim.eventlog.convert import calendar_days, day_events  # noqa: E402
from sim.model.hall import simulate  # noqa: E402
from sim.model.scenario import load_scenario  # noqa: E402

CITY = ROOT / "tests/monitor/background/halls/city.yaml"
FLAGSHIP = ROOT / "scenarios/flagship.yaml"
START = date(2026, 3, 2)
TOKENS = {"city": "city-bench-token-0123456789", "steady": "steady-bench-token-012345"}


def _config(directory: Path, learn: bool, workers: int) -> Path:
    path = directory / "learn.yaml"
    path.write_text(
        f"""
store: {directory / "learn.db"}
clock: events
workers: {workers}
max_body_bytes: 16000000
forecast: {{replications: 4}}
nowcast: {{every: 0}}
drift: {{every: 0}}
{"learn: {replications: 6}" if learn else ""}
halls:
  - {{id: city, scenario: {CITY}, token_env: T_CITY}}
  - {{id: steady, scenario: {FLAGSHIP}, token_env: T_STEADY, learn: {{enabled: false}}}}
""",
        encoding="utf-8",
    )
    return path


def _serve(config: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "T_CITY": TOKENS["city"], "T_STEADY": TOKENS["steady"]}
    with log.open("ab") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "monitor", "serve", "--config", str(config),
             "--port", str(port), "--log-level", "warning"],
            env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, server)
    except RuntimeError as exc:
        raise RuntimeError(f"{exc} (see {log})") from None
    return server, url


def _stop(server: subprocess.Popen[bytes]) -> None:
    import signal

    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def _fill(url: str, days: int) -> int:
    """Post ``days`` days of the city hall; returns how many events."""
    scn = load_scenario(CITY)
    n = 0
    with httpx.Client(base_url=url, timeout=120) as client:
        for day, one, records in calendar_days(scn, days, START, seed=7):
            events = day_events(records, one, day, "no_show")
            for i in range(0, len(events), 5000):
                body = [e.as_row() for e in events[i : i + 5000]]
                reply = client.post(
                    "/v1/halls/city/events", json=body,
                    headers={"Authorization": f"Bearer {TOKENS['city']}"},
                )  # fmt: skip
                reply.raise_for_status()
            n += len(events)
    return n


def _steady_batches(batch: int) -> list[bytes]:
    scn = load_scenario(FLAGSHIP)
    day = day_events(simulate(scn, seed=3, replication=0), scn, date(2024, 1, 1), "no_show")
    out = []
    for k in range(50):  # 50 days of the flagship, one after the other: enough for any run
        shift = timedelta(days=k)
        rows = [
            e.model_copy(
                update={"ts": e.ts + shift, "id": f"{k}-{e.id}", "hall": "steady"}
            ).as_row()
            for e in day
        ]
        out += [json.dumps(rows[i : i + batch]).encode() for i in range(0, len(rows), batch)]
    return out


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-learn-") as tmp:
        directory = Path(tmp)
        log = directory / "hallmon.log"
        server, url = _serve(_config(directory, False, args.workers), log)
        try:
            filled = _fill(url, args.days)
        finally:
            _stop(server)
        bodies = _steady_batches(args.batch)
        server, url = _serve(_config(directory, True, args.workers), log)
        latencies: list[tuple[float, float]] = []  # (start, seconds)
        running: list[tuple[float, bool]] = []
        stop = threading.Event()

        def writer() -> None:
            period = args.batch / args.rate
            due = time.monotonic()
            headers = {"Authorization": f"Bearer {TOKENS['steady']}",
                       "Content-Type": "application/json"}  # fmt: skip
            with httpx.Client(base_url=url, timeout=60) as client:
                for body in bodies:
                    if stop.is_set():
                        return
                    delay = due - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                    due = max(due + period, time.monotonic() - period)
                    start = time.monotonic()
                    reply = client.post("/v1/halls/steady/events", content=body, headers=headers)
                    if reply.status_code == 200:
                        latencies.append((start, time.monotonic() - start))

        thread = threading.Thread(target=writer, daemon=True)
        thread.start()
        try:
            with httpx.Client(base_url=url, timeout=60) as client:
                began = ended = None
                deadline = time.monotonic() + args.timeout
                while time.monotonic() < deadline:
                    learning = client.get("/v1/halls/city/model").json()["learning"]
                    now = time.monotonic()
                    running.append((now, learning["running"]))
                    if learning["running"] and began is None:
                        began = now
                    if began is not None and not learning["running"]:
                        ended = now
                        break
                    time.sleep(0.2)
                if began is None or ended is None:
                    raise RuntimeError("no fit was seen to start and end")
                time.sleep(ended - began)  # as long again, after the fit
        finally:
            stop.set()
            thread.join()
            _stop(server)
        during = [s for t, s in latencies if began <= t <= ended]
        after = [s for t, s in latencies if t > ended]
        return {
            "days_in_store": args.days,
            "events_in_store": filled,
            "fit_s": round(ended - began, 1),
            "workers": args.workers,
            "rate_events_per_s": args.rate,
            "batches_during_fit": len(during),
            "batches_after_fit": len(after),
            "p50_ms": {
                "during": round(_quantile(during, 0.5), 1),
                "after": round(_quantile(after, 0.5), 1),
            },
            "p99_ms": {
                "during": round(_quantile(during, 0.99), 1),
                "after": round(_quantile(after, 0.99), 1),
            },
            "p99_ratio": round(_quantile(during, 0.99) / _quantile(after, 0.99), 2),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=21)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args)
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"fit of {result['days_in_store']} days ({result['events_in_store']} events) took "
        f"{result['fit_s']} s with {result['workers']} worker(s); ingest at "
        f"{result['rate_events_per_s']:g} events/s: p50 {result['p50_ms']['during']} ms during "
        f"vs {result['p50_ms']['after']} ms after, p99 {result['p99_ms']['during']} ms during "
        f"vs {result['p99_ms']['after']} ms after: ratio {result['p99_ratio']}"
    )


if __name__ == "__main__":
    main()
