"""Benchmark ``hallsim fit``'s estimation on a large event log.

Generates about 1,000,000 events of the flagship hall (``no_show`` give-ups, as a
real hall logs them; consecutive days from 2026-01-01, seed 1) into a temporary
JSON Lines file, then times in the same process:

    json_loads   ``json.loads`` of every line (the floor any reader pays)
    read         :func:`sim.eventlog.events.read_events` + :func:`sim.calibration.fit.collect`
                 (validation, consistency checks, per-ticket gathering)
    fit          :func:`sim.calibration.fit.fit_log` + :func:`sim.calibration.fit.fitted_scenario`

and prints JSON with events/s and the total read+fit seconds (goal < 20 s).

    python benchmarks/bench_fit.py [--events N] [--keep FILE.jsonl]
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from sim.calibration.fit import collect, fit_log
from sim.calibration.fitted import fitted_scenario
from sim.eventlog.convert import day_events, simulate_days
from sim.eventlog.events import Event, read_events, write_jsonl
from sim.model.scenario import load_scenario

FLAGSHIP = Path(__file__).parents[1] / "scenarios" / "flagship.yaml"
GOAL_TOTAL_S = 20.0


def generate(path: Path, n_events: int) -> int:
    """Write at least ``n_events`` events of whole flagship days to ``path``."""
    scn = load_scenario(FLAGSHIP)
    written = 0

    def events() -> Iterator[Event]:
        nonlocal written
        for day, records in simulate_days(scn, 10_000, date(2026, 1, 1), seed=1):
            log = day_events(records, scn, day, "no_show")
            written += len(log)
            yield from log
            if written >= n_events:
                return

    write_jsonl(events(), path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, default=None, help="Keep the log at this path.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "events.jsonl"
        t0 = time.perf_counter()
        n = generate(path, args.events)
        generate_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        with path.open("rb") as fh:
            for line in fh:
                json.loads(line)
        json_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        with read_events(path) as stream:
            log = collect(stream, source=str(path), line_of=lambda: stream.stats.lines)
        read_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        result = fit_log(log)
        fitted_scenario(result, hall="flagship")
        fit_s = time.perf_counter() - t0
    total = read_s + fit_s
    print(
        json.dumps(
            {
                "events": n,
                "days": result.days,
                "tickets": result.tickets,
                "generate_s": round(generate_s, 2),
                "json_loads_s": round(json_s, 2),
                "json_loads_events_per_s": round(n / json_s),
                "read_s": round(read_s, 2),
                "read_events_per_s": round(n / read_s),
                "read_over_json_loads": round(read_s / json_s, 2),
                "fit_s": round(fit_s, 2),
                "total_fit_s": round(total, 2),
                "goal_total_fit_s": GOAL_TOTAL_S,
                "goal_met": total < GOAL_TOTAL_S,
                "python": platform.python_version(),
            }
        )
    )


if __name__ == "__main__":
    main()
