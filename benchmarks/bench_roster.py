"""Benchmark the roster integer programme on a 13-hour day.

Instance: the flagship hall open 08:30–21:30 (13 h, 26 slots of 30 min). Its counter groups
B (general business) and Q (quick) keep their daily profile, stretched from 09:00–21:00 onto
the longer day and snapped to the grid; the after-sales desk A gets a profile of its own, so
three groups are rostered. Rules: 4 h, 6 h and 8 h shifts starting on the 30-minute grid, an
unpaid 30–60 min meal break inside 11:00–15:00 for shifts over 6 h, 2 to 18 people on duty, and
limited people per group.

Timing: wall seconds of ``solve_roster`` (requirement, patterns, matrices, HiGHS), best of 3
(``--repeat``), and of the HiGHS call alone. The goal is the solver's default time limit: the
ratio ``best / 10 s`` should stay well below 1.

Exit status: 0 whatever the timing (a benchmark, not a test); 1 if the instance cannot be rostered.

    python benchmarks/bench_roster.py [--json] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

from sim.model.scenario import Scenario, load_scenario
from sim.planning.roster import RosterError, requirement, solve_roster
from sim.planning.roster.rules import RosterRules, rules_from_dict

HERE = Path(__file__).resolve().parent
OPEN_S, CLOSE_S, GRID_S = 8.5 * 3600, 21.5 * 3600, 1800.0
LIMIT_S = 10.0
RULES: dict[str, Any] = {
    "grid": "30m",
    "shift_lengths": ["4h", "6h", "8h"],
    "meal_break": {"over": "6h", "min": "30m", "max": "60m", "window": "11:00-15:00"},
    "on_duty": {"min": 2, "max": 18},
    "available": {"B": 12, "Q": 6, "A": 5},
    "groups": ["B", "Q", "A"],
    "time_limit": f"{LIMIT_S:g}s",
}
A_PROFILE = (
    (OPEN_S, 1.0),
    (10 * 3600, 2.0),
    (15 * 3600, 3.0),
    (19 * 3600, 2.0),
    (20.5 * 3600, 1.0),
)


def _stretch(t_s: float) -> float:
    """09:00–21:00 onto 08:30–21:30, snapped to the grid."""
    t = OPEN_S + (t_s - 9 * 3600) * (CLOSE_S - OPEN_S) / (12 * 3600)
    return round(t / GRID_S) * GRID_S


def instance() -> tuple[Scenario, RosterRules]:
    """The 13-hour flagship day and its rules."""
    base = load_scenario(HERE.parent / "scenarios" / "flagship.yaml")
    counters = []
    for group in base.counters:
        if group.id in ("B", "Q"):
            steps = tuple((_stretch(t) if t > 9 * 3600 else OPEN_S, n) for t, n in group.count)
            group = group.model_copy(update={"count": steps})
        elif group.id == "A":
            group = group.model_copy(update={"count": A_PROFILE, "shift": None, "breaks": ()})
        counters.append(group)
    scn = base.model_copy(update={"open": OPEN_S, "close": CLOSE_S, "counters": tuple(counters)})
    return scn, rules_from_dict(RULES, source="bench rules")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time the roster MILP on a 13-hour day.")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument("--repeat", type=int, default=3, help="solves to time (default 3)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")

    scn, rules = instance()
    req = requirement(scn, rules)
    walls, solves = [], []
    try:
        for _ in range(args.repeat):
            started = time.perf_counter()
            result = solve_roster(scn, rules)
            walls.append(time.perf_counter() - started)
            solves.append(result.solve_s)
    except RosterError as exc:
        sys.stderr.write(f"bench_roster: error: {exc}\n")
        return 1
    best = min(walls)
    summary = {
        "benchmark": "roster-13h",
        "day": "08:30-21:30",
        "slots": len(req.slots),
        "groups": list(req.groups),
        "requirement": {g: list(row) for g, row in zip(req.groups, req.counts, strict=True)},
        "shift_patterns": len({(s.group, s.start_s, s.end_s, s.meal_break) for s in result.shifts}),
        "people": sum(s.people for s in result.shifts),
        "staff_hours": result.staff_hours,
        "lower_bound_hours": result.lower_bound_hours,
        "status": result.status,
        "repeat": args.repeat,
        "seconds": best,
        "runs": walls,
        "milp_seconds": min(solves),
        "limit_seconds": LIMIT_S,
        "ratio_to_limit": best / LIMIT_S,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    if args.json:
        json.dump(summary, sys.stdout)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(
            f"roster MILP, 13-hour day, {len(req.slots)} slots, groups {', '.join(req.groups)}: "
            f"best of {args.repeat} {best:.3f} s (HiGHS {min(solves):.3f} s) against the "
            f"{LIMIT_S:g} s limit: ratio {best / LIMIT_S:.3f}\n"
            f"{summary['people']} people, {result.staff_hours:g} paid staff-hours against a lower "
            f"bound of {result.lower_bound_hours:g} ({result.status})\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
