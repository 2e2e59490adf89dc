"""How often ``HallNoEvents`` would page a hall manager whose ticket system is
healthy, and how soon it notices one that stopped, with a fixed silence of 10
minutes against a silence measured by the hall's own forecast traffic
(``monitor/core/silence.py``, the rule's limit).

A quiet hall is silent for long spells: a county hall of about a hundred
tickets a day goes 10 minutes without an event several times a day, and each
spell pages its manager. For each bundled hall, ``--days`` simulated days
(``simulate(scn, seed, day)``, logged as a real ticket system logs them) are
scanned every ``--step`` seconds of the opening hours, as Prometheus evaluates
the rule: a page starts whenever the silence since the last event passes the
limit (one page per spell). The forecast is the exporter's own day forecast
(``forecast_day``, the same seed and replications as the exporter's default),
whose tickets per hour at that moment set the forecast-aware limit. Then the
delay to notice a ticket system that stops at a random moment of the open
hours (each day's own, drawn with a fixed seed): from its last event to the
first evaluation past the limit.

    python benchmarks/bench_no_events.py [--days 60] [--json]

Exit status: 0 (a measurement, not a test).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.core.silence import FLOOR_S, silence_limit_s
from sim.eventlog.convert import day_events
from sim.live.forecast import forecast_day
from sim.model.hall import simulate
from sim.model.scenario import Scenario, load_scenario

ROOT = Path(__file__).resolve().parents[1]
HALLS = ("county", "flagship", "flagship-remote")
FIRST_DAY = date(2026, 1, 5)


Limits = Callable[[float], float]  # the limit on a silence at a time of day


def _scan(times: list[float], start: float, end: float, step: float, limits: Limits) -> int:
    """Pages started while evaluating every ``step`` s from ``start`` to
    ``end`` (``limits(t)``: the limit then), with events at sorted ``times``."""
    pages, last, k, paging = 0, None, 0, False
    t = start
    while t < end:
        while k < len(times) and times[k] <= t:
            last, k = times[k], k + 1
            paging = False
        silent = t - (start if last is None else max(last, start))
        if silent > limits(t) and not paging:
            pages, paging = pages + 1, True
        t += step
    return pages


def measure(name: str, days: int, step: float, seed: int = 7) -> dict[str, float | str]:
    scn: Scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    forecast = forecast_day(scn, replications=20, seed=1)

    def per_hour(t: float) -> float | None:
        cells = forecast.at(t)
        return sum(p.arrivals_per_hour for p in cells.values()) if cells else None

    def fixed_limit(t: float) -> float:
        return float(FLOOR_S)

    def forecast_limit(t: float) -> float:
        return silence_limit_s(per_hour(t))

    rng = random.Random(seed)
    pages: dict[str, list[int]] = {"fixed": [], "forecast": []}
    delays: dict[str, list[float]] = {"fixed": [], "forecast": []}
    events: list[int] = []
    rules: dict[str, Limits] = {"fixed": fixed_limit, "forecast": forecast_limit}
    for d in range(days):
        day = FIRST_DAY + timedelta(days=d)
        logged = day_events(simulate(scn, seed=seed, replication=d), scn, day, "no_show")
        midnight = min(e.ts for e in logged).replace(hour=0, minute=0, second=0, microsecond=0)
        times = sorted((e.ts - midnight).total_seconds() for e in logged)
        events.append(len(times))
        # the ticket system stops at a random moment: the events before it, then none
        stop = rng.uniform(scn.open, scn.close - 3600)
        before = [t for t in times if t <= stop] or [scn.open]
        for rule, limits in rules.items():
            pages[rule].append(_scan(times, scn.open, scn.close, step, limits))
            t = stop
            while t - before[-1] <= limits(t) and t < scn.close:
                t += step
            delays[rule].append((t - before[-1]) / 60)
    fixed_delay, aware_delay = delays["fixed"], delays["forecast"]
    fixed, aware = pages["fixed"], pages["forecast"]
    return {
        "hall": name,
        "days": days,
        "events_per_day": statistics.mean(events),
        "pages_per_day_fixed": statistics.mean(fixed),
        "pages_per_day_forecast": statistics.mean(aware),
        "stopped_noticed_after_min_fixed": statistics.median(fixed_delay),
        "stopped_noticed_after_min_forecast": statistics.median(aware_delay),
        "stopped_noticed_after_min_forecast_p90": sorted(aware_delay)[int(0.9 * days)],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=60, help="simulated days per hall")
    parser.add_argument("--step", type=float, default=60.0, help="evaluation interval, s")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = parser.parse_args(argv)
    rows = [measure(name, args.days, args.step) for name in HALLS]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"HallNoEvents on healthy simulated days ({args.days} a hall), fixed 10 min "
          "against the forecast's traffic:")  # fmt: skip
    for r in rows:
        print(
            f"  {r['hall']:<16} {r['events_per_day']:7.0f} events/day   pages/day "
            f"{r['pages_per_day_fixed']:5.2f} -> {r['pages_per_day_forecast']:5.2f}   "
            f"a stopped system noticed after (median) {r['stopped_noticed_after_min_fixed']:4.1f}"
            f" -> {r['stopped_noticed_after_min_forecast']:4.1f} min "
            f"(p90 {r['stopped_noticed_after_min_forecast_p90']:.0f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
