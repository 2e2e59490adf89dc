"""How good the ticket ETA is, against the guess a ticket display makes, and
what it costs against the nowcast of the same state, in the same run.

Accuracy: simulated days of the bundled scenarios are replayed
(:func:`sim.live.etascore.score_days`: replication ``d`` of seed 1001 for day
``d``); every hour from 10:00 to 20:00 each waiting ticket is given its ETA
(the median call time over ``--replications`` runs from the day's state) and
the baseline's (tickets ahead × mean service time ÷ counters open), and both
are compared with when the ticket really was called. Prints, per case, the
tickets and moments scored, both mean absolute errors, their ratio and the 95%
interval (bootstrap over moments) of the paired difference. Cases: the
flagship on a Wednesday, flagship-remote on a Wednesday, and the flagship on
its busiest day (2027-01-04, level 1.35).

Cost: CPU seconds of one hall's ETA simulation (every waiting ticket at once)
and of the exporter's nowcast (30 replications, four horizons) from the same
states, summed over the moments, and their ratio.

    python benchmarks/bench_eta.py [--days 10] [--replications 40] [--json]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from datetime import date
from pathlib import Path

from sim.live.eta import call_times
from sim.live.etascore import score_days
from sim.live.nowcast import nowcast, state_at
from sim.model.days import day_scenario
from sim.model.hall import simulate
from sim.model.scenario import Scenario, load_scenario

SCENARIOS = Path(__file__).parents[1] / "scenarios"
CASES = [
    ("flagship", "flagship.yaml", date(2027, 1, 6)),
    ("flagship-remote", "flagship-remote.yaml", date(2027, 1, 6)),
    ("busy day", "flagship.yaml", date(2027, 1, 4)),
]
MOMENTS_S = [h * 3600.0 for h in range(10, 21)]


def _scenario(name: str, day: date) -> Scenario:
    scn = day_scenario(load_scenario(SCENARIOS / name), day)
    assert scn is not None
    return scn


def accuracy(days: int, replications: int) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for label, name, day in CASES:
        errors = score_days(_scenario(name, day), range(days), MOMENTS_S, replications=replications)
        eta_mae, base_mae = errors.mae_s()
        gain, lo, hi = errors.gain_ci_s()
        rows.append({
            "case": label, "day": day.isoformat(), "tickets": errors.tickets,
            "moments": errors.moments, "eta_mae_s": round(eta_mae, 1),
            "baseline_mae_s": round(base_mae, 1), "ratio": round(eta_mae / base_mae, 3),
            "gain_s": round(gain, 1), "gain_ci95_s": [round(lo, 1), round(hi, 1)],
        })  # fmt: skip
    return rows


def cost(replications: int) -> dict[str, object]:
    scn = _scenario("flagship.yaml", date(2027, 1, 4))
    records = simulate(scn, 1001, 0)
    starts = [state_at(records, t) for t in MOMENTS_S]
    nowcast(scn, starts[0], replications=2)  # imports and warm caches
    eta_s = nowcast_s = 0.0
    for start in starts:
        began = time.process_time()
        call_times(scn, start, replications=replications)
        eta_s += time.process_time() - began
        began = time.process_time()
        nowcast(scn, start, horizons_s=(0.0, 900.0, 1800.0, 3600.0), replications=30)
        nowcast_s += time.process_time() - began
    return {
        "states": len(starts),
        "waiting_tickets": sum(len(s.waiting) for s in starts),
        "eta_cpu_s": round(eta_s, 3),
        "nowcast_cpu_s": round(nowcast_s, 3),
        "eta_over_nowcast": round(eta_s / nowcast_s, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--replications", type=int, default=40)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = accuracy(args.days, args.replications)
    spent = cost(args.replications)
    machine = f"{platform.processor() or platform.machine()}, Python {platform.python_version()}"
    if args.json:
        result = {"machine": machine, "replications": args.replications, "days": args.days,
                  "accuracy": rows, "cost": spent}  # fmt: skip
        print(json.dumps(result, indent=2))
        return
    print(f"ETA vs position x mean service / open counters: {args.days} days, "
          f"{args.replications} replications ({machine})")  # fmt: skip
    print(f"{'case':<16}{'tickets':>8}{'moments':>8}{'ETA MAE':>10}{'baseline':>10}"
          f"{'ratio':>7}  paired gain, 95% CI")  # fmt: skip
    for row in rows:
        print(f"{row['case']!s:<16}{row['tickets']!s:>8}{row['moments']!s:>8}"
              f"{row['eta_mae_s']!s:>9}s{row['baseline_mae_s']!s:>9}s{row['ratio']!s:>7}"
              f"  {row['gain_s']} s {row['gain_ci95_s']}")  # fmt: skip
    print(f"cost over {spent['states']} states of the busy day ({spent['waiting_tickets']} "
          f"waiting tickets): ETA {spent['eta_cpu_s']} s CPU, nowcast {spent['nowcast_cpu_s']} s "
          f"CPU, ratio {spent['eta_over_nowcast']}")  # fmt: skip


if __name__ == "__main__":
    main()
