"""``hallsim staff``'s output: the terminal table and ``DIR/staff.html`` — per
interval the demand, every counter group (the resized ones by each plan, the
fixed ones as the scenario staffs them), the total counters of each plan and
the service level each plan achieves when simulated, the Erlang plan beside
the simulated one."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from sim.model.units import format_duration, parse_clock_s
from sim.planning.staffing_result import StaffingResult
from sim.reports.page import Cell, Page
from sim.reports.style import (
    GREY,
    METHODS,
    clock_axis,
    group_colours,
    hall_title,
    new_figure,
    percent_axis,
    plot_style,
    target_line,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

METHOD_NAMES = {"erlang": "Erlang C/A", "sim": "simulation"}


def _sl_text(value: float) -> str:
    return f"{value:.0%}"


def _target_text(result: StaffingResult) -> str:
    t = result.target
    return f"{t.service_level:.0%} called within {t.wait_s / 60:g} min"


def plan_line(result: StaffingResult) -> list[str]:
    """One sentence per plan: counter-hours, intervals below target, effort."""
    return [
        f"{METHOD_NAMES.get(p.method, p.method)} plan: {p.staff_hours:.2f} counter-hours of "
        f"{', '.join(result.groups)}, {p.intervals_missing} intervals below target"
        + (f", {p.evaluations} plans simulated" if p.evaluations else "")
        for p in result.plans
    ]


def print_staffing(out: Console, result: StaffingResult) -> None:
    """The plan table (every group, totals, service levels) and a line per plan."""
    target = result.target.service_level
    table = Table(
        title=f"{result.scenario}: counters per interval for {_target_text(result)}, counts "
        f"changing every {format_duration(result.step_s)}",
        title_justify="left",
        header_style="bold",
        caption="fixed groups as the scenario staffs them at mid-interval; total: all "
        "counters; SL: simulated service level, lower end of its 95% CI (red below target)",
    )
    table.add_column("start")
    table.add_column("arrivals/h", justify="right")
    table.add_column("load", justify="right")
    for g in result.fixed_groups:
        table.add_column(g, justify="right")
    for m in result.methods:
        for g in result.groups:
            table.add_column(f"{g} ({m})", justify="right")
        table.add_column(f"total ({m})", justify="right")
        table.add_column(f"SL ({m})", justify="right")
    for row in result.intervals:
        cells = [row.start, f"{row.arrivals_per_hour:.0f}", f"{row.offered_load:.1f}"]
        cells += [str(row.fixed[g]) for g in result.fixed_groups]
        for m in result.methods:
            cells += [str(row.counts[m][g]) for g in result.groups]
            cells.append(f"[bold]{row.total[m]}[/]")
            lo = row.service_level[m].ci95_lower
            cells.append(f"[red]{_sl_text(lo)}[/]" if lo < target else _sl_text(lo))
        table.add_row(*cells)
    out.print(table)
    for line in plan_line(result):
        out.print(line, highlight=False)


def _hours(result: StaffingResult) -> tuple[list[float], float]:
    starts = [parse_clock_s(row.start) / 3600 for row in result.intervals]
    width = starts[1] - starts[0] if len(starts) > 1 else 0.25
    return starts, width


def staffing_figure(result: StaffingResult, cjk: bool) -> Figure:
    """Counters of every group in the last plan stacked, each plan's total and
    the offered load above; each plan's simulated service level below."""
    import numpy as np
    from matplotlib.ticker import MaxNLocator

    starts, width = _hours(result)
    edges = [*starts, starts[-1] + width]
    last = result.methods[-1]
    colours = group_colours(result.all_groups or [*result.groups, *result.fixed_groups])
    fig = new_figure(11, 7.6)
    top, bottom = fig.subplots(2, 1, sharex=True)
    fig.suptitle(hall_title(result.scenario, result.name, "staffing plan per interval", cjk))
    base = np.zeros(len(starts))
    layers = [(g, f"{g} ({last} plan)", "counts") for g in result.groups]
    layers += [(g, f"{g} (fixed)", "fixed") for g in result.fixed_groups]
    for g, text, kind in layers:
        values = np.array(
            [row.counts[last][g] if kind == "counts" else row.fixed[g] for row in result.intervals]
        )
        top.stairs(
            base + values, edges, baseline=base, fill=True, color=colours[g], alpha=0.55, label=text
        )
        base = base + values
    for m in result.methods:
        total = [row.total[m] for row in result.intervals]
        top.stairs(total, edges, color=METHODS.get(m, "k"), lw=2.2, label=f"total, {m} plan")
    load = [row.offered_load for row in result.intervals]
    top.plot(
        [s + width / 2 for s in starts],
        load,
        color=GREY,
        ls=":",
        marker=".",
        label="offered load (Erlangs)",
    )
    top.set_ylabel("counters staffed")
    top.set_ylim(bottom=0)
    top.set_title("counters of every group, stacked, and each plan's total", fontsize=10)
    top.grid(alpha=0.3)
    top.yaxis.set_major_locator(MaxNLocator(integer=True))
    top.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    offsets = np.linspace(-0.18, 0.18, len(result.methods)) * width
    for m, offset in zip(result.methods, offsets, strict=True):
        sl = [row.service_level[m] for row in result.intervals]
        mean = np.array([s.mean for s in sl])
        lo = np.array([s.ci95_lower for s in sl])
        hi = np.array([s.ci95_upper for s in sl])
        bottom.errorbar(
            np.array(starts) + width / 2 + offset,
            mean,
            yerr=[np.clip(mean - lo, 0, None), np.clip(hi - mean, 0, None)],
            fmt="o",
            markersize=3,
            capsize=2,
            color=METHODS.get(m, "k"),
            label=f"{m} plan (mean, 95% CI)",
        )
    target = result.target.service_level
    target_line(bottom, target, f"target {target:.0%}")
    bottom.set_ylabel(f"called within {result.target.wait_s / 60:g} min")
    bottom.set_title("service level per interval when each plan is simulated", fontsize=10)
    percent_axis(bottom)
    bottom.set_ylim(max(0.0, min(0.5, target - 0.3)), 1.02)
    bottom.grid(alpha=0.3)
    bottom.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    clock_axis(bottom, edges[0], edges[-1], result.timezone)
    bottom.set_xlabel(bottom.get_xlabel() + ", by arrival interval")
    return fig


