"""Terminal tables (rich) of KPI summaries: ``hallsim run``'s breakdowns, the
what-if comparison and the sweep grid. Every cell goes through
:mod:`sim.reports.kpi_text`, so units and rounding agree everywhere."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.console import Console

from sim.model.remote import REMOTE_KEYS
from sim.model.summary import KPI_KEYS, KpiStats, Target
from sim.planning.whatif import CompareResult, Difference, SweepPoint
from sim.reports.kpi_text import format_stat, format_value, label, mean_and_half
from sim.reports.tables import Table
from sim.reports.verdicts import Verdict, run_verdict
from sim.runs.experiment import RunSummary

# (key, header, show the CI half-width) of the breakdown and sweep tables
COLUMNS = (
    ("arrivals", "arrivals", False),
    ("served", "served", False),
    ("abandoned", "aband.", False),
    ("balked", "balked", False),
    ("wait_mean_s", "wait", True),
    ("wait_p90_s", "p90", True),
    ("service_level", "SL", True),
    ("queue_mean", "queue", False),
    ("utilisation", "util", False),
)
_SWEEP_KEYS = ("arrivals", "abandoned", "wait_mean_s", "wait_p90_s", "service_level",
               "queue_mean", "utilisation")  # fmt: skip
CAPTION = (
    "wait, p90: minutes (mean ±95% CI half-width); SL: share called within {wait:g} min "
    "(red below {sl:.0%}); queue: mean customers waiting; util: counter utilisation"
)


def _sl_cell(stats: KpiStats, key: str, cell: str, target: Target) -> str:
    sl = stats["service_level"].mean
    if key == "service_level" and sl is not None and sl < target.service_level:
        return f"[red]{cell}[/]"
    return cell


def breakdown_table(
    title: str,
    first: str,
    rows: Sequence[tuple[str, KpiStats]],
    target: Target,
    columns: Sequence[tuple[str, str, bool]] = COLUMNS,
) -> Table:
    """One row per ``(name, KPI table)``: the usual columns, the service level in
    red below target."""
    caption = CAPTION.format(wait=target.wait_s / 60, sl=target.service_level)
    table = Table(title=title, title_justify="left", header_style="bold", caption=caption)
    table.add_column(first, no_wrap=True)
    for _, header, _ in columns:
        table.add_column(header, justify="right", no_wrap=True)
    for name, stats in rows:
        cells = [
            _sl_cell(stats, key, format_stat(stats[key], key, with_ci=with_ci), target)
            for key, _, with_ci in columns
        ]
        table.add_row(name, *cells)
    return table


def print_run(out: Console, summary: RunSummary, labels: Mapping[str, str]) -> None:
    """``hallsim run``'s tables: by interval, segment, service, and the whole day."""
    target, kpis = summary.target, summary.kpis
    print_verdict(out, summary.scenario, run_verdict(summary))
    if kpis.by_interval:
        rows = [(row.start, row.kpis) for row in kpis.by_interval]
        out.print(breakdown_table("By interval (arrival time)", "start", rows, target))
    seg_rows = [(labels.get(name, name), s) for name, s in kpis.by_segment.items()]
    out.print(breakdown_table("By segment", "segment", seg_rows, target))
    svc_rows = [(labels.get(name, name), s) for name, s in kpis.by_service.items()]
    out.print(breakdown_table("By service", "service", svc_rows, target))
    whole = "Whole day" if kpis.by_interval else "Whole run (after warm-up)"
    out.print(breakdown_table(whole, "", [("all", kpis.overall)], target))
    kiosk = kpis.kiosk
    if kiosk["arrivals"].mean:
        out.print(
            f"Kiosks: {format_stat(kiosk['arrivals'], 'arrivals', with_ci=False)} users, mean "
            f"wait {format_stat(kiosk['wait_mean_s'], 'wait_mean_s')} min, utilisation "
            f"{format_stat(kiosk['utilisation'], 'utilisation', with_ci=False)}"
        )
    if kpis.remote is not None:
        out.print(remote_table(kpis.remote))


REMOTE_CAPTION = (
    "tickets taken before coming, in the statistics window: mean ±95% CI half-width. "
    "Waits of the served, in minutes, from the ticket and from check-in at the hall; "
    "saved: how far the ticket's place advanced before its holder came; no-shows: "
    "never served after a call while away or giving up"
)


def remote_table(remote: KpiStats) -> Table:
    """``hallsim run``'s remote-ticket KPIs (:mod:`sim.model.remote`), one per row."""
    table = Table(
        title="Remote tickets", title_justify="left", header_style="bold", caption=REMOTE_CAPTION
    )
    table.add_column("KPI", no_wrap=True)
    table.add_column("mean", justify="right", no_wrap=True)
    for key in REMOTE_KEYS:
        table.add_row(label(key), format_stat(remote[key], key))
    return table


