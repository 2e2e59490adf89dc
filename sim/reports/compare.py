"""``hallsim compare``'s per-interval view and report: the paired differences
of service level, mean wait and queue per interval of the day, with their 95%
CIs, marked where the CI excludes 0 (a terminal table, a table and plots in
``DIR/compare.html``), beside the whole-day comparison of
:func:`sim.reports.kpi_tables.compare_table`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sim.model.remote import REMOTE_KEYS
from sim.model.summary import KPI_KEYS, KpiStats, Stat
from sim.model.units import parse_clock_s
from sim.planning.whatif import CompareResult, Comparison, Difference, ScenarioResult
from sim.reports.kpi_text import format_stat, format_value, label, mean_and_half
from sim.reports.page import Cell, CellLike, Page
from sim.reports.run import REMOTE_NOTE
from sim.reports.style import (
    GREY,
    clock_axis,
    hall_title,
    new_figure,
    percent_axis,
    plot_style,
    points_axis,
    scenario_colours,
    target_line,
)
from sim.reports.tables import Table
from sim.reports.verdicts import compare_verdict

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# the per-interval differences shown: service level, mean wait, mean queue
INTERVAL_KEYS = ("service_level", "wait_mean_s", "queue_mean")
_SHORT = {"service_level": "SL", "wait_mean_s": "wait (min)", "queue_mean": "queue"}


def _other(result: CompareResult, comparison: Comparison) -> ScenarioResult:
    return next(s for s in result.scenarios if s.label == comparison.label)


def paired_text(diff: Difference, key: str) -> tuple[str, str]:
    """``(+1.2, ±0.3)``: a paired difference in the KPI's unit and its CI half-width."""
    return mean_and_half(diff.paired, key, signed=True, precise=True)


def interval_table(result: CompareResult, comparison: Comparison) -> Table:
    """Terminal table: per interval, the first scenario's service level, mean
    wait and queue, each with the paired difference ±CI of the later scenario,
    bold with ``*`` where it excludes 0."""
    base = result.scenarios[0]
    table = Table(
        title=f"By interval: {comparison.label} − {comparison.against}",
        title_justify="left",
        header_style="bold",
        caption=f"per arrival interval: {comparison.against}'s mean, then Δ the paired "
        f"difference {comparison.label} − {comparison.against} ±95% CI (waits in minutes, "
        "shares in percentage points); * the paired CI excludes 0",
    )
    table.add_column("start", no_wrap=True, min_width=5)
    for key in INTERVAL_KEYS:
        table.add_column(f"{_SHORT[key]}\n{comparison.against}", justify="right", no_wrap=True)
        table.add_column(f"Δ {_SHORT[key]}", justify="right", no_wrap=True)
    for i, row in enumerate(comparison.by_interval):
        cells = [row.start]
        for key in INTERVAL_KEYS:
            cells.append(format_stat(base.kpis.by_interval[i].kpis[key], key, with_ci=False))
            diff = row.kpis[key]
            mean, half = paired_text(diff, key)
            text = mean + half
            cells.append(f"[bold]{text} *[/]" if diff.paired.excludes_zero() else text)
        table.add_row(*cells)
    return table


def significant_starts(comparison: Comparison, key: str) -> list[str]:
    """Starts of the intervals whose paired CI of ``key`` excludes 0."""
    return [row.start for row in comparison.by_interval if row.kpis[key].paired.excludes_zero()]


def _scale(key: str) -> float:
    return 60.0 if key.endswith("_s") else 1.0


def _mean_ci(stat: Stat, scale: float) -> tuple[float, float, float]:
    nan = float("nan")
    mean = nan if stat.mean is None else stat.mean / scale
    lo, hi = (nan if v is None else v / scale for v in stat.ci95)
    return mean, lo, hi


