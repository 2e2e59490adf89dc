"""A sweep's CSV, plots and ``DIR/sweep.html``: service level and mean wait
against the swept value, and each grid point's service level over the day."""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.model.summary import KPI_KEYS, Stat
from sim.model.units import parse_clock_s
from sim.planning.whatif import Scalar, SweepPoint
from sim.reports.kpi_text import mean_and_half
from sim.reports.page import Cell, CellLike, Page
from sim.reports.style import (
    clock_axis,
    hall_title,
    new_figure,
    percent_axis,
    plot_style,
    point_colours,
    scenario_colours,
    target_line,
)
from sim.reports.verdicts import point_label, sweep_verdict, time_ranges

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# (key, header) of the sweep table, as in the terminal
SWEEP_COLUMNS = (
    ("arrivals", "arrivals"), ("abandoned", "aband."), ("wait_mean_s", "wait (min)"),
    ("wait_p90_s", "p90 (min)"), ("service_level", "SL"), ("queue_mean", "queue"),
    ("utilisation", "util."),
)  # fmt: skip


def sweep_csv_table(points: Sequence[SweepPoint]) -> tuple[list[str], list[list[Any]]]:
    """The CSV of a sweep: a header (the swept paths, then ``KPI_mean``,
    ``KPI_ci_low``, ``KPI_ci_high`` for each overall KPI, in its own units, then
    the intervals below target and the staffing's counter-hours, FTE and cost)
    and one row per grid point (``None`` where a value is unknown)."""
    paths = list(points[0].values) if points else []
    header = paths + [f"{key}_{part}" for key in KPI_KEYS for part in ("mean", "ci_low", "ci_high")]
    header += ["intervals_below_target", "counter_hours_day", "counter_hours_week", "fte",
               "cost_week"]  # fmt: skip
    rows = []
    for point in points:
        row: list[Any] = [point.values[path] for path in paths]
        for key in KPI_KEYS:
            stat = point.overall[key]
            row += [stat.mean, *stat.ci95]
        cost = point.cost
        row += [len(point.below_target()), cost.counter_hours_day, cost.counter_hours_week,
                cost.fte, cost.cost_week]  # fmt: skip
        rows.append(row)
    return header, rows


def write_sweep_csv(points: Sequence[SweepPoint], path: Path) -> None:
    """One row per grid point: the swept values, then each overall KPI's mean and
    95% CI (seconds for ``*_s``, shares for rates; empty where undefined)."""
    header, rows = sweep_csv_table(points)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows([["" if v is None else v for v in row] for row in rows])


def _band(points: Sequence[SweepPoint], key: str, scale: float) -> list[list[float]]:
    """Mean, CI low and CI high of overall ``key`` over ``points``, divided by
    ``scale``; NaN (a gap in the line) where undefined."""

    def value(v: float | None) -> float:
        return math.nan if v is None else v / scale

    stats: list[Stat] = [p.overall[key] for p in points]
    return [
        [value(s.mean) for s in stats],
        [value(s.ci95[0]) for s in stats],
        [value(s.ci95[1]) for s in stats],
    ]


def sweep_figure(points: Sequence[SweepPoint], hall: str, name: str | None, cjk: bool) -> Figure:
    """Service level and mean wait (minutes) against the first swept value, one
    line per value of the other swept paths, with 95% CI bands; the target
    service level dashed."""
    paths = list(points[0].values)
    xs = [p.values[paths[0]] for p in points]
    numeric = all(isinstance(x, int | float) and not isinstance(x, bool) for x in xs)
    ticks = list(dict.fromkeys(xs))
    lines: dict[tuple[Scalar, ...], list[SweepPoint]] = {}
    for p in points:
        lines.setdefault(tuple(p.values[q] for q in paths[1:]), []).append(p)
    colours = scenario_colours(["", *(str(k) for k in lines)])

    fig = new_figure(11, 4.4)
    sl_ax, wait_ax = fig.subplots(1, 2, sharex=True)
    fig.suptitle(hall_title(hall, name, f"overall KPIs against {paths[0]}", cjk))
    for rest, line in lines.items():
        colour = colours[str(rest)]
        if numeric:
            line = sorted(line, key=lambda p: float(p.values[paths[0]]))
        x = [p.values[paths[0]] if numeric else ticks.index(p.values[paths[0]]) for p in line]
        text = ", ".join(f"{q}={v}" for q, v in zip(paths[1:], rest, strict=True))
        for ax, key, scale in ((sl_ax, "service_level", 1.0), (wait_ax, "wait_mean_s", 60.0)):
            mean, lo, hi = _band(line, key, scale)
            ax.plot(x, mean, marker="o", color=colour, label=(text or "mean") + " (95% CI band)")
            ax.fill_between(x, lo, hi, color=colour, alpha=0.2, linewidth=0)
    for target in sorted({p.target.service_level for p in points}):
        target_line(sl_ax, target, f"target {target:.0%}")
    sl_ax.set_ylim(0, 1.02)
    percent_axis(sl_ax)
    sl_ax.set_ylabel("service level")
    wait_ax.set_ylabel("mean wait (min)")
    wait_ax.set_ylim(bottom=0)
    for ax in (sl_ax, wait_ax):
        ax.set_xlabel(paths[0])
        ax.grid(alpha=0.3)
        if not numeric:
            ax.set_xticks(range(len(ticks)), [str(t) for t in ticks])
        ax.legend(fontsize=8, loc="best")
    return fig


