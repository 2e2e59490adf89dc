"""Soak a real ``hallmon serve``: steady ingest with scrapes for ``--minutes``
(default 10), and whether its memory and latencies stay flat.

A real exporter (subprocess, uvicorn, the store on disk, ``synchronous=FULL``)
serves ``--halls`` halls of the flagship scenario (``clock: events``, forecast,
nowcast and the drift test off unless ``--background``). For the whole run:

* one writer posts ``--rate`` events/s in batches of ``--batch``, on a fixed
  schedule (it never bursts to catch up: a server that falls behind shows as a
  lower achieved rate), round robin over the halls; each hall replays the
  flagship's simulated day after day, dated from 2024-01-01 on (so the live
  state stays one day's size per hall, while the store grows all along);
* a scraper fetches ``/metrics`` once a second, as Prometheus would, and
  ``/v1/halls/{hall}/state`` of one hall once a second, as a page would.

Every ``--window`` seconds it records the server's resident memory (VmRSS,
the server and its children) and the p50/p99 latency of ingest batches and of
scrapes in that window. The first ``--warmup`` seconds are not measured (imports,
caches, SQLite's page cache filling). The report gives every window and the
ratios of the last window to the first: "flat" when memory grew by at most 10%
and no p99 latency more than doubled (``RSS_FLAT``, ``P99_FLAT``).

Not a test and not in CI: it takes minutes. Exit status 0 whatever it finds.

    python benchmarks/bench_soak.py [--minutes 10] [--rate 1000] [--halls 20]
        [--window 60] [--warmup 30] [--background] [--json]
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
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from serving import free_port, wait_ready  # noqa: E402

from sim.eventlog.convert import day_events  # noqa: E402
from sim.model.hall import simulate  # noqa: E402
from sim.model.scenario import load_scenario  # noqa: E402

FLAGSHIP = ROOT / "scenarios/flagship.yaml"
RSS_FLAT = 1.10  # last window / first, at most
P99_FLAT = 2.0


@dataclass
class Window:
    """What one window of the run saw."""

    end_s: float  # since the measured part began
    rss_mib: float
    events: int  # acknowledged in the window
    ingest_p50_ms: float | None
    ingest_p99_ms: float | None
    scrape_p50_ms: float | None
    scrape_p99_ms: float | None
    state_p99_ms: float | None
    errors: int  # failed requests in the window


@dataclass
class Samples:
    """Latencies (seconds) and counts of the current window, shared by the threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    ingest: list[float] = field(default_factory=list)
    scrape: list[float] = field(default_factory=list)
    state: list[float] = field(default_factory=list)
    events: int = 0
    errors: int = 0

    def take(self) -> tuple[list[float], list[float], list[float], int, int]:
        with self.lock:
            out = (self.ingest, self.scrape, self.state, self.events, self.errors)
            self.ingest, self.scrape, self.state, self.events, self.errors = [], [], [], 0, 0
        return out


