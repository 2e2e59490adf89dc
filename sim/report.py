"""The planner's report: ``report.html`` with PNG plots beside it, built from an
experiment's KPIs (per-replication curves and histograms, and the aggregated
summary), never from the model.

Every interval shown is a 95% confidence interval for the mean over
replications (Student t). Plots use matplotlib's Agg backend, imported only
when a report is written, so that ``import sim`` stays light.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.calendar import intervals
from sim.experiment import Experiment
from sim.kpis import KPI_KEYS, WAIT_BINS_S, t_quantile_975
from sim.units import format_clock

if TYPE_CHECKING:
    from matplotlib.axes import Axes

# Fonts with the Chinese glyphs of the display names, in order of preference.
CJK_FONTS = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei", "Droid Sans Fallback", "Microsoft YaHei", "SimHei", "PingFang SC",
)  # fmt: skip
BLUE, WARN, GREY = "#3b6ea8", "#d9534f", "#555555"
_RATES = ("service_level", "abandon_rate", "utilisation")
_LABELS = {
    "arrivals": "Arrivals", "served": "Served", "abandoned": "Abandoned", "balked": "Balked",
    "unserved": "Not served by the end", "wait_mean_s": "Mean wait",
    "wait_p50_s": "Median wait", "wait_p90_s": "90th percentile wait",
    "wait_p95_s": "95th percentile wait", "service_level": "Service level",
    "abandon_rate": "Abandonment rate", "queue_mean": "Mean queue (customers)",
    "queue_max": "Max queue (customers)", "utilisation": "Counter utilisation",
}  # fmt: skip
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


def write_report(experiment: Experiment, summary: dict[str, Any], out_dir: Path) -> Path:
    """Write ``report.html`` and its PNG plots into ``out_dir`` (created if
    needed) and return the path of the HTML file. ``summary`` is
    ``experiment.summary()``, as is or in its ``--json`` form (NaN as None)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    font = cjk_font()
    captions = _STATIONARY_CAPTIONS if experiment.scenario.stationary else _CAPTIONS
    plots = {
        "queue.png": _plot_queue,
        "waits.png": _plot_waits,
        "service_level.png": _plot_service_level,
        "utilisation.png": _plot_utilisation,
    }
    with matplotlib.rc_context({"font.size": 10.0}):
        if font is not None:  # DejaVu for Latin, falling back to the CJK font per glyph
            matplotlib.rcParams["font.family"] = ["DejaVu Sans", font]
        for filename, plot in plots.items():
            fig, ax = plt.subplots(figsize=(10, 4.4), dpi=110)
            try:
                plot(ax, experiment, summary, font is not None)
                fig.tight_layout()
                fig.savefig(out_dir / filename)
            finally:
                plt.close(fig)
    path = out_dir / "report.html"
    images = [(name, captions[name]) for name in plots]
    note = _IDS_NOTE if font is None else ""
    path.write_text(_html(experiment, summary, images, note), encoding="utf-8")
    return path


def cjk_font() -> str | None:
    """The first installed font of :data:`CJK_FONTS`, or None."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def segment_labels(experiment: Experiment, cjk: bool) -> dict[str, str]:
    """Segment id -> plot label: the display name when a CJK font can draw it,
    else the id (the HTML tables give the names)."""
    segments = experiment.scenario.segments.items()
    return {key: (seg.name or key) if cjk else key for key, seg in segments}


def mean_ci(curves: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean over replications (axis 0) and the Student-t 95% interval of the
    mean; the interval is NaN with fewer than two replications."""
    n = curves.shape[0]
    mean = curves.mean(axis=0)
    if n < 2:
        nan = np.full_like(mean, math.nan)
        return mean, nan, nan
    half = t_quantile_975(n - 1) * curves.std(axis=0, ddof=1) / math.sqrt(n)
    return mean, mean - half, mean + half


