"""A week roster for people and machines: the verdict line and the numbers
behind it, the ``--json`` object, and the terminal tables (the totals per
contract, then everyone's week, one column per day)."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from sim.model.units import format_clock
from sim.planning.roster.problems import listed
from sim.planning.roster.week import PersonWeek, WeekRoster, WorkedShift
from sim.reports.roster.day import times_json
from sim.reports.tables import Table

DAY_LABELS = {"mon": "Mon", "tue": "Tue", "wed": "Wed", "thu": "Thu", "fri": "Fri",
              "sat": "Sat", "sun": "Sun"}  # fmt: skip


def span(start_s: float, end_s: float) -> str:
    return f"{format_clock(start_s)}–{format_clock(end_s)}"


def day_label(result: WeekRoster, d: int) -> str:
    """``Mon`` or ``Mon 01-04`` (a dated week)."""
    day = result.days[d]
    label = DAY_LABELS.get(day.weekday or "", day.key)
    return label if day.date is None else f"{label} {day.date:%m-%d}"


def money(value: float | None, currency: str) -> str:
    """``¥36,364``, or ``–`` without a cost."""
    return "–" if value is None else f"{currency}{value:,.0f}"


def contract_label(result: WeekRoster, name: str) -> str:
    """``full_time (全职)`` or the bare name."""
    label = result.labels.get(name)
    return f"{name} ({label})" if label else name


def coverage_text(result: WeekRoster) -> str:
    """``every slot covered`` or ``SHORT in 6 slots``."""
    if not result.short:
        return "every slot covered"
    n = result.short_slots
    return f"SHORT in {n} slot{'s' if n != 1 else ''}"


def verdict(result: WeekRoster) -> str:
    """The one line that answers: people, FTE, paid hours, cost and coverage."""
    counts = ", ".join(
        f"{totals.people} {name.replace('_', '-')}"
        for name, totals in result.by_contract().items()
        if totals.people
    )
    cost = result.cost
    money_text = "" if cost is None else f", {money(cost, result.workforce.currency)} a week"
    return (
        f"{result.hall} week: {len(result.people)} people ({counts}), {result.fte:.1f} FTE, "
        f"{result.paid_hours:g} paid h{money_text}; {coverage_text(result)}"
    )


def numbers(result: WeekRoster) -> list[tuple[str, str]]:
    """The numbers behind the verdict, as (label, text) pairs."""
    currency = result.workforce.currency
    out = [
        ("People", str(len(result.people))),
        ("FTE", f"{result.fte:.2f} ({result.workforce.fte_hours_per_week:g} paid h each)"),
        ("Paid hours a week", f"{result.paid_hours:g}"),
        ("Cost a week", money(result.cost, currency)),
        ("Coverage", coverage_text(result)),
        (
            "Lower bound",
            f"{result.lower_bound_hours:g} paid h (people required per slot, summed); "
            f"ratio {result.paid_hours / result.lower_bound_hours:.3f}"
            if result.lower_bound_hours
            else "–",
        ),
        ("Shrinkage", f"{result.workforce.shrinkage:.0%}: people = ⌈counters / (1 − shrinkage)⌉"),
    ]
    return out


def shift_json(shift: WorkedShift | None) -> dict[str, Any] | None:
    if shift is None:
        return None
    times = times_json(shift.start_s, shift.end_s, shift.meal_break)
    return {"group": shift.group, **times, "paid_hours": shift.paid_h}


def _person_json(result: WeekRoster, week: PersonWeek) -> dict[str, Any]:
    person = week.person
    return {
        "id": person.id,
        "name": person.name,
        "contract": person.contract,
        "skills": sorted(person.skills),
        "paid_hours": week.paid_hours,
        "days_worked": week.days_worked,
        "cost": week.cost,
        "shifts": {
            day.key: shift_json(shift) for day, shift in zip(result.days, week.shifts, strict=True)
        },
    }


def week_json(result: WeekRoster) -> dict[str, Any]:
    """The ``--json`` object of a week roster."""
    days = []
    coverage: dict[str, Any] = {}
    for d, (day, req) in enumerate(zip(result.days, result.requirements, strict=True)):
        scn = day.scenario
        days.append(
            {
                "key": day.key,
                "weekday": day.weekday,
                "date": None if day.date is None else day.date.isoformat(),
                "open": None if scn is None else format_clock(scn.open),
                "close": None if scn is None else format_clock(scn.close),
            }
        )
        if req is not None:
            coverage[day.key] = {
                "slots": [format_clock(start) for start, _ in req.slots],
                "counters": dict(zip(req.groups, map(list, req.counts), strict=True)),
                "people": dict(zip(req.groups, map(list, req.people), strict=True)),
                "at_work": dict(zip(req.groups, map(list, result.at_work(d)), strict=True)),
            }
    return {
        "scenario": result.hall,
        "roster": "week",
        "verdict": verdict(result),
        "covered": not result.short,
        "people": len(result.people),
        "fte": result.fte,
        "paid_hours": result.paid_hours,
        "cost": result.cost,
        "currency": result.workforce.currency,
        "lower_bound_hours": result.lower_bound_hours,
        "shrinkage": result.workforce.shrinkage,
        "fte_hours_per_week": result.workforce.fte_hours_per_week,
        "repeating": result.cyclic,
        "named_staff": result.named,
        "contracts": {
            name: {"people": t.people, "paid_hours": t.paid_hours, "fte": t.fte, "cost": t.cost}
            for name, t in result.by_contract().items()
        },
        "days": days,
        "staff": [_person_json(result, week) for week in result.people],
        "coverage": coverage,
        "short": [
            {
                "day": result.days[s.day].key,
                "group": s.group,
                "slot": format_clock(slots[s.slot][0]),
                "need": s.need,
                "short": s.short,
            }
            for s in result.short
            if (slots := _slots(result, s.day))
        ],
        "status": result.status,
        "solve_seconds": result.solve_s,
    }


def _slots(result: WeekRoster, d: int) -> tuple[tuple[float, float], ...]:
    req = result.requirements[d]
    return () if req is None else req.slots


def short_lines(result: WeekRoster) -> list[str]:
    """One line per run of short slots: ``Mon slots 17:00–19:00: group B 1 short of 9``."""
    lines: list[str] = []
    for d in range(len(result.days)):
        problems = [
            (s.slot, f"{'on_duty.min' if s.group is None else 'group ' + s.group} "
                     f"{s.short} short of {s.need}")
            for s in result.short
            if s.day == d
        ]  # fmt: skip
        if problems:
            lines += listed(_slots(result, d), problems, prefix=f"{day_label(result, d)} ")
    return lines


def _hour(t_s: float) -> str:
    """``09`` on the hour, else ``11:30``."""
    text = format_clock(t_s)
    return text[:2] if text.endswith(":00") else text


def hours(start_s: float, end_s: float) -> str:
    """``09–17``, ``11:30–19:30``: whole hours without their minutes."""
    return f"{_hour(start_s)}–{_hour(end_s)}"


def cell(shift: WorkedShift | None, closed: bool) -> str:
    """``B 09–17``, ``Q 11:30–19:30``, ``off`` or ``closed``."""
    if closed:
        return "closed"
    if shift is None:
        return "off"
    return f"{shift.group} {hours(shift.start_s, shift.end_s)}"


def print_week(out: Console, result: WeekRoster) -> None:
    """The verdict, the totals per contract, everyone's week and any shortfall."""
    out.print(f"[bold]{verdict(result)}[/]", highlight=False, soft_wrap=True)
    currency = result.workforce.currency
    totals = Table(title_justify="left", header_style="bold", show_edge=False)
    for header in ("contract", "people", "FTE", "paid h", "cost"):
        totals.add_column(header, justify="left" if header == "contract" else "right")
    for name, t in result.by_contract().items():
        totals.add_row(
            contract_label(result, name), str(t.people), f"{t.fte:.1f}", f"{t.paid_hours:g}",
            money(t.cost, currency),
        )  # fmt: skip
    totals.add_row(
        "[bold]total[/]", f"[bold]{len(result.people)}[/]", f"[bold]{result.fte:.1f}[/]",
        f"[bold]{result.paid_hours:g}[/]", f"[bold]{money(result.cost, currency)}[/]",
    )  # fmt: skip
    out.print(totals)
    grid = Table(
        title=f"Week of {result.hall}" + (" (repeats every week)" if result.cyclic else ""),
        title_justify="left",
        header_style="bold",
        caption="group and shift each day, in hours (meal breaks: --json, --xlsx, --report)",
    )
    grid.add_column("person")
    grid.add_column("contract")
    for d in range(len(result.days)):
        grid.add_column(day_label(result, d))
    grid.add_column("paid h", justify="right")
    for week in result.people:
        person = week.person
        who = f"{person.id} {person.name}".strip()
        cells = [
            cell(shift, result.days[d].scenario is None) for d, shift in enumerate(week.shifts)
        ]
        grid.add_row(who, person.contract, *cells, f"{week.paid_hours:g}")
    out.print(grid)
    for line in short_lines(result):
        out.print(f"[red]short:[/] {line}", highlight=False)
    out.print(f"solved in {result.solve_s:.2f} s ({result.status})", highlight=False)