def intervals_figure(
    points: Sequence[SweepPoint], hall: str, name: str | None, cjk: bool
) -> Figure | None:
    """Each grid point's service level per interval of the day, or None for a
    stationary scenario."""
    if not points or not points[0].by_interval:
        return None
    colours = point_colours([point_label(p) for p in points])
    fig = new_figure(11, 4.6)
    ax = fig.subplots()
    ax.set_title(hall_title(hall, name, "service level per interval at each grid point", cjk))
    starts = [parse_clock_s(row.start) / 3600 for row in points[0].by_interval]
    step = starts[1] - starts[0] if len(starts) > 1 else 0.25
    for p in points:
        means = [row.kpis["service_level"].mean for row in p.by_interval]
        y = [math.nan if m is None else m for m in means]
        x = [s + step / 2 for s in starts]
        ax.plot(x, y, marker=".", color=colours[point_label(p)], label=point_label(p))
    for target in sorted({p.target.service_level for p in points}):
        target_line(ax, target, f"target {target:.0%}")
    percent_axis(ax)
    ax.set_ylim(0, 1.04)
    ax.set_ylabel("service level (mean)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    clock_axis(ax, starts[0], starts[-1] + step, None)
    ax.set_xlabel("time of day, by arrival interval")
    return fig


def write_sweep_plot(points: Sequence[SweepPoint], path: Path, hall: str, name: str | None) -> None:
    """Write :func:`sweep_figure` as a PNG file."""
    with plot_style() as font:
        sweep_figure(points, hall, name, font is not None).savefig(path)


def sweep_rows(points: Sequence[SweepPoint]) -> list[list[CellLike]]:
    """The report's table: the values set, then the overall KPIs ±CI."""
    rows: list[list[CellLike]] = []
    for p in points:
        row: list[CellLike] = [str(v) for v in p.values.values()]
        for key, _ in SWEEP_COLUMNS:
            stat = p.overall[key]
            sl = stat.mean if key == "service_level" else None
            miss = sl is not None and sl < p.target.service_level
            row.append(Cell(*mean_and_half(stat, key, precise=True), "miss" if miss else ""))
        if p.by_interval:
            low = p.below_target()
            text = f"{len(low)} of {len(p.by_interval)}" if low else "none"
            starts = [r.start for r in p.by_interval]
            where = time_ranges(starts, [r in low for r in p.by_interval])
            row.append(Cell(text, where, "miss" if low else ""))
        row.append(f"{p.cost.counter_hours_day:,.2f}")
        cost = p.cost.cost_week
        row.append(f"{p.cost.fte:.1f}" + ("" if cost is None else f" / {cost:,.0f}"))
        rows.append(row)
    return rows


def write_sweep_report(
    points: Sequence[SweepPoint],
    hall: str,
    name: str | None,
    replications: int,
    seed: int,
    out_dir: Path,
    command_line: str,
) -> Path:
    """Write ``out_dir/sweep.html``; returns its path."""
    paths = list(points[0].values)
    page = Page(
        "sweep",
        "sweep",
        hall,
        name,
        command_line,
        seed,
        facts=[
            ("Swept", ", ".join(paths)),
            ("Grid points", str(len(points))),
            ("Replications", f"{replications} per point, common random numbers"),
        ],
    )
    verdict = sweep_verdict(points, replications)
    page.verdict(verdict.line, verdict.behind, good=verdict.good)
    page.note(
        "Each KPI is the mean over replications ± the half-width of its 95% CI (Student t). "
        "Waits in minutes; SL: the share of all arrivals called within the target wait, red "
        "below target."
    )
    page.section("Grid")
    header = [*paths, *(h for _, h in SWEEP_COLUMNS)]
    if points[0].by_interval:
        header.append("intervals below target")
    cost = " / ".join(["FTE", f"{points[0].cost.currency} a week"][: 1 + any(
        p.cost.cost_week is not None for p in points)])  # fmt: skip
    header += ["counter-h a day", cost]
    page.table("grid", header, sweep_rows(points), left=len(paths))
    with plot_style() as font:
        cjk = font is not None
        page.section("Plots")
        page.figure(
            "sweep",
            sweep_figure(points, hall, name, cjk),
            f"Service level and mean wait against {paths[0]}"
            + (f", one line per value of {', '.join(paths[1:])}" if len(paths) > 1 else "")
            + ": mean over replications with its 95% CI band.",
        )
        by_interval = intervals_figure(points, hall, name, cjk)
        if by_interval is not None:
            page.figure(
                "sweep-intervals",
                by_interval,
                "Service level per arrival interval at each grid point (mean over "
                "replications); the target dashed.",
            )
    return page.write(out_dir)
