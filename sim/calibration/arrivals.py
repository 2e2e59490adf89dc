"""Demand from an event log: ticket arrivals per interval of the day (mean over
days with a Student-t 95% CI), day-to-day over-dispersion, opening hours, and
the service mix and segment shares of ticket holders. Pure functions of arrays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
from scipy import stats

Interval95 = tuple[float, float]


@dataclass(frozen=True)
class ArrivalFit:
    """Ticket arrivals per interval ``[starts_s[i], starts_s[i] + interval_s)``:
    ``rate_per_h`` is the mean over ``days`` with its 95% CI; ``day_noise_cv``
    the demand multiplier's cv beyond Poisson noise (method of moments)."""

    open_s: float
    close_s: float
    interval_s: float
    days: int
    starts_s: tuple[float, ...]
    rate_per_h: tuple[float, ...]
    rate_ci95: tuple[Interval95, ...]
    daily_mean: float
    daily_var: float
    day_noise_cv: float


@dataclass(frozen=True)
class Share:
    """A share of ticket holders with a normal-approximation 95% CI."""

    share: float
    ci95: Interval95


def opening_hours(
    first_s: np.ndarray, last_issue_s: np.ndarray, interval_s: float
) -> tuple[float, float]:
    """``(open_s, close_s)``: the median over days of the first activity
    (ticket or counter opening) floored to the interval, and of the last ticket
    issued, rounded up to the interval. Activity after the last ticket (serving
    those still queued) is the closing rule's, not the opening hours'."""
    open_s = math.floor(float(np.median(first_s)) / interval_s + 1e-9) * interval_s
    close_s = math.ceil(float(np.median(last_issue_s)) / interval_s - 1e-9) * interval_s
    return open_s, max(close_s, open_s + interval_s)


def arrival_rates(
    day: np.ndarray,
    issued_s: np.ndarray,
    n_days: int,
    open_s: float,
    close_s: float,
    interval_s: float,
) -> ArrivalFit:
    """Per-interval rates from each ticket's ``day`` index and issue time
    (seconds after local midnight); tickets outside the opening hours count in
    the daily totals only."""
    n_bins = max(1, round((close_s - open_s) / interval_s))
    starts = open_s + interval_s * np.arange(n_bins)
    counts = np.zeros((n_days, n_bins))
    bins = np.floor((issued_s - open_s) / interval_s).astype(np.int64)
    inside = (bins >= 0) & (bins < n_bins)
    np.add.at(counts, (day[inside], bins[inside]), 1.0)
    per_h = counts * 3600.0 / interval_s
    mean = per_h.mean(axis=0)
    if n_days > 1:
        half = stats.t.ppf(0.975, n_days - 1) * per_h.std(axis=0, ddof=1) / math.sqrt(n_days)
    else:
        half = np.full(n_bins, math.nan)
    totals = np.bincount(day, minlength=n_days).astype(float)
    daily_mean = float(totals.mean())
    daily_var = float(totals.var(ddof=1)) if n_days > 1 else 0.0
    cv2 = max(0.0, (daily_var - daily_mean) / daily_mean**2) if daily_mean > 0 else 0.0
    return ArrivalFit(
        open_s=open_s,
        close_s=close_s,
        interval_s=interval_s,
        days=n_days,
        starts_s=tuple(float(s) for s in starts),
        rate_per_h=tuple(float(m) for m in mean),
        rate_ci95=tuple((float(m - h), float(m + h)) for m, h in zip(mean, half, strict=True)),
        daily_mean=daily_mean,
        daily_var=daily_var,
        day_noise_cv=math.sqrt(cv2),
    )


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def arrivals_by_weekday(
    days: list[date], issued_s: np.ndarray, pooled: ArrivalFit
) -> dict[str, ArrivalFit]:
    """Per weekday present (``mon`` … ``sun``), the rates of :func:`arrival_rates`
    over the intervals of ``pooled`` from that weekday's tickets alone
    (``days[i]`` is the local date ticket ``i`` was issued)."""
    weekday = np.array([d.weekday() for d in days])
    out: dict[str, ArrivalFit] = {}
    for wd, name in enumerate(WEEKDAYS):
        mine = np.flatnonzero(weekday == wd)
        if not len(mine):
            continue
        index = {d: i for i, d in enumerate(sorted({days[k] for k in mine}))}
        day = np.array([index[days[k]] for k in mine])
        a = pooled
        out[name] = arrival_rates(
            day, issued_s[mine], len(index), a.open_s, a.close_s, a.interval_s
        )
    return out


def shares(index: np.ndarray, names: list[str]) -> dict[str, Share]:
    """The share of each name among ``index`` (positions in ``names``)."""
    n = len(index)
    counts = np.bincount(index, minlength=len(names))
    out: dict[str, Share] = {}
    for name, c in zip(names, counts.tolist(), strict=True):
        p = c / n if n else 0.0
        half = 1.96 * math.sqrt(p * (1 - p) / n) if n else math.nan
        out[name] = Share(p, (max(0.0, p - half), min(1.0, p + half)))
    return out


def rounded_shares(values: dict[str, float], digits: int = 4) -> dict[str, float]:
    """Shares rounded to ``digits`` that still sum to 1 exactly (the rounding
    error goes to the largest share)."""
    out = {k: round(v, digits) for k, v in values.items()}
    biggest = max(out, key=lambda k: out[k])
    out[biggest] = round(1.0 - math.fsum(v for k, v in out.items() if k != biggest), digits + 2)
    return out