def difference_figure(result: CompareResult, hall: str, name: str | None, cjk: bool) -> Figure:
    """Three panels over the day: the paired difference (later − first) of
    service level, mean wait and queue per interval with 95% CI bars; filled
    markers where the CI excludes 0, hollow where it does not."""
    import numpy as np
    from matplotlib.lines import Line2D

    comparisons = [c for c in result.differences if c.by_interval]
    colours = scenario_colours([s.label for s in result.scenarios])
    interval_h = _interval_h(comparisons[0])
    fig = new_figure(11, 9)
    axes = fig.subplots(3, 1, sharex=True)
    what = "paired difference per interval (95% CI; filled: significant)"
    fig.suptitle(hall_title(hall, name, what, cjk))
    offsets = np.linspace(-0.15, 0.15, len(comparisons)) * interval_h
    for ax, key in zip(axes, INTERVAL_KEYS, strict=True):
        scale = _scale(key)
        for comparison, offset in zip(comparisons, offsets, strict=True):
            colour = colours[comparison.label]
            x = np.array([parse_clock_s(r.start) / 3600 for r in comparison.by_interval])
            stats = [_mean_ci(r.kpis[key].paired, scale) for r in comparison.by_interval]
            mean = np.array([s[0] for s in stats])
            err = np.array([[m - lo, hi - m] for m, lo, hi in stats]).T
            sig = np.array([r.kpis[key].paired.excludes_zero() for r in comparison.by_interval])
            xs = x + interval_h / 2 + offset
            ax.errorbar(
                xs, mean, yerr=np.nan_to_num(err), fmt="none", ecolor=colour, lw=1, capsize=2
            )
            ax.plot(xs[sig], mean[sig], "o", color=colour, ms=6)
            ax.plot(xs[~sig], mean[~sig], "o", mfc="white", mec=colour, ms=6)
        ax.axhline(0, color=GREY, lw=1)
        unit = {
            "service_level": "percentage points",
            "wait_mean_s": "minutes",
            "queue_mean": "customers",
        }[key]
        ax.set_ylabel(f"Δ {label(key).split(' (')[0].lower()}\n({unit})")
        if key == "service_level":
            points_axis(ax)
        ax.grid(alpha=0.3)
    handles = [
        Line2D([], [], color=colours[c.label], marker="o", label=f"{c.label} − {c.against}")
        for c in comparisons
    ]
    handles += [
        Line2D([], [], ls="none", marker="o", color=GREY, label="paired 95% CI excludes 0"),
        Line2D([], [], ls="none", marker="o", mfc="white", mec=GREY, label="CI includes 0"),
    ]
    axes[0].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    start_h = parse_clock_s(comparisons[0].by_interval[0].start) / 3600
    end_h = parse_clock_s(comparisons[0].by_interval[-1].start) / 3600 + interval_h
    clock_axis(axes[-1], start_h, end_h, None)
    axes[-1].set_xlabel("time of day, by arrival interval")
    return fig


def _interval_h(comparison: Comparison) -> float:
    starts = [parse_clock_s(r.start) for r in comparison.by_interval]
    return (starts[1] - starts[0]) / 3600 if len(starts) > 1 else 0.25


def levels_figure(result: CompareResult, hall: str, name: str | None, cjk: bool) -> Figure:
    """Each scenario's service level and mean wait per interval (mean, 95% CI
    band), the target dashed."""
    import numpy as np

    colours = scenario_colours([s.label for s in result.scenarios])
    fig = new_figure(11, 6.4)
    sl_ax, wait_ax = fig.subplots(2, 1, sharex=True)
    fig.suptitle(hall_title(hall, name, "each scenario per interval (mean, 95% CI)", cjk))
    for s in result.scenarios:
        rows = s.kpis.by_interval
        x = np.array([parse_clock_s(r.start) / 3600 for r in rows])
        step = (x[1] - x[0]) if len(x) > 1 else 0.25
        for ax, key in ((sl_ax, "service_level"), (wait_ax, "wait_mean_s")):
            stats = np.array([_mean_ci(r.kpis[key], _scale(key)) for r in rows])
            ax.plot(x + step / 2, stats[:, 0], marker=".", color=colours[s.label], label=s.label)
            ax.fill_between(
                x + step / 2, stats[:, 1], stats[:, 2], color=colours[s.label], alpha=0.15, lw=0
            )
    targets = sorted({s.target.service_level for s in result.scenarios})
    for t in targets:
        target_line(sl_ax, t, f"target {t:.0%}")
    percent_axis(sl_ax)
    sl_ax.set_ylim(0, 1.04)
    sl_ax.set_ylabel("service level")
    wait_ax.set_ylabel("mean wait (min)")
    wait_ax.set_ylim(bottom=0)
    for ax in (sl_ax, wait_ax):
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    rows = result.scenarios[0].kpis.by_interval
    first, last = parse_clock_s(rows[0].start) / 3600, parse_clock_s(rows[-1].start) / 3600
    step = (last - first) / (len(rows) - 1) if len(rows) > 1 else 0.25
    clock_axis(wait_ax, first, last + step, None)
    wait_ax.set_xlabel("time of day, by arrival interval")
    return fig


def welch_text(diff: Difference, key: str) -> str:
    """``±0.9``: the half-width of the unpaired (Welch) 95% CI, or ``–``."""
    lo, hi = diff.welch_ci95
    if lo is None or hi is None:
        return "–"
    if hi == lo:
        return "no spread"
    return "±" + format_value((hi - lo) / 2, key, precise=True).rstrip("%")


