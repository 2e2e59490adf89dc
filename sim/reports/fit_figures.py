"""The figures of ``hallsim fit``'s report (:mod:`sim.reports.fit`), in the
style of :mod:`sim.reports.style`: arrivals per hour over the day with the 95%
CI band, QQ plots of the service-time fits, and each segment's patience
survival curve from the log up to ``τ`` with every fitted family beyond it.

Colours follow the fitted scenario's order of services and segments (the
order ``hallsim run`` of the fitted scenario colours them by).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sim.calibration.fit import FitResult
from sim.calibration.patience import PatienceFit
from sim.calibration.service import ServiceFit, frozen
from sim.model.families import weibull_shape_scale
from sim.reports.kpi_text import minutes
from sim.reports.style import (
    BLUE,
    GREY,
    clock_axis,
    hall_title,
    new_figure,
    percent_axis,
    segment_colours,
    service_colours,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# one line style per fitted patience family, the same in every panel
FAMILY_STYLES = {
    "exponential": ("#7f7f7f", (0, (5, 2))),
    "gamma": ("#d62728", (0, (3, 1.5))),
    "weibull": ("#9467bd", (0, (6, 2, 1, 2))),
    "lognormal": ("#8c564b", (0, (1.5, 1.5))),
}


def family_survival(family: str, mean_s: float, cv: float, t_s: np.ndarray) -> np.ndarray:
    """``P(T > t)`` of the ``family`` distribution with this mean and cv."""
    if family == "weibull":
        k, scale = weibull_shape_scale(mean_s, cv)
        return np.asarray(np.exp(-((np.maximum(t_s, 0.0) / scale) ** k)))
    return np.asarray(frozen(family, mean_s, cv).sf(t_s))


def arrivals_figure(fit: FitResult, hall: str) -> Figure:
    """Tickets per hour by arrival interval: the mean over the log's days with
    its 95% CI band (cut at 0), on a time-of-day axis."""
    a = fit.arrivals
    minutes = f"{a.interval_s / 60:g}"
    fig = new_figure(11, 4.2)
    ax = fig.subplots()
    hours = (np.array(a.starts_s) + a.interval_s / 2) / 3600
    lo = np.maximum([ci[0] for ci in a.rate_ci95], 0.0)
    hi = np.array([ci[1] for ci in a.rate_ci95])
    ax.fill_between(hours, lo, hi, color=BLUE, alpha=0.2, lw=0, label="95% CI")
    ax.plot(hours, a.rate_per_h, color=BLUE, marker=".", label=f"mean over {a.days} days")
    what = f"tickets per hour, by {minutes}-min interval (mean over {a.days} days, 95% CI)"
    ax.set_title(hall_title(hall, None, what, False))
    ax.set_ylabel("tickets per hour")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    clock_axis(ax, a.open_s / 3600, a.close_s / 3600, fit.timezone)
    ax.set_xlabel(f"time of day ({fit.timezone}), by ticket time")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    return fig


def _qq_family(s: ServiceFit) -> str:
    """The family a service's QQ plot compares with: the chosen one, or for an
    empirical choice the lowest AIC."""
    if s.chosen in ("empirical", "fixed"):
        return min(s.fits, key=lambda f: f.aic if math.isfinite(f.aic) else math.inf).family
    return s.chosen


def qq_figure(fit: FitResult, hall: str) -> Figure:
    """One QQ panel per service: the observed 1st..99th percentiles of the
    service time (at counter speed 1) against the fitted family's, with the
    diagonal a perfect fit lies on."""
    services = list(fit.services.items())
    colours = service_colours([k for k, _ in services])
    cols = min(4, max(1, len(services)))
    rows = math.ceil(len(services) / cols) or 1
    fig = new_figure(max(10.0, 2.9 * cols), 3.1 * rows + 0.6)
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    fig.suptitle(hall_title(hall, None, "service times: observed vs fitted quantiles", False))
    probs = np.arange(1, 100) / 100
    for ax, (name, s) in zip(axes, services, strict=False):
        sample = np.array(s.percentiles_s) / 60
        family = _qq_family(s)
        best = next(f for f in s.fits if f.family == family)
        if family == "fixed":
            theory = np.full_like(probs, best.mean_s / 60)
        else:
            theory = np.asarray(frozen(family, best.mean_s, best.cv).ppf(probs)) / 60
        ax.plot(theory, sample, "o", ms=3, color=colours[name], label="1st–99th percentile")
        top = float(max(np.max(theory), np.max(sample)))
        ax.plot([0, top], [0, top], color=GREY, lw=0.8, ls="--", label="perfect fit")
        chosen = s.chosen if s.chosen == family else f"{s.chosen} (vs {family})"
        ax.set_title(f"{name}: {chosen}, n={s.n}", fontsize=9)
        ax.set_xlabel(f"{family} quantile (min)", fontsize=8)
        ax.set_ylabel("observed (min)", fontsize=8)
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="upper left")
    for ax in axes[len(services) :]:
        ax.set_visible(False)
    return fig


def _patience_panel(ax: Axes, name: str, p: PatienceFit, colour: str) -> None:
    s = p.survival
    tau = s.known_until_s / 60
    curve = [pt for pt in s.curve if pt[0] <= s.known_until_s] or [(0.0, 1.0)]
    t = np.array([pt[0] for pt in curve] + [s.known_until_s]) / 60
    surv = np.array([pt[1] for pt in curve] + [curve[-1][1]])
    right = max(2 * tau, 1.0)
    ax.axvspan(tau, right, color=GREY, alpha=0.08, lw=0, label="beyond τ: not seen in the log")
    method = "Kaplan–Meier" if s.method == "kaplan_meier" else "current status"
    ax.step(t, surv, where="post", color=colour, lw=2.2, label=f"from the log ({method})")
    grid = np.linspace(0, right, 200)
    for f in p.fits:
        colour_f, dashes = FAMILY_STYLES.get(f.family, (GREY, (0, (4, 2))))
        mark = " (chosen)" if f.family == p.chosen else ""
        ax.plot(
            grid,
            family_survival(f.family, f.mean_s, f.cv, grid * 60),
            color=colour_f,
            ls=dashes,
            lw=1.6 if mark else 1.1,
            label=f"{f.family}{mark}, mean {minutes(f.mean_s)} min",
        )
    lo, hi = s.survival_ci95
    ax.errorbar(
        [tau], [s.survival_at_tau], yerr=[[s.survival_at_tau - lo], [hi - s.survival_at_tau]],
        fmt="D", color=colour, ms=5, capsize=3, label=f"τ = {tau:.1f} min: S(τ) with 95% CI",
    )  # fmt: skip
    gave_up = "nobody gave up" if not p.fits else f"{p.gave_up} gave up"
    ax.set_title(f"{name}: {gave_up}", fontsize=9)
    ax.set_xlim(0, right)
    ax.set_ylim(0, 1.03)
    percent_axis(ax)
    ax.set_xlabel("minutes waited", fontsize=8)
    ax.set_ylabel("still waiting", fontsize=8)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")


def patience_figure(fit: FitResult, hall: str) -> Figure:
    """One panel per segment: the share still waiting after t minutes as the
    log shows it up to ``τ`` (solid, the segment's colour), each fitted family
    dashed over ``0..2τ``, ``τ`` marked with ``S(τ)`` and its 95% CI."""
    colours = segment_colours(list(fit.segments))
    items = list(fit.patience.items())
    cols = min(2, max(1, len(items)))
    rows = math.ceil(len(items) / cols) or 1
    fig = new_figure(11, 3.9 * rows + 0.6)
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    what = "patience: share still waiting after t minutes (log up to τ, fitted families dashed)"
    fig.suptitle(hall_title(hall, None, what, False))
    for ax, (name, p) in zip(axes, items, strict=False):
        _patience_panel(ax, name, p, colours.get(name, BLUE))
    for ax in axes[len(items) :]:
        ax.set_visible(False)
    return fig


def fit_figures(fit: FitResult, hall: str) -> list[tuple[str, Figure]]:
    """Every figure of the fit report, ``(id, figure)`` in reading order; draw
    inside :func:`sim.reports.style.plot_style`."""
    return [
        ("arrivals", arrivals_figure(fit, hall)),
        ("service-qq", qq_figure(fit, hall)),
        ("patience", patience_figure(fit, hall)),
    ]
