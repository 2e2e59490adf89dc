"""Benchmark rosters against their limits: a flagship week in seconds, a province batch
of 20 halls in minutes, and the one-day integer programme.

Instances:

* ``week``: the flagship hall's week (scenarios/flagship.yaml: Mon–Fri 09:00–21:00, Sat
  10:00–18:00, Sun 10:00–17:00, 15% shrinkage) under scenarios/rules/flagship-roster.yaml
  (full-timers on 7 h or 8 h shifts with a lunch or supper break, 35–40 paid h and 2 days off
  a week; part-timers on 4 h or 5 h shifts, 12–24 h, at most 10 of them), hiring per
  contract. Limit: 10 s.
* ``named``: the same week rostered onto the 30 named staff of
  scenarios/staff/flagship-staff.csv (skills, weekday availability, days off). Limit: 10 s.
* ``batch``: 20 halls made from the flagship, their counters scaled from 0.6 to 1.4 and
  their evening peak moved by up to an hour, each rostered for its week under the bundled
  rules with the caps scaled to the hall (people per group, on duty, part-timers at most
  10 × the scale), on a pool of local processes (``--workers``, default: the CPU count).
  Limit: 300 s.
* ``day``: the one-day programme on the flagship open 08:30–21:30 (26 slots, 3 groups, 4/6/8 h
  shifts). Limit: 10 s (the rules' default time limit).

Timing: wall seconds, best of ``--repeat`` (default 3) for ``week``, ``named`` and ``day``
(with the CPU seconds of this process: the solver runs on one thread, so on a busy machine
they say what an idle one would take); one run of ``batch`` (wall seconds, and the CPU
seconds of its workers: over the number of workers, what an idle machine would take). Each
line prints the wall ratio to its limit (below 1: within it).

Exit status: 0 whatever the timing (a benchmark, not a test); 1 if an instance cannot be
rostered.

    python benchmarks/bench_roster.py [--json] [--repeat N] [--workers W] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from sim.model.errors import InputError
from sim.model.scenario import Scenario, load_scenario
from sim.planning.roster import RosterRules, requirement, rules_from_dict, solve_roster
from sim.planning.roster.batch import HallJob, roster_hall, roster_halls
from sim.planning.roster.staff import read_staff
from sim.planning.roster.week import WeekRoster
from sim.runs.executor import local_executor

ROOT = Path(__file__).resolve().parent.parent
FLAGSHIP = ROOT / "scenarios" / "flagship.yaml"
RULES = ROOT / "scenarios" / "rules" / "flagship-roster.yaml"
STAFF = ROOT / "scenarios" / "staff" / "flagship-staff.csv"
LIMITS_S = {"week": 10.0, "named": 10.0, "batch": 300.0, "day": 10.0}
LIMIT_S = LIMITS_S["day"]  # of :func:`instance`, which bench_staffing.py times too
HALLS = 20


def bundled_rules(**changes: Any) -> RosterRules:
    raw: dict[str, Any] = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return rules_from_dict(raw | changes, source=str(RULES))


def scales(n: int) -> list[float]:
    """The halls' sizes relative to the flagship: 0.6 … 1.4."""
    return [0.6 + 0.8 * i / max(1, n - 1) for i in range(n)]


def hall_rules(scale: float) -> RosterRules:
    """The bundled rules for a hall ``scale`` times the flagship: its caps
    (people per group and on duty, part-timers) scaled with it."""
    raw: dict[str, Any] = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    raw["available"] = {g: round(n * scale) + 1 for g, n in raw["available"].items()}
    raw["on_duty"]["max"] = round(raw["on_duty"]["max"] * scale) + 1
    part = raw["contracts"]["part_time"]
    part["max_people"] = max(1, round(part["max_people"] * scale))
    return rules_from_dict(raw, source=f"{RULES} scaled {scale:.2f}")


def province(n: int) -> list[Scenario]:
    """``n`` halls made from the flagship: counters of B and Q scaled 0.6…1.4, the
    evening peak moved by -1…+1 hour."""
    base = load_scenario(FLAGSHIP)
    halls = []
    for i, scale in enumerate(scales(n)):
        shift_s = 1800.0 * ((i % 5) - 2)
        counters = []
        for group in base.counters:
            if group.id in ("B", "Q"):
                steps = tuple(
                    (t + (shift_s if t >= 17 * 3600 else 0.0), max(1, round(c * scale)))
                    for t, c in group.count
                )
                group = group.model_copy(update={"count": steps})
            counters.append(group)
        halls.append(
            base.model_copy(update={"hall": f"hall-{i + 1:02d}", "counters": tuple(counters)})
        )
    return halls


