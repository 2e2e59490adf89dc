"""``hallsim run``'s report: ``DIR/run.html`` (:mod:`sim.reports.page`) with
the KPI tables and the plots of :mod:`sim.reports.plots`, built from an
experiment's KPIs, never from the model.

Every interval shown is a 95% confidence interval for the mean over
replications (Student t).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sim.model.remote import REMOTE_KEYS
from sim.model.summary import KPI_KEYS, KpiStats
from sim.model.units import format_clock
from sim.reports.kpi_text import format_interval, label, mean_and_half
from sim.reports.page import Cell, CellLike, Page
from sim.reports.plots import run_figures
from sim.reports.style import plot_style
from sim.reports.verdicts import run_verdict
from sim.runs.experiment import Experiment, RunSummary

# (key, column header) of the by-segment, by-service and by-interval tables
COLUMNS = (
    ("arrivals", "arrivals"), ("served", "served"), ("abandoned", "aband."),
    ("wait_mean_s", "wait (min)"), ("wait_p90_s", "p90 (min)"), ("service_level", "SL"),
    ("abandon_rate", "aband. rate"), ("queue_mean", "queue"), ("utilisation", "util."),
)  # fmt: skip
_IDS_NOTE = "The plots name segments by id (no font with Chinese glyphs is installed)."
CAPTIONS = {
    "queue": "Customers waiting for a counter (kiosk users apart), each minute: mean over "
    "replications with its 95% CI band.",
    "waits": "Share of served customers called within x minutes, all replications pooled "
    "(1-minute bins, joined from 0). Customers who gave up are not in these curves, which "
    "therefore lie above the service level.",
    "service-level": "Service level by arrival interval; red below target (CI bars cut "
    "at 0 and 100%).",
    "utilisation": "Counter busy time over staffed time by interval, kiosks apart (CI bars "
    "cut at 0 and 100%).",
}
_STATIONARY_CAPTIONS = CAPTIONS | {
    "service-level": "Service level by segment and overall; red below target (CI bars cut "
    "at 0 and 100%).",
    "utilisation": "Share of the counters' staffed time spent on each segment; all: "
    "utilisation (CI bars cut at 0 and 100%).",
}


def kpi_cell(stats: KpiStats, key: str, sl_target: float) -> Cell:
    """A KPI's mean with its ±CI half-width; the service level red below target."""
    stat = stats[key]
    sl = stat.mean
    miss = key == "service_level" and sl is not None and sl < sl_target
    return Cell(*mean_and_half(stat, key, precise=True), "miss" if miss else "")


def breakdown_rows(
    rows: Sequence[tuple[str, KpiStats]], sl_target: float
) -> list[list[Cell | str]]:
    """One row per ``(name, KPI table)``: the name, then the :data:`COLUMNS`."""
    return [[name, *(kpi_cell(t, key, sl_target) for key, _ in COLUMNS)] for name, t in rows]


REMOTE_NOTE = (
    "Customers who took their ticket before coming (arrivals.remote), ticket taken in the "
    "statistics window. Waits of the served: from the ticket, and from check-in at the hall. "
    "Time saved: how far the ticket's place advanced before its holder came. No-shows: never "
    "served after a call while away (the hall's early-call rule) or giving up. Holders on the "
    "way: time-average number of live remote tickets whose holder is not yet in the hall. The "
    "tables above count waits from the ticket and the queue in the hall."
)


def _kpi_rows(stats: KpiStats, keys: Sequence[str], sl_target: float) -> list[list[CellLike]]:
    """One row per KPI: its name, mean ±CI half-width and 95% CI."""
    return [
        [
            label(key),
            kpi_cell(stats, key, sl_target),
            Cell(format_interval(stats[key], key, precise=True), cls="ci"),
        ]
        for key in keys
    ]


def _named(key: str, name: str | None) -> str:
    return f"{key} {name}" if name and name != key else key


def write_report(
    experiment: Experiment, summary: RunSummary, out_dir: Path, command_line: str
) -> Path:
    """Write ``out_dir/run.html`` (``out_dir`` created if needed) and return its
    path. ``summary`` is ``experiment.summary()``; ``command_line`` reproduces it."""
    scn, kpis = experiment.scenario, summary.kpis
    sl, wait_min = summary.target.service_level, summary.target.wait_s / 60
    if scn.horizon is not None:
        period = (
            f"stationary run: {scn.horizon.duration / 3600:g} h of statistics after a "
            f"{scn.horizon.warmup / 3600:g} h warm-up"
        )
    else:
        period = (
            f"one day {format_clock(scn.open)}–{format_clock(scn.close)}, "
            f"{scn.interval / 60:g} min intervals"
        )
    page = Page(
        "run",
        "simulated day" if scn.horizon is None else "stationary run",
        scn.hall,
        scn.name,
        command_line,
        summary.seed,
        facts=[
            ("Replications", str(summary.replications)),
            ("Target", f"{sl:.0%} called within {wait_min:g} min"),
            ("Time zone", summary.timezone),
            ("Period", period),
        ],
    )
    verdict = run_verdict(summary)
    page.verdict(verdict.line, verdict.behind, good=verdict.good)
    page.note(
        "Confidence intervals are 95% intervals for the mean over replications, Student t: "
        "mean ± t(0.975, n−1)·s/√n, s the standard deviation across the n replications (± "
        "shows the half-width; none with fewer than two values or when every replication "
        "gave the same value), cut where the KPI ends: shares at 0 and 100%, counts, waits "
        "and queues at 0. Waits in minutes; service level (SL) is the share of all arrivals, "
        f"abandoned and balked included, called within {wait_min:g} min; red: below {sl:.0%}."
    )
    page.section("Overall")
    page.table("overall", ["KPI", "mean", "95% CI"], _kpi_rows(kpis.overall, KPI_KEYS, sl))
    header = [h for _, h in COLUMNS]
    segments = [(_named(k, scn.segments[k].name), t) for k, t in kpis.by_segment.items()]
    services = [(_named(k, scn.services[k].name), t) for k, t in kpis.by_service.items()]
    page.section("By segment")
    page.table("by-segment", ["segment", *header], breakdown_rows(segments, sl))
    page.section("By service")
    page.table("by-service", ["service", *header], breakdown_rows(services, sl))
    if kpis.kiosk["arrivals"].mean:
        page.section("Kiosks")
        page.table("kiosk", ["", *header], breakdown_rows([("kiosk users", kpis.kiosk)], sl))
    if kpis.remote is not None:
        page.section("Remote tickets", REMOTE_NOTE)
        page.table("remote", ["KPI", "mean", "95% CI"], _kpi_rows(kpis.remote, REMOTE_KEYS, sl))
    captions = _STATIONARY_CAPTIONS if scn.stationary else CAPTIONS
    with plot_style() as font:
        page.section("Plots", "" if font is not None else _IDS_NOTE)
        for name, fig in run_figures(experiment, kpis, font is not None):
            page.figure(name, fig, captions[name])
    if kpis.by_interval:
        rows = [(row.start, row.kpis) for row in kpis.by_interval]
        page.section("By interval (arrival time)")
        page.table("by-interval", ["start", *header], breakdown_rows(rows, sl))
    return page.write(out_dir)
