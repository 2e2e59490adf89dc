"""``DIR/roster.html`` of a week roster: the verdict and the numbers behind it
first, then the totals per contract, everyone's week (breaks in grey), the
week chart, the coverage per day, and any slot short of people."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sim.model.units import format_clock
from sim.planning.roster.week import WeekRoster
from sim.reports.page import Cell, CellLike, Page
from sim.reports.roster.week import (
    cell,
    contract_label,
    day_label,
    hours,
    money,
    numbers,
    short_lines,
    verdict,
)
from sim.reports.roster.week_figures import coverage_chart, week_chart
from sim.reports.style import plot_style


def write_week_report(
    result: WeekRoster,
    rules: str,
    staff: str | None,
    out_dir: Path,
    command_line: str,
    groups: Sequence[str] = (),
) -> Path:
    """Write ``out_dir/roster.html`` for ``result``; ``rules`` and ``staff`` name
    the files it was made from. Returns the page's path."""
    facts = numbers(result)
    facts += [
        ("Rules", rules),
        ("Staff", staff or "hired by the roster, per contract"),
        ("Week", "repeats every week" if result.cyclic else _dates(result)),
        ("Solver", f"{result.status}, {result.solve_s:.2f} s"),
    ]
    page = Page("roster", "week roster", result.hall, result.hall_name, command_line, None, facts)
    page.verdict(verdict(result), good=not result.short)
    currency = result.workforce.currency
    page.section("Totals per contract")
    rows: list[list[CellLike]] = [
        [contract_label(result, name), str(t.people), f"{t.fte:.2f}", f"{t.paid_hours:g}",
         money(t.cost, currency)]
        for name, t in result.by_contract().items()
    ]  # fmt: skip
    rows.append(
        [Cell("total", cls="total left"), Cell(str(len(result.people)), cls="total"),
         Cell(f"{result.fte:.2f}", cls="total"), Cell(f"{result.paid_hours:g}", cls="total"),
         Cell(money(result.cost, currency), cls="total")]
    )  # fmt: skip
    page.table("contracts", ["contract", "people", "FTE", "paid h a week", "cost a week"], rows)
    if result.short:
        page.section("Slots short of people")
        page.table("short", ["where"], [[Cell(line, cls="miss")] for line in short_lines(result)])
    page.section(
        "Everyone's week",
        "Group and shift each day, the meal break in grey (09–17: from 09:00 to 17:00; "
        "12:30–13: a break from 12:30 to 13:00).",
    )
    page.table(
        "week",
        ["person", *(day_label(result, d) for d in range(len(result.days))), "paid h"],
        [_person_row(result, i) for i in range(len(result.people))],
        caption="person: id and name, then in grey the contract and the counter groups "
        "they can work",
    )
    with plot_style() as font:
        cjk = font is not None
        page.figure(
            "week-chart",
            week_chart(result, cjk, groups),
            "One row per person, one column per day: each shift in its group's colour, "
            "the meal break as a gap.",
        )
        page.figure(
            "coverage-chart",
            coverage_chart(result, cjk, groups),
            "Per day and group: the people to roster per slot (shaded: the counters "
            "required grossed up for shrinkage) and the people at work (line); red: short.",
        )
    _coverage_tables(page, result)
    return page.write(out_dir)


def _dates(result: WeekRoster) -> str:
    first, last = result.days[0].date, result.days[-1].date
    return f"{first} to {last}" if first and last else ""


def _person_row(result: WeekRoster, i: int) -> list[CellLike]:
    week = result.people[i]
    person = week.person
    about = result.labels.get(person.contract, person.contract)
    if result.named:  # hired people work every group
        about += " " + ";".join(sorted(person.skills))
    row: list[CellLike] = [Cell(f"{person.id} {person.name}".strip(), about, "left")]
    for d, shift in enumerate(week.shifts):
        brk = "" if shift is None or shift.meal_break is None else hours(*shift.meal_break)
        row.append(Cell(cell(shift, result.days[d].scenario is None), brk))
    return [*row, f"{week.paid_hours:g}"]


def _coverage_tables(page: Page, result: WeekRoster) -> None:
    page.section(
        "Coverage per slot",
        "Per day: the counters each group must staff, the people rostered for them "
        "(grossed up for shrinkage) and the people at work; red where short.",
    )
    for d, req in enumerate(result.requirements):
        if req is None:
            continue
        header = ["slot"]
        for g in req.groups:
            header += [f"{g} counters", f"{g} people", f"{g} at work"]
        at_work = result.at_work(d)
        rows: list[list[CellLike]] = []
        for k, (start, end) in enumerate(req.slots):
            row: list[CellLike] = [f"{format_clock(start)}–{format_clock(end)}"]
            for counters, people, have in zip(req.counts, req.people, at_work, strict=True):
                miss = "miss" if have[k] < people[k] else ""
                row += [str(counters[k]), str(people[k]), Cell(str(have[k]), cls=miss)]
            rows.append(row)
        page.note(day_label(result, d))
        page.table(f"coverage-{result.days[d].key}", header, rows)
