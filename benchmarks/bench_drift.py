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

    python benchmarks/bench_drift.py [--days 200] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.live.drift import drift_reference, observations_at, score_paths  # noqa: E402
from sim.model.calendar import step_value  # noqa: E402
from sim.model.days import day_scenario  # noqa: E402
from sim.model.hall import simulate  # noqa: E402
from sim.model.scenario import Scenario, load_scenario  # noqa: E402

NOON_S = 12 * 3600.0
SIZES = (0.25, 0.5, 1.0)


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
                           date(2026, 3, 3))  # fmt: skip
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
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = [measure(size, args.days) for size in SIZES]
    if args.json:
        print(json.dumps(rows))
        return
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