def _title(experiment: Experiment, what: str, cjk: bool) -> str:
    scn = experiment.scenario
    name = f" {scn.name}" if cjk and scn.name else ""
    return f"{scn.hall}{name} — {what}, {len(experiment.replications)} replications"


def _time_axis(ax: Axes, experiment: Experiment, lo_h: float, hi_h: float) -> None:
    """Hours on the x axis: clock time HH:MM for a day, hours run for a stationary run."""
    from matplotlib.ticker import FuncFormatter, MultipleLocator

    ax.set_xlim(lo_h, hi_h)
    if experiment.scenario.stationary:
        ax.set_xlabel("time since start of run (h; statistics after the warm-up)")
        return
    span_h = hi_h - lo_h
    step_h = next((s for s in (0.5, 1, 2, 3, 4, 6, 12) if span_h / s <= 13), 24)
    ax.xaxis.set_major_locator(MultipleLocator(step_h))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda h, _: format_clock(h * 3600.0)))
    ax.set_xlabel(f"time of day ({experiment.scenario.timezone})")


def _plot_queue(ax: Axes, experiment: Experiment, summary: dict[str, Any], cjk: bool) -> None:
    reps = experiment.replications
    t_h = reps[0].curve_t_s / 3600.0
    mean, lo, hi = mean_ci(np.stack([rep.queue_curve for rep in reps]))
    ax.fill_between(t_h, lo, hi, step="post", color=BLUE, alpha=0.25, lw=0, label="95% CI")
    ax.step(t_h, mean, where="post", color=BLUE, lw=1.5, label="mean over replications")
    _time_axis(ax, experiment, float(t_h[0]), float(t_h[-1]))
    ax.set_ylim(bottom=0)
    ax.set_ylabel("customers waiting for a counter")
    ax.set_title(_title(experiment, "queue length (mean, 95% CI)", cjk))
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")


def _plot_waits(ax: Axes, experiment: Experiment, summary: dict[str, Any], cjk: bool) -> None:
    scn = experiment.scenario
    labels = segment_labels(experiment, cjk)
    target_min = scn.target.wait / 60.0
    upper_min = WAIT_BINS_S[1:-1] / 60.0  # "called within x min" at each finite bin edge
    x_max, drawn = 2.0 * target_min, 0
    for name in experiment.replications[0].wait_hist:
        counts = np.sum([rep.wait_hist[name] for rep in experiment.replications], axis=0)
        total = counts.sum()
        if total == 0:
            continue
        cdf = np.cumsum(counts)[:-1] / total
        ax.plot(upper_min, cdf, lw=1.6, label=f"{labels[name]} (n={total:,})")
        drawn += 1
        below = upper_min[cdf < 0.995]
        x_max = max(x_max, float(below[-1]) + 5 if len(below) else x_max)
    ax.axvline(target_min, color=GREY, ls="--", lw=1, label=f"target wait {target_min:g} min")
    sl = scn.target.service_level
    ax.axhline(sl, color=GREY, ls=":", lw=1, label=f"target share {sl:.0%}")
    ax.set_xlim(0, min(math.ceil(x_max / 10) * 10, float(upper_min[-1])))
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(_percent())
    ax.set_xlabel("wait until called x (min)")
    ax.set_ylabel("served customers called within x")
    ax.set_title(_title(experiment, "wait distribution by segment", cjk))
    ax.grid(alpha=0.3)
    if drawn:
        ax.legend(loc="lower right")
    else:
        ax.text(0.5, 0.5, "no served customers", ha="center", transform=ax.transAxes)


def _percent() -> Any:
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(xmax=1.0, decimals=0)


def _stat(stat: dict[str, Any]) -> tuple[float, float, float]:
    """(mean, lo, hi) of a summary entry ``{"mean", "ci95"}``, NaN where unknown."""
    values = (stat["mean"], *stat["ci95"])
    mean, lo, hi = (math.nan if v is None else float(v) for v in values)
    return mean, lo, hi


