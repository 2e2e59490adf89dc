"""The planner's report: ``report.html`` with PNG plots beside it, built from an
experiment's KPIs (per-replication curves and histograms, and the aggregated
summary), never from the model. The plots are drawn by :mod:`sim.reports.plots`.

Every interval shown is a 95% confidence interval for the mean over
replications (Student t).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from sim.model.summary import KPI_KEYS, KpiStats
from sim.model.units import format_clock
from sim.reports.kpi_text import format_interval, format_stat, half_width, label
from sim.reports.plots import cjk_font, write_plots
from sim.runs.experiment import Experiment, RunSummary

# (key, column header) of the by-segment, by-service and by-interval tables
_COLUMNS = (
    ("arrivals", "arrivals"), ("served", "served"), ("abandoned", "aband."),
    ("wait_mean_s", "wait (min)"), ("wait_p90_s", "p90 (min)"), ("service_level", "SL"),
    ("abandon_rate", "aband. rate"), ("queue_mean", "queue"), ("utilisation", "util."),
)  # fmt: skip
_IDS_NOTE = "The plots name segments by id (no font with Chinese glyphs is installed)."
_CAPTIONS = {
    "queue.png": "Customers waiting for a counter (kiosk users apart), each minute: mean over "
    "replications with its 95% CI band.",
    "waits.png": "Share of served customers called within x minutes, all replications pooled "
    "(1-minute bins). Customers who gave up are not in these curves, which therefore lie "
    "above the service level.",
    "service_level.png": "Service level by arrival interval; red below target (CI bars cut "
    "at 0 and 100%).",
    "utilisation.png": "Counter busy time over staffed time by interval, kiosks apart (CI bars "
    "cut at 0 and 100%).",
}
_STATIONARY_CAPTIONS = _CAPTIONS | {
    "service_level.png": "Service level by segment and overall; red below target (CI bars cut "
    "at 0 and 100%).",
    "utilisation.png": "Share of the counters' staffed time spent on each segment; all: "
    "utilisation (CI bars cut at 0 and 100%).",
}
_CSS = """
body{font-family:system-ui,"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;
max-width:72rem;margin:2rem auto;padding:0 1rem;color:#222;line-height:1.4}
h1{margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:1px solid #ddd}
dl{display:grid;grid-template-columns:max-content auto;gap:.1rem 1rem}dt{color:#666}
table{border-collapse:collapse;font-size:.9rem;margin:.5rem 0}
th,td{padding:.2rem .6rem;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}th{background:#f4f4f4}
.ci{color:#888;font-size:.8rem}.miss{color:#c9302c;font-weight:600}.note{color:#555}
figure{margin:1rem 0}img{max-width:100%;border:1px solid #eee}figcaption{color:#555}
"""


def write_report(experiment: Experiment, summary: RunSummary, out_dir: Path) -> Path:
    """Write ``report.html`` and its PNG plots into ``out_dir`` (created if
    needed) and return the path of the HTML file. ``summary`` is
    ``experiment.summary()``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    font = cjk_font()
    captions = _STATIONARY_CAPTIONS if experiment.scenario.stationary else _CAPTIONS
    names = write_plots(experiment, summary.kpis, out_dir, font)
    path = out_dir / "report.html"
    images = [(name, captions[name]) for name in names]
    note = _IDS_NOTE if font is None else ""
    path.write_text(_html(experiment, summary, images, note), encoding="utf-8")
    return path


def _e(value: object) -> str:
    return html.escape(str(value))


def _name_cell(key: str, name: str | None) -> str:
    label = f' <span lang="zh">{_e(name)}</span>' if name and name != key else ""
    return f"<td>{_e(key)}{label}</td>"


def _cells(table: KpiStats, sl_target: float) -> str:
    out = []
    for key, _ in _COLUMNS:
        stat = table[key]
        mean = format_stat(stat, key, with_ci=False, precise=True)
        half = half_width(stat, key, precise=True)
        sl = table[key].mean
        cls = " class=miss" if key == "service_level" and sl is not None and sl < sl_target else ""
        out.append(f"<td{cls}>{_e(mean)}<span class=ci> {_e(half)}</span></td>")
    return "".join(out)


def _breakdown(first: str, rows: Sequence[tuple[str, str | None, KpiStats]], sl: float) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for _, h in _COLUMNS)
    body = "".join(f"<tr>{_name_cell(k, n)}{_cells(t, sl)}</tr>" for k, n, t in rows)
    return f"<table><tr><th>{_e(first)}</th>{head}</tr>{body}</table>"


def _overall(table: KpiStats, sl: float) -> str:
    rows = []
    for key in KPI_KEYS:
        stat = table[key]
        mean = format_stat(stat, key, with_ci=False, precise=True)
        ci = format_interval(stat, key, precise=True)
        value = table[key].mean
        cls = " class=miss" if key == "service_level" and value is not None and value < sl else ""
        rows.append(
            f"<tr><td>{_e(label(key))}</td><td{cls}>{_e(mean)}</td><td class=ci>{_e(ci)}</td></tr>"
        )
    return f"<table><tr><th>KPI</th><th>mean</th><th>95% CI</th></tr>{''.join(rows)}</table>"


def _html(
    experiment: Experiment, summary: RunSummary, images: list[tuple[str, str]], note: str
) -> str:
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
    facts = [
        ("Replications", summary.replications),
        ("Seed", summary.seed),
        ("Target", f"{sl:.0%} called within {wait_min:g} min"),
        ("Time zone", summary.timezone),
        ("Period", period),
    ]
    segments = [(k, scn.segments[k].name, t) for k, t in kpis.by_segment.items()]
    services = [(k, scn.services[k].name, t) for k, t in kpis.by_service.items()]
    parts = [
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(scn.hall)} — hallsim report</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(scn.hall)}" + (f' <span lang="zh">{_e(scn.name)}</span>' if scn.name else ""),
        "</h1><dl>" + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts) + "</dl>",
        "<p class=note>Confidence intervals are 95% intervals for the mean over replications, "
        "Student t: mean ± t<sub>0.975, n−1</sub>·s/√n, s the standard deviation across the n "
        "replications (± shows the half-width; – with fewer than two values). Waits in "
        "minutes; service level (SL) is the share of all arrivals, abandoned and balked "
        f"included, called within {wait_min:g} min; <span class=miss>red</span>: below "
        f"{sl:.0%}.</p>",
        "<h2>Overall</h2>" + _overall(kpis.overall, sl),
        "<h2>By segment</h2>" + _breakdown("segment", segments, sl),
        "<h2>By service</h2>" + _breakdown("service", services, sl),
    ]
    if kpis.kiosk["arrivals"].mean:
        kiosks = [("kiosk users", None, kpis.kiosk)]
        parts.append("<h2>Kiosks</h2>" + _breakdown("", kiosks, sl))
    parts.append(f"<h2>Plots</h2><p class=note>{_e(note)}</p>" if note else "<h2>Plots</h2>")
    for filename, caption in images:
        parts.append(
            f'<figure><img src="{_e(filename)}" alt="{_e(caption)}">'
            f"<figcaption>{_e(caption)}</figcaption></figure>"
        )
    if kpis.by_interval:
        rows = [(row.start, None, row.kpis) for row in kpis.by_interval]
        parts.append("<h2>By interval (arrival time)</h2>" + _breakdown("start", rows, sl))
    parts.append("</body></html>\n")
    return "\n".join(parts)
