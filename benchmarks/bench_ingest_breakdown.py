"""Where the server's CPU an ingested event goes: the HTTP ingest of
``bench_ingest.py`` (``--events`` flagship events in batches of 500, ``--clients``
keep-alive clients, a real ``hallmon serve``) run three ways in each round,
alternated, beside raw SQLite ``executemany`` of the same rows:

    answer  the batches acknowledged at once, bodies neither read nor stored
            (``ingest_variant.py``): HTTP, routing, the token, the thread hand-off
    read    bodies read and checked (the whole contract), nothing stored
    full    the real server: stored (WAL, ``synchronous=FULL``), decided, applied

Reported, the median of ``--rounds`` rounds: events a second and the server's
CPU microseconds an event for each; round by round, then the median, each
one's CPU over the one before it (what reading adds to answering, what
storing, deciding and applying add to reading) and ``full`` against raw
SQLite (issue 22's goal: half of raw's rate); and what half of raw would ask
of the server's CPU an event (twice raw's microseconds a row).

Exit status 0 whatever it finds.

    python benchmarks/bench_ingest_breakdown.py [--events 100000] [--rounds 3] [--clients 2]
        [--json]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import ingest_sections as sections  # noqa: E402
from output import print_result  # noqa: E402

VARIANT = ROOT / "benchmarks" / "ingest_variant.py"
WAYS = {
    "answer": (sys.executable, str(VARIANT), "answer"),
    "read": (sys.executable, str(VARIANT), "read"),
    "full": (sys.executable, "-m", "monitor"),
}


def measure(n_events: int, rounds: int, clients: int) -> dict[str, Any]:
    """The three ways and raw SQLite on the same ``n_events``, ``rounds`` times
    (see the module docstring)."""
    hall, bodies, rows = sections.ingest_data(n_events)
    runs: dict[str, list[tuple[float, float]]] = {way: [] for way in ("raw", *WAYS)}
    with tempfile.TemporaryDirectory(prefix="bench-breakdown-") as scratch:
        directory = Path(scratch)
        for k in range(rounds):
            runs["raw"].append(sections.measure_raw_sqlite(rows, directory / f"raw{k}"))
            for way, command in WAYS.items():
                runs[way].append(
                    sections.measure_http_ingest(
                        hall, bodies, directory / f"{way}{k}", clients, command
                    )
                )
    rate = {way: statistics.median(r for r, _ in found) for way, found in runs.items()}
    cpu = {way: statistics.median(c for _, c in found) for way, found in runs.items()}

    def each_round(figure: Callable[[int], float]) -> float:  # the median of a round's figure
        return statistics.median(figure(k) for k in range(rounds))

    def cpu_of(way: str, k: int) -> float:
        return runs[way][k][1]

    return {
        "events": n_events,
        "rounds": rounds,
        "clients": clients,
        "per_s": rate,
        "cpu_us": cpu,
        "runs": runs,
        # each way's CPU over the one before it, and full against raw, round by round (a
        # neighbour's load hurts a round's figures alike)
        "added_us": {
            "answer": cpu["answer"],
            "read": each_round(lambda k: cpu_of("read", k) - cpu_of("answer", k)),
            "store_decide_apply": each_round(lambda k: cpu_of("full", k) - cpu_of("read", k)),
        },
        "rate_ratio": each_round(lambda k: runs["full"][k][0] / runs["raw"][k][0]),
        "cpu_ratio": each_round(lambda k: cpu_of("raw", k) / cpu_of("full", k)),
        "goal_cpu_us": 2 * cpu["raw"],  # half of raw's rate, were CPU all that limits both
    }


def report(r: dict[str, Any]) -> None:
    print(f"{r['events']:,} events, {r['clients']} clients, median of {r['rounds']} rounds")
    print(f"  raw SQLite   {r['per_s']['raw']:9,.0f} rows/s    {r['cpu_us']['raw']:5.2f} µs a row")
    for way in WAYS:
        print(f"  {way:<12} {r['per_s'][way]:9,.0f} events/s  {r['cpu_us'][way]:5.2f} µs an event")
    added = r["added_us"]
    print(f"  answering {added['answer']:.2f} µs an event, reading +{added['read']:.2f}, "
          f"storing, deciding and applying +{added['store_decide_apply']:.2f}")  # fmt: skip
    print(f"  full against raw: {r['rate_ratio']:.0%} of the rate, {r['cpu_ratio']:.0%} of the "
          f"CPU; half of raw asks {r['goal_cpu_us']:.2f} µs an event in all")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    print_result(measure(args.events, args.rounds, args.clients), args.json, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