def instance() -> tuple[Scenario, RosterRules]:
    """The flagship open 08:30–21:30 with three rostered groups (the one-day programme)."""
    open_s, close_s, grid_s = 8.5 * 3600, 21.5 * 3600, 1800.0
    base = load_scenario(FLAGSHIP)

    def stretch(t_s: float) -> float:
        t = open_s + (t_s - 9 * 3600) * (close_s - open_s) / (12 * 3600)
        return round(t / grid_s) * grid_s

    a_profile = ((open_s, 1.0), (10 * 3600, 2.0), (15 * 3600, 3.0), (19 * 3600, 2.0),
                 (20.5 * 3600, 1.0))  # fmt: skip
    counters = []
    for group in base.counters:
        if group.id in ("B", "Q"):
            steps = tuple((stretch(t) if t > 9 * 3600 else open_s, n) for t, n in group.count)
            group = group.model_copy(update={"count": steps})
        elif group.id == "A":
            group = group.model_copy(update={"count": a_profile, "shift": None, "breaks": ()})
        counters.append(group)
    scn = base.model_copy(
        update={"open": open_s, "close": close_s, "counters": tuple(counters), "week": None}
    )
    rules = rules_from_dict(
        {
            "grid": "30m",
            "shift_lengths": ["4h", "6h", "8h"],
            "meal_break": {"over": "6h", "min": "30m", "max": "60m", "window": "11:00-15:00"},
            "on_duty": {"min": 2, "max": 22},
            "available": {"B": 18, "Q": 9, "A": 8},
            "groups": ["B", "Q", "A"],
            "time_limit": "10s",
        },
        source="bench day rules",
    )
    return scn, rules


def best_of(repeat: int, run: Callable[[], Any]) -> tuple[float, float, Any]:
    """Best wall seconds, best CPU seconds of this process (the solver is single
    threaded: on a busy machine the CPU time says what an idle one would take),
    and the result."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        result = run()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus), result


def _children_cpu_s() -> float:
    """CPU seconds of this process's finished child processes (the batch's workers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def week_summary(result: WeekRoster) -> dict[str, Any]:
    return {
        "people": len(result.people),
        "fte": round(result.fte, 2),
        "paid_hours": result.paid_hours,
        "cost": result.cost,
        "covered": not result.short,
        "status": result.status,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time rosters against their limits.")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument("--repeat", type=int, default=3, help="runs to time (default 3)")
    parser.add_argument("--workers", type=int, default=None, help="processes for the batch")
    parser.add_argument("--only", nargs="*", choices=list(LIMITS_S), help="instances to run")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    chosen = args.only or list(LIMITS_S)
    rules = bundled_rules()
    flagship = load_scenario(FLAGSHIP)
    out: dict[str, Any] = {}
    try:
        if "week" in chosen:
            seconds, cpu, result = best_of(
                args.repeat, lambda: roster_hall(HallJob(flagship, rules))
            )
            out["week"] = {"seconds": seconds, "cpu_seconds": cpu, **week_summary(result)}
        if "named" in chosen:
            staff = read_staff(STAFF)
            job = HallJob(flagship, rules, staff)
            seconds, cpu, result = best_of(args.repeat, lambda: roster_hall(job))
            out["named"] = {"seconds": seconds, "cpu_seconds": cpu, **week_summary(result)}
        if "batch" in chosen:
            jobs = [
                HallJob(scn, hall_rules(scale))
                for scn, scale in zip(province(HALLS), scales(HALLS), strict=True)
            ]
            workers = args.workers or os.cpu_count() or 1
            executor = local_executor(workers, len(jobs))
            started, before = time.perf_counter(), _children_cpu_s()
            try:
                results = roster_halls(jobs, executor)
            finally:
                executor.close()  # the workers end, so their CPU time is counted
            seconds, cpu = time.perf_counter() - started, _children_cpu_s() - before
            weeks = [r for r in results if isinstance(r, WeekRoster)]
            out["batch"] = {
                "seconds": seconds,
                "cpu_seconds": cpu,
                "statuses": sorted({r.status.split(",")[0] for r in weeks}),
                "halls": len(weeks),
                "workers": workers,
                "covered": sum(not r.short for r in weeks),
                "slowest_hall_solve_seconds": max(r.solve_s for r in weeks),
                "people": sum(len(r.people) for r in weeks),
            }
        if "day" in chosen:
            scn, day_rules = instance()
            seconds, cpu, result = best_of(args.repeat, lambda: solve_roster(scn, day_rules))
            out["day"] = {
                "seconds": seconds,
                "cpu_seconds": cpu,
                "slots": len(requirement(scn, day_rules).slots),
                "staff_hours": result.staff_hours,
                "lower_bound_hours": result.lower_bound_hours,
                "status": result.status,
            }
    except InputError as exc:
        sys.stderr.write(f"bench_roster: error: {exc}\n")
        return 1
    for name, item in out.items():
        item["limit_seconds"] = LIMITS_S[name]
        item["ratio_to_limit"] = item["seconds"] / LIMITS_S[name]
    summary = {
        "benchmark": "roster",
        "repeat": args.repeat,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        **out,
    }
    if args.json:
        json.dump(summary, sys.stdout)
        sys.stdout.write("\n")
        return 0
    for name, item in out.items():
        extra = ", ".join(
            f"{k} {v}" for k, v in item.items() if k not in ("seconds", "limit_seconds",
                                                             "ratio_to_limit")
        )  # fmt: skip
        sys.stdout.write(
            f"{name:6s} {item['seconds']:8.2f} s against {item['limit_seconds']:g} s: ratio "
            f"{item['ratio_to_limit']:.3f} ({extra})\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
