"""Roster output: the ``--json`` object, the terminal table and the Gantt chart
of people on shifts against the counters required."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from sim.model.units import format_clock, format_duration
from sim.planning.roster import Roster, Shift, shift_ids
from sim.reports.page import Cell, CellLike, Page
from sim.reports.style import clock_axis, group_colours, hall_title, new_figure, plot_style
from sim.reports.tables import Table

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_MAX_PERSON_BARS = 60  # above this the chart draws one bar per shift pattern


def _span(start_s: float, end_s: float) -> str:
    return f"{format_clock(start_s)}–{format_clock(end_s)}"


def times_json(
    start_s: float, end_s: float, meal_break: tuple[float, float] | None
) -> dict[str, Any]:
    """A shift's times in ``--json``: ``09:00`` and seconds, the break as ``12:00-12:30``."""
    brk = meal_break
    return {
        "start": format_clock(start_s),
        "end": format_clock(end_s),
        "start_s": start_s,
        "end_s": end_s,
        "break": None if brk is None else f"{format_clock(brk[0])}-{format_clock(brk[1])}",
        "break_s": None if brk is None else list(brk),
    }


def _shift_json(shift: Shift, name: str) -> dict[str, Any]:
    times = times_json(shift.start_s, shift.end_s, shift.meal_break)
    return {"id": name, "group": shift.group, **times, "people": shift.people,
            "paid_hours": shift.paid_hours}  # fmt: skip


def day_cost(result: Roster, facts: Mapping[str, Any]) -> float | None:
    """Paid staff-hours at the workforce's cost per hour (None: no cost set)."""
    rate = facts.get("cost_per_hour")
    return None if rate is None else result.staff_hours * rate


def day_verdict(result: Roster, hall: str, facts: Mapping[str, Any]) -> str:
    """The one line that answers for a day: people, paid hours, cost, coverage."""
    people = sum(s.people for s in result.shifts)
    cost = day_cost(result, facts)
    money = "" if cost is None else f", {facts.get('currency', '')}{cost:,.0f}"
    return (
        f"{hall} {facts.get('day', 'day')}: {people} people on shift, "
        f"{result.staff_hours:g} paid h{money}; every slot covered"
    )


def roster_json(result: Roster, hall: str, facts: Mapping[str, Any]) -> dict[str, Any]:
    """The ``--json`` object: the verdict, shifts, staff-hours against the lower
    bound, solve time, and per group and slot the counters required, the people
    to roster for them and the people at work."""
    req = result.requirement
    ratio = result.staff_hours / result.lower_bound_hours if result.lower_bound_hours else None
    return {
        "scenario": hall,
        "roster": "day",
        "day": facts.get("day"),
        "verdict": day_verdict(result, hall, facts),
        "shifts": [
            _shift_json(s, name)
            for s, name in zip(result.shifts, shift_ids(result.shifts), strict=True)
        ],
        "staff_hours": result.staff_hours,
        "lower_bound_hours": result.lower_bound_hours,
        "ratio": ratio,
        "solve_seconds": result.solve_s,
        "status": result.status,
        "slots": [format_clock(start) for start, _ in req.slots],
        "requirement": dict(zip(req.groups, map(list, req.counts), strict=True)),
        "people": dict(zip(req.groups, map(list, req.people), strict=True)),
        "coverage": dict(zip(req.groups, map(list, result.coverage()), strict=True)),
        "shrinkage": req.shrinkage,
        "cost": day_cost(result, facts),
        "currency": facts.get("currency"),
    }


def _shrinkage(result: Roster) -> str:
    share = result.requirement.shrinkage
    return f", ⌈counters / (1 − {share:.0%} shrinkage)⌉" if share else ""


def print_roster(out: Console, result: Roster, hall: str, facts: Mapping[str, Any]) -> None:
    """The verdict, the shifts as a table, then paid staff-hours against the lower bound."""
    out.print(f"[bold]{day_verdict(result, hall, facts)}[/]", highlight=False, soft_wrap=True)
    table = Table(
        title=f"Roster for {hall}",
        title_justify="left",
        header_style="bold",
        caption="paid h: people × (shift length − unpaid break)",
    )
    for header in ("group", "shift", "length", "break", "people", "paid h"):
        table.add_column(header, justify="right" if header in ("people", "paid h") else "left")
    for s in result.shifts:
        table.add_row(
            s.group,
            _span(s.start_s, s.end_s),
            format_duration(s.end_s - s.start_s),
            "–" if s.meal_break is None else _span(*s.meal_break),
            str(s.people),
            f"{s.people * s.paid_hours:g}",
        )
    out.print(table)
    bound = result.lower_bound_hours
    ratio = f"ratio {result.staff_hours / bound:.3f}" if bound else "no requirement"
    out.print(
        f"staff-hours [bold]{result.staff_hours:g}[/] paid against a lower bound of {bound:g} "
        f"(people required per slot, summed{_shrinkage(result)}): {ratio}; solved in "
        f"{result.solve_s:.2f} s ({result.status})"
    )


