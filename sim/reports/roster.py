"""Roster output: the ``--json`` object, the terminal table and the Gantt chart
of people on shifts against the counters required."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from sim.model.units import format_clock, format_duration
from sim.planning.roster import Roster, Shift, shift_ids

_MAX_PERSON_BARS = 60  # above this the chart draws one bar per shift pattern


def _span(start_s: float, end_s: float) -> str:
    return f"{format_clock(start_s)}–{format_clock(end_s)}"


def _shift_json(shift: Shift, name: str) -> dict[str, Any]:
    brk = shift.meal_break
    return {
        "id": name,
        "group": shift.group,
        "start": format_clock(shift.start_s),
        "end": format_clock(shift.end_s),
        "start_s": shift.start_s,
        "end_s": shift.end_s,
        "break": None if brk is None else f"{format_clock(brk[0])}-{format_clock(brk[1])}",
        "break_s": None if brk is None else list(brk),
        "people": shift.people,
        "paid_hours": shift.paid_hours,
    }


def roster_json(result: Roster, hall: str) -> dict[str, Any]:
    """The ``--json`` object: shifts, staff-hours against the lower bound, solve time,
    and the requirement and coverage per group and slot."""
    req = result.requirement
    ratio = result.staff_hours / result.lower_bound_hours if result.lower_bound_hours else None
    return {
        "scenario": hall,
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
        "coverage": dict(zip(req.groups, map(list, result.coverage()), strict=True)),
    }


def print_roster(out: Console, result: Roster, hall: str) -> None:
    """The shifts as a table, then paid staff-hours against the lower bound."""
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
        f"(sum of the requirement): {ratio}; solved in {result.solve_s:.2f} s ({result.status})"
    )


def write_gantt(result: Roster, path: Path) -> None:
    """Write a PNG: a bar per person (per shift pattern when there are many people)
    with breaks as gaps, and below it the requirement against the coverage."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    req = result.requirement
    colour = {group: f"C{i % 10}" for i, group in enumerate(req.groups)}
    per_person = sum(s.people for s in result.shifts) <= _MAX_PERSON_BARS
    bars = [
        (s, f"{s.group}" if per_person else f"{s.group} ×{s.people}")
        for s in result.shifts
        for _ in range(s.people if per_person else 1)
    ]
    fig = Figure(figsize=(10, 3 + 0.22 * len(bars)), layout="constrained")
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[max(2.0, 0.22 * len(bars)), 2.5])
    for y, (s, _) in enumerate(bars):
        pieces = [(s.start_s, s.end_s)]
        if s.meal_break is not None:
            pieces = [(s.start_s, s.meal_break[0]), (s.meal_break[1], s.end_s)]
        spans = [(a / 3600, (b - a) / 3600) for a, b in pieces]
        top.broken_barh(spans, (y - 0.4, 0.8), facecolors=colour[s.group])
    top.set_yticks(range(len(bars)), [label for _, label in bars], fontsize=7)
    top.grid(axis="x", alpha=0.3)
    top.set_ylim(len(bars) - 0.5, -0.5)
    top.set_title(
        f"{result.staff_hours:g} paid staff-hours, lower bound {result.lower_bound_hours:g}"
    )
    edges = [start / 3600 for start, _ in req.slots] + [req.slots[-1][1] / 3600]
    for group, need, have in zip(req.groups, req.counts, result.coverage(), strict=True):
        bottom.stairs(
            need, edges, fill=True, alpha=0.25, color=colour[group], label=f"{group} required"
        )
        bottom.stairs(have, edges, color=colour[group], linewidth=1.5, label=f"{group} at work")
    bottom.set_ylabel("counters")
    bottom.legend(fontsize=7, ncols=2)
    bottom.xaxis.set_major_formatter(FuncFormatter(lambda h, _: format_clock(h * 3600)))
    bottom.set_xlim(edges[0], edges[-1])
    fig.savefig(path, dpi=120)