def _share_bars(
    ax: Axes,
    experiment: Experiment,
    summary: dict[str, Any],
    key: str,
    cjk: bool,
    floor: float | None = None,
) -> bool:
    """Bars of the share KPI ``key`` (mean, CI error bars where known): per
    interval over the day or, for a stationary run, per segment and for all;
    bars below ``floor`` in the warning colour, CI bars cut at 0 and 1. True if
    per interval."""
    if summary["by_interval"]:
        spans = intervals(experiment.scenario)
        x = [(lo + hi) / 7200.0 for lo, hi in spans]
        width = experiment.scenario.interval / 3600.0
        stats = [_stat(row[key]) for row in summary["by_interval"]]
        _time_axis(ax, experiment, x[0] - width / 2, x[-1] + width / 2)
    else:
        names = [*summary["by_segment"], "all"]
        tables = summary["by_segment"] | {"all": summary["overall"]}
        stats = [_stat(tables[n][key]) for n in names]
        x, width = list(range(len(names))), 0.6
        labels = segment_labels(experiment, cjk) | {"all": "all"}
        ax.set_xticks(x, [labels[n] for n in names])
        ax.set_xlabel("segment (after the warm-up)")
    mean = np.array([s[0] for s in stats])
    # a t interval of a share near 0 or 1 can pass it: cut the bars where shares end
    err = np.array([[m - max(lo, 0.0), min(hi, 1.0) - m] for m, lo, hi in stats]).T
    colours = [WARN if floor is not None and m < floor else BLUE for m in mean]
    if not summary["by_interval"] and colours[-1] == BLUE:
        colours[-1] = GREY  # "all" apart from the segments
    ax.bar(x, np.nan_to_num(mean), width=0.85 * width, color=colours, alpha=0.85)
    ax.errorbar(x, mean, yerr=np.nan_to_num(err), fmt="none", ecolor="#333", lw=0.9, capsize=2)
    ax.set_ylim(0, 1.05)
    ax.yaxis.set_major_formatter(_percent())
    ax.grid(axis="y", alpha=0.3)
    return bool(summary["by_interval"])


def _plot_service_level(
    ax: Axes, experiment: Experiment, summary: dict[str, Any], cjk: bool
) -> None:
    target = experiment.scenario.target
    if _share_bars(ax, experiment, summary, "service_level", cjk, target.service_level):
        ax.set_xlabel(ax.get_xlabel() + ", by arrival interval")
    ax.axhline(target.service_level, color=GREY, ls="--", lw=1)
    ax.text(
        1.0,
        target.service_level,
        f" target {target.service_level:.0%}",
        color=GREY,
        va="center",
        transform=ax.get_yaxis_transform(),
        fontsize=9,
    )
    ax.set_ylabel(f"called within {target.wait / 60:g} min (mean, 95% CI)")
    ax.set_title(_title(experiment, "service level (mean, 95% CI; red: below target)", cjk))


def _plot_utilisation(ax: Axes, experiment: Experiment, summary: dict[str, Any], cjk: bool) -> None:
    if _share_bars(ax, experiment, summary, "utilisation", cjk):
        ax.set_ylabel("busy share of staffed counter time")
        what = "counter utilisation by interval"
    else:
        ax.set_ylabel("share of staffed counter time")
        what = "counter time spent on each segment"
    ax.set_title(_title(experiment, what + " (mean, 95% CI)", cjk))


# --- HTML -------------------------------------------------------------------


def format_value(value: float, key: str) -> str:
    """One value of KPI ``key`` as text: waits (``*_s``) in minutes, rates in %."""
    if key.endswith("_s"):
        text = f"{value / 60:.1f}"
    elif key in _RATES:
        text = f"{value:.1%}"
    else:
        text = f"{value:,.1f}"
    # a t interval of a KPI near zero can dip below it: "-0.0" would read as a sign error
    return text[1:] if text.startswith("-") and not any(c in "123456789" for c in text) else text


