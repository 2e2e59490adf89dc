"""How fast the drift test sees a change, by the size of the hall, and how
often it cries wolf: the figures of the README's drift table.

For a hall of each size (the recovery test's city hall, its Tuesday, with its
arrival rates scaled: 0.25×, 0.5×, 1×; about 900, 1,800 and 3,700 tickets a
day, 150, 300 and 600 an hour at the lunch peak) it simulates ``--days`` days
of the model itself and counts those on which a drift of the arrivals was
raised (the test's false alarms; the configured rate is 1% of days for the
three tests together, 1/3% for the arrivals), and ``--days`` days whose demand
is 30% higher from noon, with the delay from noon to the drift (read on the
5-minute grid the test looks at). Figures only; exit status 0.

First, what a day's reference costs (:func:`drift_reference`, the bundled
flagship and county halls' Tuesday, α = 1%: the thresholds calibrated on
4,000 simulated days), in CPU seconds against the way it was calibrated
before (the whole statistic path of every day, then its largest value: the
peer), the two alternated in ``--pairs`` pairs in the same run and checked to
give the same reference; the medians and their ratio.

    python benchmarks/bench_drift.py [--days 200] [--pairs 9] [--reference-only] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.live import drift  # noqa: E402
from sim.live.changes import arrivals_statistic  # noqa: E402
from sim.live.drift import drift_reference, observations_at, score_paths  # noqa: E402
from sim.model.calendar import step_value  # noqa: E402
from sim.model.days import day_scenario  # noqa: E402
from sim.model.hall import simulate  # noqa: E402
from sim.model.scenario import Scenario, load_scenario  # noqa: E402

NOON_S = 12 * 3600.0
SIZES = (0.25, 0.5, 1.0)
TUESDAY = date(2026, 3, 3)


def _whole_path_largest(
    counts: np.ndarray, expected: np.ndarray, k: float, change_every: int
) -> np.ndarray:
    """The peer: each day's largest statistic as the calibration took it
    before, off the whole path (every end, with the change time giving it)."""
    stat, _ = arrivals_statistic(counts, expected, k, change_every)
    return np.asarray(stat.max(axis=1))


def reference_cost(name: str, pairs: int) -> dict[str, Any]:
    scn = day_scenario(load_scenario(ROOT / "scenarios" / f"{name}.yaml"), TUESDAY)
    assert scn is not None
    now_s, before_s = [], []
    for _ in range(pairs):
        began = time.process_time()
        ref = drift_reference(scn, 0.01)
        now_s.append(time.process_time() - began)
        with mock.patch.object(drift, "largest_arrivals_statistic", _whole_path_largest):
            began = time.process_time()
            peer = drift_reference(scn, 0.01)
            before_s.append(time.process_time() - began)
        if ref != peer:
            raise SystemExit(f"{name}: the reference differs from the peer's")
    now, before = float(np.median(now_s)), float(np.median(before_s))
    return {
        "scenario": name,
        "bins": len(ref.expected),
        "cpu_s": round(now, 4),
        "before_cpu_s": round(before, 4),
        "ratio": round(before / now, 2),
        "pairs": pairs,
        "load_average": round(os.getloadavg()[0], 2),
    }


def _scaled(scn: Scenario, factor: float, from_noon: float = 1.0) -> Scenario:
    times = sorted({t for t, _ in scn.arrivals.rate_per_hour} | {NOON_S})
    rates = tuple(
        (t, step_value(scn.arrivals.rate_per_hour, t) * factor * (from_noon if t >= NOON_S else 1))
        for t in times
    )
    counters = tuple(
        g.model_copy(update={"count": tuple((t, max(1.0, round(n * factor))) for t, n in g.count)})
        for g in scn.counters
    )
    return scn.model_copy(
        update={"arrivals": scn.arrivals.model_copy(update={"rate_per_hour": rates}),
                "counters": counters}
    )  # fmt: skip


def measure(size: float, days: int) -> dict[str, Any]:
    tuesday = day_scenario(load_scenario(ROOT / "tests/monitor/background/halls/city.yaml"),
                           TUESDAY)  # fmt: skip
    assert tuesday is not None
    model = _scaled(tuesday, size)
    ref = drift_reference(model, 0.01)
    false_alarms = 0
    tickets = []
    for d in range(days):
        records = simulate(model, 101, d)
        tickets.append(int((~records.kiosk).sum()))
        path = score_paths(ref, observations_at(records, 86400.0))["arrivals"]
        false_alarms += bool((path >= 1.0).any())
    surge = _scaled(tuesday, size, from_noon=1.3)
    delays: list[float] = []
    missed = early = 0
    for d in range(days):
        path = score_paths(ref, observations_at(simulate(surge, 202, d), 86400.0))["arrivals"]
        hits = np.flatnonzero(path >= 1.0)
        if not len(hits):
            missed += 1
            continue
        at = ref.edges_s[1 + int(hits[0])]
        if at <= NOON_S:
            early += 1
        else:
            delays.append((at - NOON_S) / 60)
    return {
        "size": size,
        "tickets_per_day": round(float(np.mean(tickets))),
        "false_alarm_days": false_alarms,
        "days": days,
        "surge_missed": missed,
        "surge_before_noon": early,
        "delay_median_min": float(np.median(delays)) if delays else None,
        "delay_p90_min": float(np.quantile(delays, 0.9)) if delays else None,
        "within_hour": round(sum(x <= 60 for x in delays) / days, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=200)
    parser.add_argument("--pairs", type=int, default=9)
    parser.add_argument("--reference-only", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    costs = [reference_cost(name, args.pairs) for name in ("flagship", "county")]
    rows = [] if args.reference_only else [measure(size, args.days) for size in SIZES]
    if args.json:
        print(json.dumps({"reference": costs, "detection": rows}))
        return
    for c in costs:
        print(
            f"{c['scenario']} reference ({c['bins']} bins): {c['cpu_s']:.3f} CPU-s, "
            f"before {c['before_cpu_s']:.3f} CPU-s: x{c['ratio']:.2f} "
            f"(medians of {c['pairs']} pairs, load average {c['load_average']})"
        )
    for r in rows:
        print(
            f"{r['tickets_per_day']:>5} tickets/day: false alarms "
            f"{r['false_alarm_days']}/{r['days']} days; +30% from noon: median "
            f"{r['delay_median_min']} min, 90% within {r['delay_p90_min']} min, "
            f"{r['within_hour']:.0%} within an hour, "
            f"missed {r['surge_missed']}, before noon {r['surge_before_noon']}"
        )


if __name__ == "__main__":
    main()