def gantt_figure(
    result: Roster, hall: str, name: str | None, cjk: bool, groups: Sequence[str] = ()
) -> Figure:
    """A bar per person (per shift pattern when there are many people) with
    breaks as gaps, and below it the requirement against the people at work,
    in each group's colour (``groups``: every counter group of the scenario, in
    order, so that a group has the same colour as in the staffing plot)."""
    from matplotlib.patches import Patch

    req = result.requirement
    colour = group_colours(list(groups) or req.groups)
    per_person = sum(s.people for s in result.shifts) <= _MAX_PERSON_BARS
    bars = [
        (s, f"{s.group}" if per_person else f"{s.group} ×{s.people}")
        for s in result.shifts
        for _ in range(s.people if per_person else 1)
    ]
    fig = new_figure(11, 3.2 + 0.22 * len(bars))
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[max(2.0, 0.22 * len(bars)), 2.5])
    fig.suptitle(
        hall_title(
            hall, name, f"roster: {result.staff_hours:g} paid staff-hours, lower bound "
            f"{result.lower_bound_hours:g}", cjk,
        )
    )  # fmt: skip
    for y, (s, _) in enumerate(bars):
        pieces = [(s.start_s, s.end_s)]
        if s.meal_break is not None:
            pieces = [(s.start_s, s.meal_break[0]), (s.meal_break[1], s.end_s)]
        spans = [(a / 3600, (b - a) / 3600) for a, b in pieces]
        top.broken_barh(spans, (y - 0.4, 0.8), facecolors=colour[s.group])
    top.set_yticks(range(len(bars)), [label for _, label in bars], fontsize=7)
    top.set_ylabel("person" if per_person else "shift pattern × people")
    top.grid(axis="x", alpha=0.3)
    top.set_ylim(len(bars) - 0.5, -0.5)
    top.set_title("shifts (gaps: meal breaks)", fontsize=10)
    handles = [Patch(color=colour[g], label=f"group {g}") for g in req.groups]
    top.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    edges = [start / 3600 for start, _ in req.slots] + [req.slots[-1][1] / 3600]
    for group, need, have in zip(req.groups, req.people, result.coverage(), strict=True):
        bottom.stairs(
            need, edges, fill=True, alpha=0.25, color=colour[group], label=f"{group} to roster"
        )
        bottom.stairs(have, edges, color=colour[group], linewidth=1.5, label=f"{group} at work")
    bottom.set_ylabel("counters / people")
    bottom.set_title("requirement (shaded) and people at work (line) per slot", fontsize=10)
    bottom.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    bottom.grid(alpha=0.3)
    clock_axis(bottom, edges[0], edges[-1], None)
    return fig


def write_gantt(
    result: Roster, path: Path, hall: str, name: str | None, groups: Sequence[str] = ()
) -> None:
    """Write :func:`gantt_figure` as a PNG file."""
    with plot_style() as font:
        gantt_figure(result, hall, name, font is not None, groups).savefig(path)


def write_roster_report(
    result: Roster,
    hall: str,
    name: str | None,
    rules: str,
    out_dir: Path,
    command_line: str,
    groups: Sequence[str] = (),
    facts: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``out_dir/roster.html``: the verdict, the shifts, the chart and the
    coverage per slot; ``rules`` names the rules file. Returns its path."""
    bound = result.lower_bound_hours
    facts = facts or {}
    page = Page(
        "roster",
        "roster",
        hall,
        name,
        command_line,
        None,
        facts=[
            ("Rules", rules),
            ("Paid staff-hours", f"{result.staff_hours:g}"),
            ("Lower bound", f"{bound:g} (people required per slot, summed)"),
            ("Ratio", f"{result.staff_hours / bound:.3f}" if bound else "–"),
            ("Solver", f"{result.status}, {result.solve_s:.2f} s"),
        ],
    )
    # the day's roster covers every slot or is not found: its verdict is always good
    page.verdict(day_verdict(result, hall, facts))
    page.section("Shifts")
    rows: list[list[CellLike]] = [
        [
            shift_id, s.group, _span(s.start_s, s.end_s), format_duration(s.end_s - s.start_s),
            "–" if s.meal_break is None else _span(*s.meal_break), str(s.people),
            f"{s.paid_hours:g}", f"{s.people * s.paid_hours:g}",
        ]
        for shift_id, s in zip(shift_ids(result.shifts), result.shifts, strict=True)
    ]  # fmt: skip
    page.table(
        "shifts",
        ["shift", "group", "time", "length", "break", "people", "paid h each", "paid h"],
        rows,
        left=5,
        caption="paid h: people × (shift length − unpaid break)",
    )
    with plot_style() as font:
        page.figure(
            "gantt",
            gantt_figure(result, hall, name, font is not None, groups),
            "Top: one bar per person on shift, gaps are meal breaks. Bottom: the counters "
            "each group must staff per slot (shaded) and its people at work (line).",
        )
    req = result.requirement
    header = ["slot"]
    for g in req.groups:
        header += [f"{g} counters", f"{g} people", f"{g} at work"]
    coverage = result.coverage()
    slots: list[list[CellLike]] = []
    for k, (start, end) in enumerate(req.slots):
        row: list[CellLike] = [_span(start, end)]
        for counters, need, have in zip(req.counts, req.people, coverage, strict=True):
            miss = "miss" if have[k] < need[k] else ""
            row += [str(counters[k]), str(need[k]), Cell(str(have[k]), cls=miss)]
        slots.append(row)
    page.section("Coverage per slot")
    page.table("coverage", header, slots)
    return page.write(out_dir)
