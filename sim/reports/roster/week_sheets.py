"""The workbook of a week roster (``--xlsx``): Summary (the verdict and the
numbers behind it), Week (a person × day grid, as printed on the notice
board), Shifts (one row per person and working day, times as Excel times,
to filter and sort), Coverage (per day and slot: counters, people to roster,
people at work), and About. Long sheets have filter buttons on their header."""

from __future__ import annotations

from sim.model.units import format_clock
from sim.planning.roster.week import WeekRoster
from sim.reports.roster.week import cell, contract_label, day_label, numbers, verdict
from sim.reports.xlsx import Kind, Sheet, Value, about_sheet, clock_time


def week_sheets(result: WeekRoster, command_line: str) -> list[Sheet]:
    """The sheets of the module docstring."""
    summary = Sheet("Summary", [("figure", "text"), ("value", "text")], note=verdict(result))
    summary.rows = [[label, text] for label, text in numbers(result)]
    contracts = Sheet(
        "Contracts",
        [("contract", "text"), ("people", "int"), ("FTE", "num"), ("paid hours a week", "num"),
         (f"cost a week ({result.workforce.currency})", "num")],
    )  # fmt: skip
    for name, t in result.by_contract().items():
        contracts.rows.append([contract_label(result, name), t.people, t.fte, t.paid_hours, t.cost])
    contracts.rows.append(["total", len(result.people), result.fte, result.paid_hours, result.cost])
    days = [day_label(result, d) for d in range(len(result.days))]
    columns: list[tuple[str, Kind]] = [
        ("id", "text"), ("name", "text"), ("contract", "text"), ("skills", "text"),
        *((label, "text") for label in days), ("paid hours", "num"), ("days worked", "int"),
    ]  # fmt: skip
    week = Sheet("Week", columns)
    shifts = Sheet(
        "Shifts",
        [("id", "text"), ("name", "text"), ("contract", "text"), ("day", "text"), ("date", "text"),
         ("group", "text"), ("start", "time"), ("end", "time"), ("break start", "time"),
         ("break end", "time"), ("paid hours", "num")],
    )  # fmt: skip
    for person_week in result.people:
        person = person_week.person
        texts: list[Value] = []
        for d, shift in enumerate(person_week.shifts):
            texts.append(cell(shift, result.days[d].scenario is None))
            if shift is None:
                continue
            brk: list[Value] = [None, None]
            if shift.meal_break is not None:
                brk = [clock_time(shift.meal_break[0]), clock_time(shift.meal_break[1])]
            day = result.days[d]
            shifts.rows.append(
                [person.id, person.name, person.contract, days[d],
                 "" if day.date is None else day.date.isoformat(), shift.group,
                 clock_time(shift.start_s), clock_time(shift.end_s), *brk, shift.paid_h]
            )  # fmt: skip
        week.rows.append(
            [person.id, person.name, person.contract, ";".join(sorted(person.skills)), *texts,
             person_week.paid_hours, person_week.days_worked]
        )  # fmt: skip
    coverage = Sheet("Coverage", [("day", "text"), ("slot start", "time")])
    for g in result.groups:
        coverage.columns += [(f"{g} counters", "int"), (f"{g} people to roster", "int"),
                             (f"{g} at work", "int")]  # fmt: skip
    for d, req in enumerate(result.requirements):
        if req is None:
            continue
        at_work = result.at_work(d)
        for k, (start, _) in enumerate(req.slots):
            row: list[Value] = [days[d], clock_time(start)]
            for counters, people, have in zip(req.counts, req.people, at_work, strict=True):
                row += [counters[k], people[k], have[k]]
            coverage.rows.append(row)
    about = about_sheet(
        [
            ("Hall", result.hall),
            ("Name", result.hall_name or ""),
            ("Reproduce with", command_line),
            ("Seed", "– (no randomness)"),
            ("Units", f"hours; times of day; costs in {result.workforce.currency}"),
            ("Week", "repeats every week" if result.cyclic else "dated"),
            ("Opening", "; ".join(
                f"{days[d]} {format_clock(day.scenario.open)}–{format_clock(day.scenario.close)}"
                if day.scenario is not None else f"{days[d]} closed"
                for d, day in enumerate(result.days)
            )),
            ("Solver status", result.status),
        ]
    )  # fmt: skip
    return [summary, contracts, week, shifts, coverage, about]
