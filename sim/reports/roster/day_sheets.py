"""The workbook of a one-day roster (``--day … --xlsx``): Shifts (one row per
shift pattern: times as Excel times, people, paid hours), Coverage (per slot
and group: counters required, people to roster, people at work), About."""

from __future__ import annotations

from sim.planning.roster import Roster, shift_ids
from sim.reports.xlsx import Sheet, Value, about_sheet, clock_time


def day_sheets(result: Roster, hall: str, hall_name: str | None, command_line: str) -> list[Sheet]:
    """The sheets of the module docstring."""
    shifts = Sheet(
        "Shifts",
        [("shift", "text"), ("group", "text"), ("start", "time"), ("end", "time"),
         ("break start", "time"), ("break end", "time"), ("people", "int"),
         ("paid hours per person", "num"), ("paid hours", "num")],
    )  # fmt: skip
    for name, s in zip(shift_ids(result.shifts), result.shifts, strict=True):
        brk: list[Value] = [None, None]
        if s.meal_break is not None:
            brk = [clock_time(s.meal_break[0]), clock_time(s.meal_break[1])]
        shifts.rows.append(
            [name, s.group, clock_time(s.start_s), clock_time(s.end_s), *brk, s.people,
             s.paid_hours, s.people * s.paid_hours]
        )  # fmt: skip
    req = result.requirement
    coverage = Sheet("Coverage", [("slot start", "time")])
    for g in req.groups:
        coverage.columns += [(f"{g} counters", "int"), (f"{g} people", "int"),
                             (f"{g} at work", "int")]  # fmt: skip
    have = result.coverage()
    for k, (start, _) in enumerate(req.slots):
        row: list[Value] = [clock_time(start)]
        for counters, people, at_work in zip(req.counts, req.people, have, strict=True):
            row += [counters[k], people[k], at_work[k]]
        coverage.rows.append(row)
    about = about_sheet(
        [
            ("Hall", hall),
            ("Name", hall_name or ""),
            ("Reproduce with", command_line),
            ("Seed", "– (no randomness)"),
            ("Units", "hours; times of day"),
            ("Paid staff-hours", result.staff_hours),
            ("Lower bound (people required per slot, summed), hours", result.lower_bound_hours),
            ("Shrinkage", f"{req.shrinkage:.0%}: people = ⌈counters / (1 − shrinkage)⌉"),
            ("Solver status", result.status),
        ]
    )
    return [shifts, coverage, about]
