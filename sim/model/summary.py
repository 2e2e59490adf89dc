"""Typed results over replications: a statistic with its confidence interval
(:class:`Stat`), a table of every KPI (:data:`KpiStats`), and the summary of a
set of replications by segment, service and interval (:class:`KpiSummary`).

These travel from :mod:`sim.model.kpis` through planning, what-ifs, reports and
the live views; ``to_json()`` turns them into the documented JSON only at the
edge that prints or serves them (key order and values are part of the
``--json`` contract).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.model.tdist import t_quantile

KPI_KEYS = (
    "arrivals",
    "served",
    "abandoned",
    "balked",
    "unserved",
    "wait_mean_s",
    "wait_p50_s",
    "wait_p90_s",
    "wait_p95_s",
    "service_level",
    "abandon_rate",
    "queue_mean",
    "queue_max",
    "utilisation",
)

Json = dict[str, Any]  # a result's JSON body: the nested shape is each to_json's docstring

# What each KPI can be: shares lie in [0, 1], everything else is at least 0. A
# Student-t interval is symmetric about the mean and can pass these bounds
# (a service level of 102%, a wait of -0.02 min); intervals are cut there.
SHARES = frozenset({"service_level", "abandon_rate", "utilisation"})
KPI_BOUNDS: dict[str, tuple[float, float | None]] = {
    key: (0.0, 1.0 if key in SHARES else None) for key in KPI_KEYS
}


@dataclass(frozen=True, slots=True)
class Stat:
    """The mean of a quantity over ``n`` replications and its Student-t 95%
    interval ``ci95 = (lo, hi)``; ``None`` where unknown (no data, or n < 2)."""

    mean: float | None
    ci95: tuple[float | None, float | None]
    n: int

    @property
    def half_width(self) -> float | None:
        """Half the width of the 95% interval, ``None`` without one; of an
        interval cut at a bound (:meth:`bounded`), the side that was not cut."""
        lo, hi = self.ci95
        if lo is None or hi is None or self.mean is None:
            return None
        return max(self.mean - lo, hi - self.mean)

    def bounded(self, lo: float | None, hi: float | None) -> Stat:
        """This statistic with its interval cut to ``[lo, hi]``, what the
        quantity can be (a share between 0 and 1, a count or a wait at least
        0): the t interval is symmetric and can pass a bound the data cannot."""
        ci_lo, ci_hi = self.ci95
        if ci_lo is not None and lo is not None:
            ci_lo = max(ci_lo, lo)
        if ci_hi is not None and hi is not None:
            ci_hi = min(ci_hi, hi)
        return Stat(self.mean, (ci_lo, ci_hi), self.n)

    def excludes_zero(self) -> bool:
        """True when the 95% interval lies wholly above or below 0."""
        lo, hi = self.ci95
        return lo is not None and hi is not None and (lo > 0 or hi < 0)

    def to_json(self) -> Json:
        return {"mean": self.mean, "ci95": list(self.ci95), "n": self.n}


def t_quantile_975(df: int) -> float:
    """The 0.975 quantile of Student's t with ``df`` degrees of freedom."""
    return t_quantile(df, 0.975)


def summarise(values: Iterable[float]) -> Stat:
    """Mean and Student-t 95% interval over replications, NaNs (no data in that
    replication) left out; the interval is unknown with fewer than 2 values."""
    arr = np.asarray(list(values), dtype=float)
    arr = arr[~np.isnan(arr)]
    n = len(arr)
    if n == 0:
        return Stat(None, (None, None), 0)
    if arr.min() == arr.max():  # exactly, not up to the noise of a sum
        mean, half = float(arr[0]), 0.0
    else:
        mean = float(arr.mean())
        half = t_quantile_975(n - 1) * float(arr.std(ddof=1)) / math.sqrt(n) if n > 1 else 0.0
    if n < 2:
        return Stat(mean, (None, None), 1)
    return Stat(mean, (mean - half, mean + half), n)


def wilson_interval(
    successes: int, trials: int, z: float = 1.959963984540054
) -> tuple[float, float]:
    """The Wilson score 95% interval of a probability from ``successes`` in
    ``trials``: inside [0, 1] always, and not degenerate at 0 or ``trials``
    successes (unlike the normal approximation); ``(0, 1)`` without trials."""
    if trials <= 0:
        return (0.0, 1.0)
    p = successes / trials
    z2 = z * z
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = z / (1 + z2 / trials) * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    lo = 0.0 if successes <= 0 else max(0.0, centre - half)
    hi = 1.0 if successes >= trials else min(1.0, centre + half)
    return (lo, hi)


KpiStats = dict[str, Stat]  # KPI key (in KPI_KEYS order) -> its statistic


def summarise_tables(
    tables: Sequence[Mapping[str, float]], keys: Sequence[str] = KPI_KEYS
) -> KpiStats:
    """Every KPI of ``tables`` (one per replication) summarised: those of
    :data:`KPI_KEYS`, or of ``keys``; each interval cut to what the KPI can be
    (:data:`KPI_BOUNDS`; a KPI not named there is at least 0, a share or rate
    at most 1)."""
    return {key: summarise([t[key] for t in tables]).bounded(*_bounds(key)) for key in keys}


def _bounds(key: str) -> tuple[float, float | None]:
    found = KPI_BOUNDS.get(key)
    if found is not None:
        return found
    return (0.0, 1.0 if key == "share" or key.endswith("_rate") else None)


def stats_json(stats: Mapping[str, Stat]) -> Json:
    return {key: stat.to_json() for key, stat in stats.items()}


@dataclass(frozen=True, slots=True)
class IntervalStats:
    """The KPIs of the customers who arrived in the interval starting at ``start`` (``09:30``)."""

    start: str
    kpis: KpiStats

    def to_json(self) -> Json:
        return {"start": self.start} | stats_json(self.kpis)


def below_target(rows: Sequence[IntervalStats], target: Target) -> list[IntervalStats]:
    """The intervals whose mean service level is below ``target``'s."""
    return [
        r
        for r in rows
        if (sl := r.kpis["service_level"].mean) is not None and sl < target.service_level
    ]


@dataclass(frozen=True, slots=True)
class KpiSummary:
    """The KPIs of a set of replications: overall, by segment, by service, by
    interval of the day (empty for a stationary run), for kiosk users, and of
    remote tickets (``None`` without them: keys of :data:`sim.model.remote.REMOTE_KEYS`)."""

    overall: KpiStats
    by_segment: dict[str, KpiStats]
    by_service: dict[str, KpiStats]
    by_interval: list[IntervalStats]
    kiosk: KpiStats
    remote: KpiStats | None = None

    def to_json(self) -> Json:
        out = {
            "overall": stats_json(self.overall),
            "by_segment": {k: stats_json(v) for k, v in self.by_segment.items()},
            "by_service": {k: stats_json(v) for k, v in self.by_service.items()},
            "by_interval": [row.to_json() for row in self.by_interval],
            "kiosk": stats_json(self.kiosk),
        }
        if self.remote is not None:  # absent without remote tickets: the JSON is as before
            out["remote"] = stats_json(self.remote)
        return out


@dataclass(frozen=True, slots=True)
class Target:
    """A hall's wait target: ``service_level`` of customers called within ``wait_s``."""

    wait_s: float
    service_level: float

    def to_json(self) -> Json:
        return {"wait_s": self.wait_s, "service_level": self.service_level}