def plan_rows(result: StaffingResult) -> tuple[list[str], list[tuple[str, int]], list[list[Cell]]]:
    """The per-interval table: header, header groups and rows (see module docstring)."""
    target = result.target.service_level
    header = ["start", "arrivals/h", "load (Erlangs)", *result.fixed_groups]
    groups = [("", 3)] + (
        [("fixed groups", len(result.fixed_groups))] if result.fixed_groups else []
    )
    for m in result.methods:
        header += [*result.groups, "total", "SL (CI low)", "SL (mean)"]
        groups.append((f"{METHOD_NAMES.get(m, m)} plan", len(result.groups) + 3))
    rows = []
    for r in result.intervals:
        cells = [Cell(r.start), Cell(f"{r.arrivals_per_hour:.1f}"), Cell(f"{r.offered_load:.2f}")]
        cells += [Cell(str(r.fixed[g])) for g in result.fixed_groups]
        for m in result.methods:
            cells += [Cell(str(r.counts[m][g])) for g in result.groups]
            cells.append(Cell(str(r.total[m]), cls="total"))
            sl = r.service_level[m]
            cells.append(Cell(f"{sl.ci95_lower:.1%}", cls="miss" if sl.ci95_lower < target else ""))
            cells.append(Cell(f"{sl.mean:.1%}"))
        rows.append(cells)
    return header, groups, rows


def write_staffing_report(result: StaffingResult, out_dir: Path, command_line: str) -> Path:
    """Write ``out_dir/staff.html``; returns its path."""
    page = Page(
        "staff",
        "staffing plan",
        result.scenario,
        result.name,
        command_line,
        result.seed,
        facts=[
            ("Target", _target_text(result)),
            ("Replications", f"{result.replications} per simulated plan"),
            ("Resized groups", ", ".join(result.groups)),
            ("Fixed groups", ", ".join(result.fixed_groups) or "none"),
            ("Counts change every", format_duration(result.step_s)),
        ],
    )
    page.note(
        "An interval meets the target when the lower end of the 95% CI of its simulated "
        "service level reaches it. The fixed groups are staffed as the scenario says (counters "
        "on duty at mid-interval); total: every counter staffed, kiosks apart."
    )
    page.section("Plans")
    page.table(
        "plans",
        [
            "plan",
            f"counter-hours ({', '.join(result.groups)})",
            "intervals below target",
            "plans simulated",
            "raising iterations",
        ],
        [
            [
                METHOD_NAMES.get(p.method, p.method),
                f"{p.staff_hours:.2f}",
                Cell(str(p.intervals_missing), cls="miss" if p.intervals_missing else ""),
                str(p.evaluations),
                str(p.iterations),
            ]
            for p in result.plans
        ],
    )
    with plot_style() as font:
        page.figure(
            "staffing",
            staffing_figure(result, font is not None),
            "Top: counters per interval, every group stacked (the resized groups as the "
            f"{result.methods[-1]} plan sets them), each plan's total and the offered load. "
            "Bottom: service level per interval when each plan is simulated (mean, 95% CI), "
            "against the target.",
        )
    header, groups, rows = plan_rows(result)
    page.section("Counters per interval")
    page.table(
        "intervals",
        header,
        rows,
        groups=groups,
        caption="SL: simulated service level; red: the lower end of its 95% CI is below target",
    )
    return page.write(out_dir)
