"""The tables of a nowcast's estimates, computed from the probes' waits at each
checkpoint of the sequential stopping (:func:`sim.live.nowcast.nowcast`): for
every (service, horizon) the expected wait with its 95 % Student-t half-width
over replications, the median and 90th percentile, and the breach
probabilities, each horizon's and each service's.

They are computed for every (service, horizon) at once, with a few numpy calls
laid out so that every number is, to the bit, what the plain computation one
(service, horizon) at a time gives: the nowcast publishes them and the
precision's stopping rule reads them, so a last-bit difference would move what
a hall shows and when a nowcast stops.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.model.summary import t_quantile_975


@dataclass(frozen=True)
class Tables:
    """The per-horizon estimates of a nowcast (keys as in
    :class:`~sim.live.nowcast.Nowcast`)."""

    wait_s: dict[tuple[str, float], float]
    wait_ci_s: dict[tuple[str, float], float]
    median_s: dict[tuple[str, float], float]
    p90_s: dict[tuple[str, float], float]
    breach: dict[float, float]
    service_breach: dict[tuple[str, float], float]


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The ``q`` quantile of ``values`` drawn with probabilities proportional to
    ``weights``: the smallest value whose cumulative weight reaches ``q`` (a
    lower quantile, as a wait someone actually had; NaN if it is infinite)."""
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    # a relative tolerance, so that e.g. weights 0.5 + 0.5 reach q = 0.5
    k = int(np.searchsorted(cumulative, q * cumulative[-1] * (1 - 1e-12), side="left"))
    found = float(values[order][min(k, len(values) - 1)])
    return found if math.isfinite(found) else math.nan


def _mean_ci(values: np.ndarray) -> tuple[float, float]:
    """Mean and 95 % Student-t half-width over the non-NaN ``values`` (NaN when
    there are too few)."""
    x = values[~np.isnan(values)]
    n = x.size
    if n < 2:
        return (float(x[0]) if n else math.nan), math.nan
    # x.mean() and x.std(ddof=1) to the bit (the same pairwise sums, subtraction,
    # squares and divisions), without their Python wrappers: a nowcast takes
    # about 60 of them
    mean = _sum(x) / n
    deviation = x - mean
    std = math.sqrt(_sum(deviation * deviation) / (n - 1))
    return float(mean), t_quantile_975(n - 1) * std / math.sqrt(n)


_sum = np.add.reduce


@dataclass(frozen=True)
class Layout:
    """How a nowcast's keys are laid out: by horizon, service and segment
    (``keys`` in that order, segments fastest), so that each horizon's probes
    and each (service, horizon)'s are a block of columns with the same weights.
    The tables are computed at every checkpoint of the sequential stopping;
    what is the same each time is worked out once."""

    target_s: float
    keys: list[tuple[float, str]]  # (horizon, service) of each block of a service
    horizons: tuple[float, ...]
    mix_w: np.ndarray  # a horizon's weights: service share × segment share
    mix_sum: np.float64
    seg_w: np.ndarray  # a service's weights: the segments' shares
    seg_sum: np.float64

    @classmethod
    def of(
        cls,
        horizons: tuple[float, ...],
        services: dict[str, float],
        segments: dict[str, float],
        target_s: float,
    ) -> Layout:
        seg_w = np.array(list(segments.values()))
        mix_w = np.array([services[svc] for svc in services for _ in segments]) * np.tile(
            seg_w, len(services)
        )
        keys = [(h, svc) for h in horizons for svc in services]
        return cls(target_s, keys, horizons, mix_w, mix_w.sum(), seg_w, seg_w.sum())

    def tables(self, waits: np.ndarray) -> Tables:
        """The estimates from the probes' ``waits`` (replications × keys); the
        medians and 90th percentiles left empty (:meth:`add_quantiles`).

        Each block's weighted sums are numpy's matrix-vector product of that
        block laid out as ``waits[:, block] @ weights`` had it, and
        its means the pairwise sums of each row (numpy sums a row of a C-ordered
        array as it sums a vector): the same numbers to the bit, for a few numpy
        calls instead of a dozen per service and horizon."""
        n = len(waits)
        tables = Tables({}, {}, {}, {}, {}, {})
        if not len(self.mix_w):  # no counter service: no weight to share out
            tables.breach.update(dict.fromkeys(self.horizons, math.nan))
            return tables
        called = ~np.isnan(waits)
        breach = ~called | (waits > self.target_s)  # never called counts as a breach
        filled = np.where(called, waits, 0.0)
        seg_w, g = self.seg_w, len(self.seg_w)
        breach_h = mean_rows(_blocks(breach, len(self.mix_w)) @ self.mix_w) / self.mix_sum
        for h, p in zip(self.horizons, breach_h.tolist(), strict=True):
            tables.breach[h] = p
        with np.errstate(invalid="ignore", divide="ignore"):  # NaN: a replication with no call
            per_rep = _blocks(filled, g) @ seg_w / (_blocks(called, g) @ seg_w)
            mean = mean_rows(per_rep)
            deviation = per_rep - mean[:, None]
            std = np.sqrt(_sum(deviation * deviation, axis=1) / (n - 1))
        half = t_quantile_975(n - 1) * std / math.sqrt(n) if n > 1 else std
        # a replication without a call is left out of its service's mean: such a
        # row (or all, with fewer than two) is taken one by one
        whole = ~np.isnan(per_rep).any(axis=1) if n > 1 else np.zeros(len(per_rep), dtype=bool)
        service_breach = (mean_rows(_blocks(breach, g) @ seg_w) / self.seg_sum).tolist()
        # each table its own key tuples, as before: a pickled nowcast stays the same
        for i, (h, svc) in enumerate(self.keys):
            if whole[i]:
                tables.wait_s[(svc, h)], tables.wait_ci_s[(svc, h)] = float(mean[i]), float(half[i])
            else:
                tables.wait_s[(svc, h)], tables.wait_ci_s[(svc, h)] = _mean_ci(per_rep[i])
            tables.service_breach[(svc, h)] = service_breach[i]
        return tables

    def add_quantiles(self, waits: np.ndarray, tables: Tables) -> None:
        """The medians and 90th percentiles of ``tables`` from the ``waits`` its
        other estimates came from."""
        pooled = _blocks(np.where(np.isnan(waits), math.inf, waits), len(self.seg_w))
        pooled_w = np.broadcast_to(self.seg_w, pooled.shape[1:]).ravel()
        for i, (h, svc) in enumerate(self.keys):
            tables.median_s[(svc, h)] = weighted_quantile(pooled[i].ravel(), pooled_w, 0.5)
            tables.p90_s[(svc, h)] = weighted_quantile(pooled[i].ravel(), pooled_w, 0.9)


def _blocks(a: np.ndarray, width: int) -> np.ndarray:
    """The columns of ``a`` (replications × keys) in blocks of ``width``: block
    ``i`` is ``a[:, i * width:(i + 1) * width]`` laid out as numpy's fancy
    indexing ``a[:, columns]`` lays it out (column by column, Fortran order),
    which decides how BLAS sums a row of it."""
    by_column = a.reshape(len(a), -1, width).transpose(1, 2, 0).copy()
    blocks: np.ndarray = by_column.transpose(0, 2, 1)
    return blocks


def mean_rows(a: np.ndarray) -> np.ndarray:
    """Each row's mean of the C-ordered ``a``, as ``row.mean()`` gives it (numpy
    sums a row of a C-ordered array as it sums a vector)."""
    means: np.ndarray = _sum(a, axis=1) / a.shape[1]
    return means
