"""Benchmark staffing: the simulation-based plan of the flagship day against its
60 s budget, and the roster integer programme for a 13-hour day against 10 s.

Plan: ``sim.planning.staffing.sim_plan`` on scenarios/flagship.yaml (15-minute intervals,
80% called within 15 min, group B resized, 20 replications per evaluated plan,
seed 1) on a process pool of all CPUs, starting from the Erlang plan, timed
once end to end (Erlang plan, iterations, lowering, final evaluation of both
plans), with the iterations and plan evaluations it needed. The roster part
runs ``benchmarks/bench_roster.py``'s instance (best of 3).

Exit status 0 whatever the timing (a benchmark, not a test).

    python benchmarks/bench_staffing.py [--json] [--replications 20]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_roster import LIMIT_S as ROSTER_LIMIT_S  # noqa: E402
from bench_roster import instance as roster_instance  # noqa: E402

from sim.model.scenario import load_scenario  # noqa: E402
from sim.planning.roster import solve_roster  # noqa: E402
from sim.planning.staffing import erlang_plan, evaluate_plans, meets, sim_plan  # noqa: E402
from sim.runs.executor import local_executor  # noqa: E402

PLAN_LIMIT_S = 60.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument("--replications", type=int, default=20)
    args = parser.parse_args(argv)

    scn = load_scenario(HERE.parent / "scenarios" / "flagship.yaml")
    executor = local_executor(None, 1_000)
    try:
        started = time.perf_counter()
        erlang = erlang_plan(scn)
        plan = sim_plan(scn, args.replications, 1, executor, erlang)
        evaluations = evaluate_plans(scn, [erlang, plan], args.replications, 1, executor)
        plan_s = time.perf_counter() - started
    finally:
        executor.close()
    target = scn.target.service_level
    missing = {
        p.method: sum(not ok for ok in meets(ev, target))
        for p, ev in zip((erlang, plan), evaluations, strict=True)
    }

    roster_scn, rules = roster_instance()
    roster_times = []
    for _ in range(3):
        t0 = time.perf_counter()
        roster = solve_roster(roster_scn, rules)
        roster_times.append(time.perf_counter() - t0)
    roster_s = min(roster_times)

    result = {
        "plan": {
            "scenario": "flagship",
            "intervals": len(plan.counts[0]),
            "replications_per_plan": args.replications,
            "iterations": plan.iterations,
            "plans_evaluated": plan.evaluations + 2,
            "seconds": round(plan_s, 2),
            "limit_s": PLAN_LIMIT_S,
            "ratio_to_limit": round(plan_s / PLAN_LIMIT_S, 3),
            "staff_hours": {"erlang": erlang.staff_hours(scn), "sim": plan.staff_hours(scn)},
            "intervals_missing_target": missing,
        },
        "roster": {
            "slots": len(roster.requirement.slots),
            "seconds": round(roster_s, 3),
            "limit_s": ROSTER_LIMIT_S,
            "ratio_to_limit": round(roster_s / ROSTER_LIMIT_S, 4),
            "staff_hours": roster.staff_hours,
            "lower_bound_hours": roster.lower_bound_hours,
        },
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
    }
    if args.json:
        print(json.dumps(result))
    else:
        p, r = result["plan"], result["roster"]
        print(
            f"flagship plan: {p['seconds']} s for {p['plans_evaluated']} plans of "
            f"{args.replications} replications ({p['iterations']} raising iterations), "
            f"{p['ratio_to_limit']:.2f} of the {PLAN_LIMIT_S:g} s budget; counter-hours "
            f"erlang {p['staff_hours']['erlang']:.2f} (missing {missing['erlang']} intervals) vs "
            f"sim {p['staff_hours']['sim']:.2f} (missing {missing['sim']})"
        )
        print(
            f"roster MILP: {r['seconds']} s for {r['slots']} slots, "
            f"{r['ratio_to_limit']:.3f} of the {ROSTER_LIMIT_S:g} s budget; "
            f"{r['staff_hours']:.1f} paid hours vs lower bound {r['lower_bound_hours']:.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