def _whole_rows(
    result: CompareResult,
    keys: Sequence[str],
    stats: Sequence[KpiStats | None],
    part: Literal["overall", "remote"],
) -> list[list[CellLike]]:
    """One row per KPI: each scenario's mean ±CI (– without the KPIs), then each
    difference's paired mean ±CI and the Welch ±CI (– where it is not taken)."""
    rows: list[list[CellLike]] = []
    for key in keys:
        row: list[CellLike] = [label(key)]
        row += [
            "–" if table is None else Cell(*mean_and_half(table[key], key, precise=True))
            for table in stats
        ]
        for d in result.differences:
            diffs = d.overall if part == "overall" else d.remote
            if diffs is None:
                row.append("–")
                continue
            diff = diffs[key]
            cell = _diff_cell(diff, key)
            row.append(Cell(cell.text, f"{cell.ci} ({welch_text(diff, key)})", cell.cls))
        rows.append(row)
    return rows


def _diff_cell(diff: Difference, key: str) -> Cell:
    mean, half = paired_text(diff, key)
    return Cell(mean, half, "sig" if diff.paired.excludes_zero() else "")


def write_compare_report(
    result: CompareResult, names: Mapping[str, str | None], out_dir: Path, command_line: str
) -> Path:
    """Write ``out_dir/compare.html``; ``names`` maps each hall id to its display
    name. Returns the path."""
    base = result.scenarios[0]
    hall, name = base.scenario, names.get(base.scenario)
    page = Page(
        "compare",
        "what-if comparison",
        hall,
        name,
        command_line,
        result.seed,
        facts=[
            ("Replications", f"{result.replications} per scenario, common random numbers"),
            *(
                (
                    f"Scenario {s.label}",
                    f"hall {s.scenario}"
                    + (f" {names.get(s.scenario)}" if names.get(s.scenario) else "")
                    + f"; target {s.target.service_level:.0%} "
                    f"within {s.target.wait_s / 60:g} min",
                )
                for s in result.scenarios
            ),
        ],
    )
    verdict = compare_verdict(result)
    page.verdict(verdict.line, verdict.behind, good=verdict.good)
    page.note(
        "Replication r of every scenario sees the same customers (common random numbers), so "
        "each difference is taken replication by replication (paired) and its 95% CI is "
        "Student t over those differences. Bold with *: the paired CI excludes 0. Shares in "
        "percentage points, waits in minutes."
    )
    page.section("Whole day")
    header = ["KPI", *(s.label for s in result.scenarios)]
    header += [f"Δ {d.label} − {d.against} (Welch ±CI)" for d in result.differences]
    overall = [s.kpis.overall for s in result.scenarios]
    page.table("overall", header, _whole_rows(result, KPI_KEYS, overall, "overall"))
    if any(s.kpis.remote is not None for s in result.scenarios):
        page.section("Remote tickets", REMOTE_NOTE)
        remote = [s.kpis.remote for s in result.scenarios]
        page.table("remote", header, _whole_rows(result, REMOTE_KEYS, remote, "remote"))
    comparisons = [d for d in result.differences if d.by_interval]
    if not comparisons:
        page.note("The scenarios' intervals differ, so there is no per-interval comparison.")
        return page.write(out_dir)
    with plot_style() as font:
        cjk = font is not None
        page.section("By interval")
        for d in comparisons:
            marks = "; ".join(
                f"{_SHORT[k]}: {', '.join(significant_starts(d, k)) or 'none'}"
                for k in INTERVAL_KEYS
            )
            page.note(f"{d.label} − {d.against}, significant in the intervals starting: {marks}.")
        page.figure(
            "differences",
            difference_figure(result, hall, name, cjk),
            "Paired difference (later scenario − first) per arrival interval, with its 95% CI: "
            "service level (percentage points), mean wait (minutes), mean queue (customers). "
            "Filled markers: the CI excludes 0.",
        )
        page.figure(
            "levels",
            levels_figure(result, hall, name, cjk),
            "Each scenario's service level and mean wait per arrival interval: mean over "
            "replications with its 95% CI band; the target dashed.",
        )
    for d in comparisons:
        other = _other(result, d)
        head = ["start"]
        groups: list[tuple[str, int]] = [("", 1)]
        for key in INTERVAL_KEYS:
            head += [d.against, d.label, "Δ ±CI"]
            groups.append((label(key), 3))
        body: list[list[CellLike]] = []
        for i, r in enumerate(d.by_interval):
            cells: list[CellLike] = [r.start]
            for key in INTERVAL_KEYS:
                for s in (base, other):
                    stat = s.kpis.by_interval[i].kpis[key]
                    cells.append(format_stat(stat, key, with_ci=False, precise=True))
                cells.append(_diff_cell(r.kpis[key], key))
            body.append(cells)
        page.section(f"By interval: {d.label} − {d.against}")
        page.table(
            f"by-interval-{d.label}",
            head,
            body,
            groups=groups,
            caption="Δ: paired difference ±95% CI; bold with *: the CI excludes 0",
        )
    return page.write(out_dir)
