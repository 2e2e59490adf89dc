"""Plots for the planner's report: PNG files drawn from an experiment's KPIs
(per-replication curves and histograms, and the aggregated summary), never from
the model.

Every interval shown is a 95% confidence interval for the mean over
replications (Student t). Plots use matplotlib's Agg backend, imported only
when plots are drawn, so that ``import sim`` stays light.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.model.calendar import intervals
from sim.model.kpis import WAIT_BINS_S
from sim.model.summary import KpiSummary, Stat, t_quantile_975
from sim.model.units import format_clock
from sim.runs.experiment import Experiment

if TYPE_CHECKING:
    from matplotlib.axes import Axes

# Fonts with the Chinese glyphs of the display names, in order of preference.
CJK_FONTS = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei", "Droid Sans Fallback", "Microsoft YaHei", "SimHei", "PingFang SC",
)  # fmt: skip
BLUE, WARN, GREY = "#3b6ea8", "#d9534f", "#555555"


def write_plots(
    experiment: Experiment, summary: KpiSummary, out_dir: Path, font: str | None
) -> tuple[str, ...]:
    """Draw the report's plots into the existing ``out_dir`` and return their file
    names, in the order to show them. ``summary`` is ``experiment.summary()``, as
    is or in its ``--json`` form (NaN as None); ``font`` is a font with the
    Chinese glyphs (:func:`cjk_font`) or None, and then segments go by id."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plots = {
        "queue.png": _plot_queue,
        "waits.png": _plot_waits,
        "service_level.png": _plot_service_level,
        "utilisation.png": _plot_utilisation,
    }
    font_log = logging.getLogger("matplotlib.font_manager")
    only_weight = _OnlyWeightFallback(font)
    font_log.addFilter(only_weight)
    try:
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
    finally:
        font_log.removeFilter(only_weight)
    return tuple(plots)


class _OnlyWeightFallback(logging.Filter):
    """Drops matplotlib's notice that the CJK font has no regular (400) weight
    and its medium one is used instead (WenQuanYi ships only 500): a different
    weight of the right font, not a missing glyph. Every other font warning passes."""

    def __init__(self, font: str | None) -> None:
        super().__init__()
        self.font = font

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (
            self.font is not None
            and message.startswith("findfont: Failed to find font weight")
            and f" for {self.font}, " in message
        )


def cjk_font() -> str | None:
    """The first installed font of :data:`CJK_FONTS`, or None. matplotlib caches
    its font list; a font installed after the cache was built (``make`` installs
    one when missing) is found by scanning the system's font files once."""
    from matplotlib import font_manager

    def first() -> str | None:
        installed = {f.name for f in font_manager.fontManager.ttflist}
        return next((name for name in CJK_FONTS if name in installed), None)

    found = first()
    if found is None:
        hints = ("wqy", "notosanscjk", "notoserifcjk", "droidsansfallback", "sourcehansans")
        for path in font_manager.findSystemFonts():
            if any(h in Path(path).name.lower().replace("-", "") for h in hints):
                font_manager.fontManager.addfont(path)
        found = first()
    return found


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


def _plot_queue(ax: Axes, experiment: Experiment, summary: KpiSummary, cjk: bool) -> None:
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


def _plot_waits(ax: Axes, experiment: Experiment, summary: KpiSummary, cjk: bool) -> None:
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


def summary_stat(stat: Stat) -> tuple[float, float, float]:
    """(mean, lo, hi) of a statistic, NaN where unknown."""
    values = (stat.mean, *stat.ci95)
    mean, lo, hi = (math.nan if v is None else float(v) for v in values)
    return mean, lo, hi


def _share_bars(
    ax: Axes,
    experiment: Experiment,
    summary: KpiSummary,
    key: str,
    cjk: bool,
    floor: float | None = None,
) -> bool:
    """Bars of the share KPI ``key`` (mean, CI error bars where known): per
    interval over the day or, for a stationary run, per segment and for all;
    bars below ``floor`` in the warning colour, CI bars cut at 0 and 1. True if
    per interval."""
    if summary.by_interval:
        spans = intervals(experiment.scenario)
        x = [(lo + hi) / 7200.0 for lo, hi in spans]
        width = experiment.scenario.interval / 3600.0
        stats = [summary_stat(row.kpis[key]) for row in summary.by_interval]
        _time_axis(ax, experiment, x[0] - width / 2, x[-1] + width / 2)
    else:
        names = [*summary.by_segment, "all"]
        tables = summary.by_segment | {"all": summary.overall}
        stats = [summary_stat(tables[n][key]) for n in names]
        x, width = list(range(len(names))), 0.6
        labels = segment_labels(experiment, cjk) | {"all": "all"}
        ax.set_xticks(x, [labels[n] for n in names])
        ax.set_xlabel("segment (after the warm-up)")
    mean = np.array([s[0] for s in stats])
    # a t interval of a share near 0 or 1 can pass it: cut the bars where shares end
    err = np.array([[m - max(lo, 0.0), min(hi, 1.0) - m] for m, lo, hi in stats]).T
    colours = [WARN if floor is not None and m < floor else BLUE for m in mean]
    if not summary.by_interval and colours[-1] == BLUE:
        colours[-1] = GREY  # "all" apart from the segments
    ax.bar(x, np.nan_to_num(mean), width=0.85 * width, color=colours, alpha=0.85)
    ax.errorbar(x, mean, yerr=np.nan_to_num(err), fmt="none", ecolor="#333", lw=0.9, capsize=2)
    ax.set_ylim(0, 1.05)
    ax.yaxis.set_major_formatter(_percent())
    ax.grid(axis="y", alpha=0.3)
    return bool(summary.by_interval)


def _plot_service_level(ax: Axes, experiment: Experiment, summary: KpiSummary, cjk: bool) -> None:
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


def _plot_utilisation(ax: Axes, experiment: Experiment, summary: KpiSummary, cjk: bool) -> None:
    if _share_bars(ax, experiment, summary, "utilisation", cjk):
        ax.set_ylabel("busy share of staffed counter time")
        what = "counter utilisation by interval"
    else:
        ax.set_ylabel("share of staffed counter time")
        what = "counter time spent on each segment"
    ax.set_title(_title(experiment, what + " (mean, 95% CI)", cjk))