def _rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` and its children, MiB."""
    total_kib = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kib += int(line.split()[1])
        except OSError:
            continue
    return total_kib / 1024


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def _batches(halls: list[str], batch: int) -> Iterator[tuple[str, bytes, int]]:
    """(hall, body, events) round robin over the halls, each replaying the
    flagship's day, one date later each time."""
    scn = load_scenario(FLAGSHIP)
    day = day_events(simulate(scn, seed=7, replication=0), scn, date(2024, 1, 1), "no_show")
    cursors = {h: (0, 0) for h in halls}  # hall -> (day number, index in the day)
    while True:
        for hall in halls:
            k, i = cursors[hall]
            chunk = day[i : i + batch]
            shift = timedelta(days=k)
            rows = [
                e.model_copy(update={"ts": e.ts + shift, "id": f"{k}-{e.id}", "hall": hall})
                for e in chunk
            ]
            i += batch
            cursors[hall] = (k + 1, 0) if i >= len(day) else (k, i)
            yield hall, json.dumps([e.as_row() for e in rows]).encode(), len(rows)


def _config(directory: Path, halls: list[str], background: bool) -> Path:
    extra = (
        "nowcast: {every: 1m, replications: 10}\nforecast: {replications: 4}\nworkers: 1\n"
        if background
        else "nowcast: {every: 0}\nforecast: {replications: 0}\ndrift: {every: 0}\n"
    )
    lines = [f"store: {directory / 'soak.db'}", "clock: events", extra, "halls:"]
    lines += [
        f"  - {{id: {h}, scenario: {FLAGSHIP}, token_env: SOAK_TOKEN_{i}}}"
        for i, h in enumerate(halls)
    ]
    path = directory / "soak.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _writer(url: str, tokens: dict[str, str], args: argparse.Namespace, samples: Samples,
            stop: threading.Event, measuring: threading.Event) -> None:  # fmt: skip
    period = args.batch / args.rate
    due = time.monotonic()
    with httpx.Client(base_url=url, timeout=60) as client:
        for hall, body, n in _batches(list(tokens), args.batch):
            if stop.is_set():
                return
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            due = max(due + period, time.monotonic() - period)  # never a burst
            start = time.monotonic()
            try:
                reply = client.post(
                    f"/v1/halls/{hall}/events",
                    content=body,
                    headers={"Authorization": f"Bearer {tokens[hall]}",
                             "Content-Type": "application/json"},
                )  # fmt: skip
                ok = reply.status_code == 200
            except httpx.HTTPError:
                ok = False
            took = time.monotonic() - start
            if measuring.is_set():
                with samples.lock:
                    if ok:
                        samples.ingest.append(took)
                        samples.events += n
                    else:
                        samples.errors += 1


def _scraper(url: str, hall: str, samples: Samples, stop: threading.Event,
             measuring: threading.Event) -> None:  # fmt: skip
    with httpx.Client(base_url=url, timeout=60) as client:
        while not stop.wait(1.0):
            for path, into in (("/metrics", "scrape"), (f"/v1/halls/{hall}/state", "state")):
                start = time.monotonic()
                try:
                    ok = client.get(path).status_code == 200
                except httpx.HTTPError:
                    ok = False
                took = time.monotonic() - start
                if measuring.is_set():
                    with samples.lock:
                        if ok:
                            getattr(samples, into).append(took)
                        else:
                            samples.errors += 1


def soak(args: argparse.Namespace) -> dict[str, object]:
    """Run the soak; the report as a dict."""
    halls = [f"h{i:02d}" for i in range(args.halls)]
    tokens = {h: f"soak-token-{h}-{os.getpid()}" for h in halls}
    with tempfile.TemporaryDirectory(prefix="hallmon-soak-") as tmp:
        directory = Path(tmp)
        config = _config(directory, halls, args.background)
        port = free_port()
        env = dict(os.environ) | {f"SOAK_TOKEN_{i}": tokens[h] for i, h in enumerate(halls)}
        server = subprocess.Popen(
            [sys.executable, "-m", "monitor", "serve", "--config", str(config),
             "--port", str(port), "--log-level", "warning"],
            cwd=ROOT, env=env, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        samples, stop, measuring = Samples(), threading.Event(), threading.Event()
        windows: list[Window] = []
        try:
            wait_ready(url, server)
            threads = [
                threading.Thread(
                    target=_writer, args=(url, tokens, args, samples, stop, measuring)
                ),
                threading.Thread(target=_scraper, args=(url, halls[0], samples, stop, measuring)),
            ]
            for t in threads:
                t.start()
            time.sleep(args.warmup)
            measuring.set()
            samples.take()
            start = time.monotonic()
            end = start + args.minutes * 60
            while time.monotonic() < end:
                time.sleep(min(args.window, max(0.0, end - time.monotonic())))
                ingest, scrape, state, events, errors = samples.take()
                window = Window(
                    end_s=round(time.monotonic() - start, 1),
                    rss_mib=round(_rss_mib(server.pid), 1),
                    events=events,
                    ingest_p50_ms=_quantile(ingest, 0.5),
                    ingest_p99_ms=_quantile(ingest, 0.99),
                    scrape_p50_ms=_quantile(scrape, 0.5),
                    scrape_p99_ms=_quantile(scrape, 0.99),
                    state_p99_ms=_quantile(state, 0.99),
                    errors=errors,
                )
                windows.append(window)
                if not args.json:
                    _print_window(window, args.window)
            stop.set()
            for t in threads:
                t.join(60)
            store_mib = (directory / "soak.db").stat().st_size / 2**20
        finally:
            stop.set()
            server.terminate()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
    return _report(args, windows, store_mib)


def _ratio(first: float | None, last: float | None) -> float | None:
    return None if not first or last is None else round(last / first, 3)


def _report(args: argparse.Namespace, windows: list[Window], store_mib: float) -> dict[str, object]:
    first, last = windows[0], windows[-1]
    ratios = {
        "rss": _ratio(first.rss_mib, last.rss_mib),
        "ingest_p50": _ratio(first.ingest_p50_ms, last.ingest_p50_ms),
        "ingest_p99": _ratio(first.ingest_p99_ms, last.ingest_p99_ms),
        "scrape_p99": _ratio(first.scrape_p99_ms, last.scrape_p99_ms),
        "state_p99": _ratio(first.state_p99_ms, last.state_p99_ms),
    }
    p99s = [ratios[k] for k in ("ingest_p99", "scrape_p99", "state_p99")]
    flat = (ratios["rss"] or 0) <= RSS_FLAT and all(r is None or r <= P99_FLAT for r in p99s)
    seconds = sum(1 for _ in windows) and windows[-1].end_s
    return {
        "minutes": args.minutes,
        "rate_asked": args.rate,
        "rate_achieved": round(sum(w.events for w in windows) / seconds) if seconds else None,
        "halls": args.halls,
        "batch": args.batch,
        "background": args.background,
        "store_mib": round(store_mib, 1),
        "errors": sum(w.errors for w in windows),
        "ratios_last_to_first": ratios,
        "flat": flat,
        "windows": [asdict(w) for w in windows],
    }


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _print_window(w: Window, window_s: float) -> None:
    print(
        f"{w.end_s:7.0f} s  rss {w.rss_mib:7.1f} MiB  {w.events / window_s:7.0f} ev/s  "
        f"ingest p50/p99 {_ms(w.ingest_p50_ms)}/{_ms(w.ingest_p99_ms)} ms  "
        f"scrape p50/p99 {_ms(w.scrape_p50_ms)}/{_ms(w.scrape_p99_ms)} ms  "
        f"state p99 {_ms(w.state_p99_ms)} ms  errors {w.errors}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="measured time")
    parser.add_argument("--rate", type=float, default=1000.0, help="events per second asked")
    parser.add_argument("--batch", type=int, default=100, help="events per request")
    parser.add_argument("--halls", type=int, default=20)
    parser.add_argument("--window", type=float, default=60.0, help="seconds per window")
    parser.add_argument("--warmup", type=float, default=30.0, help="seconds not measured")
    parser.add_argument(
        "--background", action="store_true", help="forecast, nowcast and the drift test on"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    report = soak(args)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        r = report["ratios_last_to_first"]
        print(
            f"\n{report['minutes']} min at {report['rate_achieved']} events/s "
            f"(asked {report['rate_asked']:g}) over {report['halls']} halls, store "
            f"{report['store_mib']} MiB, {report['errors']} failed requests\n"
            f"last/first window: {r}\n" + ("flat" if report["flat"] else "NOT flat")
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