def print_verdict(out: Console, hall: str, verdict: Verdict) -> None:
    """The report's answer first: ``hall: line`` in bold (green, or red when not
    good news), then the numbers behind it, indented."""
    colour = "green" if verdict.good else "red"
    out.print(f"[bold {colour}]{hall}:[/] [bold]{verdict.line}[/]", highlight=False, soft_wrap=True)
    for line in verdict.behind:
        out.print(f"  {line}", highlight=False, soft_wrap=True)


def difference_cell(diff: Difference, key: str) -> str:
    """``+1.2±0.3 (±0.9)``: the paired difference, its CI half-width and the
    unpaired one; bold with ``*`` when the paired CI excludes 0."""
    paired = diff.paired
    if paired.mean is None:
        return "–"
    cell = "".join(mean_and_half(paired, key, signed=True))
    lo, hi = diff.welch_ci95
    welch = "–" if lo is None or hi is None else "±" + format_value((hi - lo) / 2, key)
    if lo is not None and lo == hi:
        welch = "no spread"
    cell += f" ({welch.rstrip('%')})"
    return f"[bold]{cell} *[/]" if paired.excludes_zero() else cell


def compare_table(result: CompareResult) -> Table:
    """One row per KPI (its name and unit), a column per scenario and per difference."""
    scenarios, diffs = result.scenarios, result.differences
    table = Table(
        title=f"{len(scenarios)} scenarios, {result.replications} replications each, "
        f"seed {result.seed} (common random numbers)",
        title_justify="left",
        header_style="bold",
        caption=f"mean ±95% CI half-width. Δ: paired difference against {scenarios[0].label} "
        "±CI (unpaired Welch ±CI in brackets; shares in percentage points); * the paired CI "
        "excludes 0",
    )
    table.add_column("KPI")  # a long name wraps on a narrow terminal, the numbers stay whole
    for scn in scenarios:
        table.add_column(scn.label, justify="right", no_wrap=True)
    for diff in diffs:
        table.add_column(f"Δ {diff.label}", justify="right", no_wrap=True)
    for key in KPI_KEYS:
        cells = [format_stat(scn.kpis.overall[key], key) for scn in scenarios]
        cells += [difference_cell(diff.overall[key], key) for diff in diffs]
        table.add_row(label(key), *cells)
    if any(scn.kpis.remote is not None for scn in scenarios):
        table.add_section()
        for key in REMOTE_KEYS:
            cells = [
                format_stat(scn.kpis.remote[key], key) if scn.kpis.remote is not None else "–"
                for scn in scenarios
            ]
            cells += [
                difference_cell(diff.remote[key], key) if diff.remote is not None else "–"
                for diff in diffs
            ]
            table.add_row(f"remote: {label(key)}", *cells)
    return table


def sweep_table(hall: str, paths: Sequence[str], points: Sequence[SweepPoint]) -> Table:
    """One row per grid point: the values set, then the overall KPIs."""
    columns = [c for c in COLUMNS if c[0] in _SWEEP_KEYS]
    table = Table(
        title=f"{hall}: {len(points)} grid points",
        title_justify="left",
        header_style="bold",
        caption="wait, p90: minutes (mean ±95% CI half-width); SL: share called within the "
        "target wait (red below target); queue: mean customers waiting; util: utilisation; "
        "below: intervals whose mean service level misses the target; ctr-h/day: "
        "counter-hours a day",
    )
    for path in paths:
        table.add_column(path, justify="right", no_wrap=True)
    for _, header, _ in columns:
        table.add_column(header, justify="right", no_wrap=True)
    intervals = bool(points and points[0].by_interval)
    if intervals:
        table.add_column("below", justify="right", no_wrap=True)
    table.add_column("ctr-h/day", justify="right", no_wrap=True)
    costs = any(p.cost.cost_week is not None for p in points)
    if costs:
        table.add_column(f"{points[0].cost.currency}/week", justify="right", no_wrap=True)
    for point in points:
        cells = [str(point.values[path]) for path in paths]
        cells += [
            _sl_cell(
                point.overall, key, format_stat(point.overall[key], key, with_ci=ci), point.target
            )
            for key, _, ci in columns
        ]
        if intervals:
            low = len(point.below_target())
            cells.append(f"[red]{low} of {len(point.by_interval)}[/]" if low else "none")
        cells.append(f"{point.cost.counter_hours_day:,.1f}")
        if costs:
            cost = point.cost.cost_week
            cells.append("–" if cost is None else f"{cost:,.0f}")
        table.add_row(*cells)
    return table
