"""Benchmark staffing: ``hallsim staff`` on the flagship day against its 10 s
limit (issue 22), the flagship week beside it, and the roster integer
programme for a 13-hour day against 10 s.

Plan: the whole command, as a planner runs it, in a fresh process each time
(Python start-up, imports, the process pool, the Erlang plan, the search, the
check on fresh replications, the JSON): ``hallsim staff
scenarios/flagship.yaml --day tue`` (the typical day: 15-minute intervals, 80%
called within 15 min with probability 0.9, group B resized, default options)
and the same without ``--day`` (every distinct day of the week), each timed
``--repeat`` times; the best and the median wall time, as a ratio to the
limit. The roster part runs ``benchmarks/bench_roster.py``'s instance (best of
3).

Exit status 0 whatever the timing (a benchmark, not a test).

    python benchmarks/bench_staffing.py [--json] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from bench_roster import LIMIT_S as ROSTER_LIMIT_S  # noqa: E402
from bench_roster import instance as roster_instance  # noqa: E402

from sim.planning.roster import solve_roster  # noqa: E402

PLAN_LIMIT_S = 10.0
HALLSIM = Path(sys.executable).with_name("hallsim")
CASES = {
    "day": ["staff", "scenarios/flagship.yaml", "--day", "tue", "--json"],
    "week": ["staff", "scenarios/flagship.yaml", "--json"],
}


def timed_plan(argv: list[str], repeat: int) -> dict[str, Any]:
    """Run ``hallsim argv`` ``repeat`` times: wall times and what the plan says."""
    times, cpu, data = [], [], {}
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(
            [str(HALLSIM), *argv], cwd=ROOT, capture_output=True, check=True, text=True
        )
        times.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        # CPU seconds of the command and its worker processes: what the work costs
        # whatever else the machine runs (wall time is that over the cores it gets)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        data = json.loads(done.stdout)
    days = [d for d in data["days"] if not d["closed"]]
    sim = [next(p for p in d["plans"] if p["method"] == "sim") for d in days]
    return {
        "command": "hallsim " + " ".join(argv),
        "seconds_best": round(min(times), 2),
        "seconds_median": round(statistics.median(times), 2),
        "limit_s": PLAN_LIMIT_S,
        "ratio_to_limit": round(min(times) / PLAN_LIMIT_S, 3),
        "cpu_seconds_best": round(min(cpu), 2),
        "distinct_days": len(days),
        "simulated_days": sum(p["replications"] for p in sim),
        "counter_hours": [p["counter_hours"] for p in sim],
        "intervals_meeting": [p["intervals_meeting"]["arrival"] for p in sim],
        "intervals": [p["intervals"] for p in sim],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command")
    args = parser.parse_args(argv)

    plans = {name: timed_plan(case, args.repeat) for name, case in CASES.items()}

    roster_scn, rules = roster_instance()
    roster_times = []
    for _ in range(3):
        t0 = time.perf_counter()
        roster = solve_roster(roster_scn, rules)
        roster_times.append(time.perf_counter() - t0)
    roster_s = min(roster_times)

    r: dict[str, Any] = {
        "slots": len(roster.requirement.slots),
        "seconds": round(roster_s, 3),
        "limit_s": ROSTER_LIMIT_S,
        "ratio_to_limit": round(roster_s / ROSTER_LIMIT_S, 4),
        "staff_hours": roster.staff_hours,
        "lower_bound_hours": roster.lower_bound_hours,
    }
    result = {
        "plan": plans,
        "roster": r,
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_1min": round(os.getloadavg()[0], 2),
        },
    }
    if args.json:
        print(json.dumps(result))
    else:
        for name, p in plans.items():
            print(
                f"staff, flagship {name}: best {p['seconds_best']} s, median "
                f"{p['seconds_median']} s of {args.repeat} runs, {p['ratio_to_limit']:.2f} of the "
                f"{PLAN_LIMIT_S:g} s limit ({p['cpu_seconds_best']} CPU s); "
                f"{p['distinct_days']} distinct day(s), "
                f"{p['simulated_days']} simulated days, counter-hours {p['counter_hours']}, "
                f"intervals meeting {p['intervals_meeting']} of {p['intervals']}"
            )
        print(
            f"roster MILP: {r['seconds']} s for {r['slots']} slots, "
            f"{r['ratio_to_limit']:.3f} of the {ROSTER_LIMIT_S:g} s budget; "
            f"{r['staff_hours']:.1f} paid hours vs lower bound {r['lower_bound_hours']:.1f}"
        )
        print(f"machine: {result['machine']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
