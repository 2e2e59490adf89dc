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

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Stat:
    """The mean of a quantity over ``n`` replications and its Student-t 95%
    interval ``ci95 = (lo, hi)``; ``None`` where unknown (no data, or n < 2)."""

    mean: float | None
    ci95: tuple[float | None, float | None]
    n: int

    @property
    def half_width(self) -> float | None:
        """Half the width of the 95% interval, ``None`` without one."""
        lo, hi = self.ci95
        return None if lo is None or hi is None else (hi - lo) / 2

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
    mean = float(arr.mean())
    if n < 2:
        return Stat(mean, (None, None), 1)
    half = t_quantile_975(n - 1) * float(arr.std(ddof=1)) / math.sqrt(n)
    return Stat(mean, (mean - half, mean + half), n)


KpiStats = dict[str, Stat]  # KPI key (in KPI_KEYS order) -> its statistic


def summarise_tables(
    tables: Sequence[Mapping[str, float]], keys: Sequence[str] = KPI_KEYS
) -> KpiStats:
    """Every KPI of ``tables`` (one per replication) summarised: those of
    :data:`KPI_KEYS`, or of ``keys``."""
    return {key: summarise([t[key] for t in tables]) for key in keys}


def stats_json(stats: Mapping[str, Stat]) -> Json:
    return {key: stat.to_json() for key, stat in stats.items()}


@dataclass(frozen=True, slots=True)
class IntervalStats:
    """The KPIs of the customers who arrived in the interval starting at ``start`` (``09:30``)."""

    start: str
    kpis: KpiStats

    def to_json(self) -> Json:
        return {"start": self.start} | stats_json(self.kpis)


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