def format_stat(stat: dict[str, Any], key: str) -> tuple[str, str, str]:
    """(mean, 95% CI ``lo – hi``, CI half-width ``±h``) of a summary entry as
    text, ``–`` where unknown: waits in minutes, rates in %."""
    mean, lo, hi = _stat(stat)
    if math.isnan(mean):
        return "–", "–", ""
    if math.isnan(lo):
        return format_value(mean, key), "–", ""
    ci = f"{format_value(lo, key)} – {format_value(hi, key)}"
    return format_value(mean, key), ci, "±" + format_value((hi - lo) / 2, key)


def _e(value: object) -> str:
    return html.escape(str(value))


def _name_cell(key: str, name: str | None) -> str:
    label = f' <span lang="zh">{_e(name)}</span>' if name and name != key else ""
    return f"<td>{_e(key)}{label}</td>"


def _cells(table: dict[str, Any], sl_target: float) -> str:
    out = []
    for key, _ in _COLUMNS:
        mean, _, half = format_stat(table[key], key)
        sl = table[key]["mean"]
        cls = " class=miss" if key == "service_level" and sl is not None and sl < sl_target else ""
        out.append(f"<td{cls}>{_e(mean)}<span class=ci> {_e(half)}</span></td>")
    return "".join(out)


def _breakdown(
    first: str, rows: Sequence[tuple[str, str | None, dict[str, Any]]], sl: float
) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for _, h in _COLUMNS)
    body = "".join(f"<tr>{_name_cell(k, n)}{_cells(t, sl)}</tr>" for k, n, t in rows)
    return f"<table><tr><th>{_e(first)}</th>{head}</tr>{body}</table>"


def _overall(table: dict[str, Any], sl: float) -> str:
    rows = []
    for key in KPI_KEYS:
        mean, ci, _ = format_stat(table[key], key)
        unit = " (min)" if key.endswith("_s") else ""
        value = table[key]["mean"]
        cls = " class=miss" if key == "service_level" and value is not None and value < sl else ""
        rows.append(
            f"<tr><td>{_e(_LABELS[key] + unit)}</td><td{cls}>{_e(mean)}</td>"
            f"<td class=ci>{_e(ci)}</td></tr>"
        )
    return f"<table><tr><th>KPI</th><th>mean</th><th>95% CI</th></tr>{''.join(rows)}</table>"


def _html(
    experiment: Experiment, summary: dict[str, Any], images: list[tuple[str, str]], note: str
) -> str:
    scn = experiment.scenario
    sl, wait_min = float(summary["target"]["service_level"]), summary["target"]["wait_s"] / 60
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
        ("Replications", summary["replications"]),
        ("Seed", summary["seed"]),
        ("Target", f"{sl:.0%} called within {wait_min:g} min"),
        ("Time zone", summary["timezone"]),
        ("Period", period),
    ]
    segments = [(k, scn.segments[k].name, t) for k, t in summary["by_segment"].items()]
    services = [(k, scn.services[k].name, t) for k, t in summary["by_service"].items()]
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
        "<h2>Overall</h2>" + _overall(summary["overall"], sl),
        "<h2>By segment</h2>" + _breakdown("segment", segments, sl),
        "<h2>By service</h2>" + _breakdown("service", services, sl),
    ]
    if summary["kiosk"]["arrivals"]["mean"]:
        kiosks = [("kiosk users", None, summary["kiosk"])]
        parts.append("<h2>Kiosks</h2>" + _breakdown("", kiosks, sl))
    parts.append(f"<h2>Plots</h2><p class=note>{_e(note)}</p>" if note else "<h2>Plots</h2>")
    for filename, caption in images:
        parts.append(
            f'<figure><img src="{_e(filename)}" alt="{_e(caption)}">'
            f"<figcaption>{_e(caption)}</figcaption></figure>"
        )
    if summary["by_interval"]:
        rows = [(row["start"], None, row) for row in summary["by_interval"]]
        parts.append("<h2>By interval (arrival time)</h2>" + _breakdown("start", rows, sl))
    parts.append("</body></html>\n")
    return "\n".join(parts)
