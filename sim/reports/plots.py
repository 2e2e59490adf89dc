"""The figures of ``hallsim run``'s report, drawn from an experiment's KPIs
(per-replication curves and histograms, and the aggregated summary), never from
the model, in the style of :mod:`sim.reports.style`.

Every interval shown is a 95% confidence interval for the mean over
replications (Student t).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sim.model.calendar import intervals
from sim.model.kpis import WAIT_BINS_S
from sim.model.summary import KpiSummary, Stat, t_quantile_975
from sim.reports.style import (
    BLUE,
    GREY,
    TARGET,
    WARN,
    clock_axis,
    display_name,
    hall_title,
    new_figure,
    percent_axis,
    segment_colours,
    target_line,
)
from sim.runs.experiment import Experiment

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

WIDTH_IN, HEIGHT_IN = 10.0, 4.4


def segment_labels(experiment: Experiment, cjk: bool) -> dict[str, str]:
    """Segment id -> plot label: the display name when a CJK font can draw it,
    else the id (the HTML tables give the names)."""
    segments = experiment.scenario.segments.items()
    return {key: display_name(key, seg.name, cjk) for key, seg in segments}


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


def summary_stat(stat: Stat) -> tuple[float, float, float]:
    """(mean, lo, hi) of a statistic, NaN where unknown."""
    values = (stat.mean, *stat.ci95)
    mean, lo, hi = (math.nan if v is None else float(v) for v in values)
    return mean, lo, hi


def run_figures(experiment: Experiment, summary: KpiSummary, cjk: bool) -> list[tuple[str, Figure]]:
    """``(id, figure)`` of the report's plots in reading order: queue over the
    day, wait distribution per segment, service level and utilisation."""
    out = []
    for name, plot in (
        ("queue", _plot_queue),
        ("waits", _plot_waits),
        ("service-level", _plot_service_level),
        ("utilisation", _plot_utilisation),
    ):
        fig = new_figure(WIDTH_IN, HEIGHT_IN)
        plot(fig.subplots(), experiment, summary, cjk)
        out.append((name, fig))
    return out


def _title(experiment: Experiment, what: str, cjk: bool) -> str:
    scn = experiment.scenario
    n = len(experiment.replications)
    runs = "one replication" if n == 1 else f"{n} replications"
    return hall_title(scn.hall, scn.name, f"{what}, {runs}", cjk)


def _with_ci(experiment: Experiment, what: str) -> str:
    """``what (mean, 95% CI)``, or ``what`` alone for one replication (no interval)."""
    return what + (" (mean, 95% CI)" if len(experiment.replications) > 1 else "")


def _time_axis(ax: Axes, experiment: Experiment, lo_h: float, hi_h: float) -> None:
    """Clock time for a day; hours run for a stationary run."""
    if experiment.scenario.stationary:
        ax.set_xlim(lo_h, hi_h)
        ax.set_xlabel("time since start of run (h; statistics after the warm-up)")
    else:
        clock_axis(ax, lo_h, hi_h, experiment.scenario.timezone)


def _plot_queue(ax: Axes, experiment: Experiment, summary: KpiSummary, cjk: bool) -> None:
    reps = experiment.replications
    t_h = reps[0].curve_t_s / 3600.0
    mean, lo, hi = mean_ci(np.stack([rep.queue_curve for rep in reps]))
    if len(reps) > 1:  # a queue is never below 0: the band is cut there
        ax.fill_between(t_h, np.maximum(lo, 0.0), hi, step="post", color=BLUE, alpha=0.25, lw=0,
                        label="95% CI of the mean")  # fmt: skip
        ax.step(t_h, mean, where="post", color=BLUE, lw=1.5, label="mean over replications")
    else:
        ax.step(t_h, mean, where="post", color=BLUE, lw=1.5, label="the one replication")
    _time_axis(ax, experiment, float(t_h[0]), float(t_h[-1]))
    ax.set_ylim(bottom=0)
    ax.set_ylabel("customers waiting for a counter")
    ax.set_title(_title(experiment, _with_ci(experiment, "queue length"), cjk))
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")


def _plot_waits(ax: Axes, experiment: Experiment, summary: KpiSummary, cjk: bool) -> None:
    scn = experiment.scenario
    labels = segment_labels(experiment, cjk)
    colours = segment_colours(list(scn.segments))
    target_min = scn.target.wait / 60.0
    # "called within x min" at each finite bin edge, from 0: the cumulative share
    # of the binned waits, joined by straight lines (an ogive)
    edges_min = WAIT_BINS_S[:-1] / 60.0
    x_max, drawn = 2.0 * target_min, 0
    for name in experiment.replications[0].wait_hist:
        counts = np.sum([rep.wait_hist[name] for rep in experiment.replications], axis=0)
        total = counts.sum()
        if total == 0:
            continue
        cdf = np.concatenate([[0.0], np.cumsum(counts)[:-1] / total])
        ax.plot(edges_min, cdf, lw=1.6, color=colours[name], label=f"{labels[name]} (n={total:,})")
        drawn += 1
        below = edges_min[cdf < 0.995]
        x_max = max(x_max, float(below[-1]) + 5 if len(below) else x_max)
    target_line(ax, target_min, f"target wait {target_min:g} min", horizontal=False)
    sl = scn.target.service_level
    ax.axhline(sl, color=TARGET, ls=":", lw=1, label=f"target share {sl:.0%}")
    ax.set_xlim(0, min(math.ceil(x_max / 10) * 10, float(edges_min[-1])))
    ax.set_ylim(0, 1.02)
    percent_axis(ax)
    ax.set_xlabel("wait until called x (min)")
    ax.set_ylabel("served customers called within x")
    ax.set_title(_title(experiment, "wait distribution of served customers by segment", cjk))
    ax.grid(alpha=0.3)
    if drawn:
        ax.legend(loc="lower right")
    else:
        ax.text(0.5, 0.5, "no served customers", ha="center", transform=ax.transAxes)


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
    below = [floor is not None and m < floor for m in mean]
    colours = [WARN if b else BLUE for b in below]
    if not summary.by_interval and colours[-1] == BLUE:
        colours[-1] = GREY  # "all" apart from the segments
    bars = ax.bar(x, np.nan_to_num(mean), width=0.85 * width, color=colours, alpha=0.85)
    if len(experiment.replications) > 1:  # one replication has no interval to draw
        ax.errorbar(
            x,
            mean,
            yerr=np.nan_to_num(err),
            fmt="none",
            ecolor="#333",
            lw=0.9,
            capsize=2,
            label="95% CI",
        )
    # legend entries for both bar colours, whichever appear
    if floor is not None:
        bars.set_label("mean, meets target")
        if any(below):
            ax.bar([x[0]], [0], color=WARN, alpha=0.85, label="mean, below target")
    else:
        bars.set_label("mean")
    ax.set_ylim(0, 1.05)
    percent_axis(ax)
    ax.grid(axis="y", alpha=0.3)
    return bool(summary.by_interval)


def _plot_service_level(ax: Axes, experiment: Experiment, summary: KpiSummary, cjk: bool) -> None:
    target = experiment.scenario.target
    if _share_bars(ax, experiment, summary, "service_level", cjk, target.service_level):
        ax.set_xlabel(ax.get_xlabel() + ", by arrival interval")
    target_line(ax, target.service_level, f"target {target.service_level:.0%}")
    ax.set_ylabel(f"called within {target.wait / 60:g} min")
    ax.set_title(_title(experiment, _with_ci(experiment, "service level"), cjk))
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)


def _plot_utilisation(ax: Axes, experiment: Experiment, summary: KpiSummary, cjk: bool) -> None:
    if _share_bars(ax, experiment, summary, "utilisation", cjk):
        ax.set_ylabel("busy share of staffed counter time")
        what = "counter utilisation by interval"
    else:
        ax.set_ylabel("share of staffed counter time")
        what = "counter time spent on each segment"
    ax.set_title(_title(experiment, _with_ci(experiment, what), cjk))
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
