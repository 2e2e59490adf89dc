"""The nowcast's tables, computed for every (service, horizon) at once, are the
numbers the plain per-(service, horizon) computation gives, to the bit: the
nowcast publishes them and the precision's stopping rule reads them, so a
last-bit difference would move what a hall shows and when a nowcast stops.
And the weighted quantile the medians and 90th percentiles are read with."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.live.nowcast import _column_means, _mean
from sim.live.nowcasttables import Layout, Tables, _mean_ci, weighted_quantile
from sim.model.summary import t_quantile_975


def plain_tables(
    waits: np.ndarray,
    horizons: tuple[float, ...],
    services: dict[str, float],
    segments: dict[str, float],
    target_s: float,
) -> Tables:
    """The tables one (service, horizon) at a time, with numpy's own mean and
    standard deviation: what the nowcast computed before."""
    keys = [(svc, seg, h) for h in horizons for svc in services for seg in segments]
    seg_w = np.array([segments[seg] for _, seg, _ in keys])
    mix_w = np.array([services[svc] for svc, _, _ in keys]) * seg_w
    breach = np.isnan(waits) | (waits > target_s)
    out = Tables({}, {}, {}, {}, {}, {})
    for h in horizons:
        at_h = np.array([k[2] == h for k in keys])
        out.breach[h] = float((breach[:, at_h] @ mix_w[at_h]).mean() / mix_w[at_h].sum())
        for svc in services:
            mine = at_h & np.array([k[0] == svc for k in keys])
            x, called = waits[:, mine], ~np.isnan(waits[:, mine])
            with np.errstate(invalid="ignore"):
                per_rep = np.where(called, x, 0.0) @ seg_w[mine] / (called @ seg_w[mine])
            kept = per_rep[~np.isnan(per_rep)]
            if kept.size < 2:
                out.wait_s[(svc, h)] = float(kept[0]) if kept.size else math.nan
                out.wait_ci_s[(svc, h)] = math.nan
            else:
                out.wait_s[(svc, h)] = float(kept.mean())
                half = t_quantile_975(kept.size - 1) * float(kept.std(ddof=1))
                out.wait_ci_s[(svc, h)] = half / math.sqrt(kept.size)
            out.service_breach[(svc, h)] = float(
                (breach[:, mine] @ seg_w[mine]).mean() / seg_w[mine].sum()
            )
            pooled = np.where(called, x, math.inf).ravel()
            pooled_w = np.broadcast_to(seg_w[mine], x.shape).ravel()
            out.median_s[(svc, h)] = weighted_quantile(pooled, pooled_w, 0.5)
            out.p90_s[(svc, h)] = weighted_quantile(pooled, pooled_w, 0.9)
    return out


def bits(table: dict[object, float]) -> list[tuple[object, bytes]]:
    return [(k, np.float64(v).tobytes()) for k, v in table.items()]


@pytest.mark.parametrize("seed", range(4))
def test_the_tables_are_the_plain_computations_to_the_bit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for case in range(60):
        horizons = (0.0, 900.0, 1800.0, 3600.0)[: rng.integers(1, 5)]
        services = dict(zip("abcd", rng.dirichlet(np.ones(rng.integers(1, 5))), strict=False))
        segments = dict(zip("wxyz", rng.dirichlet(np.ones(rng.integers(1, 5))), strict=False))
        n = int(rng.integers(1, 41))
        width = len(horizons) * len(services) * len(segments)
        waits = rng.exponential([1.0, 300.0, 1e4][case % 3], (n, width))
        if case % 2:  # probes never called: left out of means, breaches in the probabilities
            waits[rng.random(waits.shape) < rng.choice([0.02, 0.3, 0.9])] = np.nan
        if case % 5 == 0:  # ties in the quantiles
            waits = np.round(waits, -1)
        layout = Layout.of(horizons, services, segments, 900.0)
        got = layout.tables(waits)
        layout.add_quantiles(waits, got)
        want = plain_tables(waits, horizons, services, segments, 900.0)
        for name in ("wait_s", "wait_ci_s", "median_s", "p90_s", "breach", "service_breach"):
            assert bits(getattr(got, name)) == bits(getattr(want, name)), (name, seed, case)


def test_the_mean_and_half_width_are_numpys_to_the_bit() -> None:
    rng = np.random.default_rng(5)
    for n in range(45):
        values = rng.lognormal(5.0, 2.0, n)
        if n > 3:
            values[rng.integers(0, n)] = np.nan
        kept = values[~np.isnan(values)]
        got = _mean_ci(values)
        if kept.size < 2:
            assert repr(got) == repr((float(kept[0]) if kept.size else math.nan, math.nan))
            continue
        half = t_quantile_975(kept.size - 1) * float(kept.std(ddof=1)) / math.sqrt(kept.size)
        assert repr(got) == repr((float(kept.mean()), half))


def test_weighted_quantile_is_a_lower_quantile_of_the_weighted_sample() -> None:
    values = np.array([5.0, 1.0, 3.0, math.inf])
    weights = np.array([0.25, 0.25, 0.25, 0.25])
    assert weighted_quantile(values, weights, 0.5) == 3.0
    assert weighted_quantile(values, weights, 0.25) == 1.0
    assert weighted_quantile(values, weights, 0.75) == 5.0
    assert math.isnan(weighted_quantile(values, weights, 0.9))  # falls on a ticket never called
    uneven = np.array([0.7, 0.1, 0.1, 0.1])
    assert weighted_quantile(values, uneven, 0.5) == 5.0


def test_column_means_are_each_columns_mean_to_the_bit() -> None:
    """The expected wait per (service, segment, horizon): every column's mean of
    its called probes, as one ``x.mean()`` a column gives it, on random tables of
    1-40 replications with never-called probes."""
    rng = np.random.default_rng(22)
    for _ in range(300):
        n, keys = int(rng.integers(1, 41)), int(rng.integers(1, 60))
        waits = rng.exponential(rng.uniform(10.0, 3000.0), (n, keys))
        waits[rng.random((n, keys)) < rng.choice([0.0, 0.02, 0.3])] = np.nan
        got = _column_means(waits)
        for i in range(keys):
            assert got[i].hex() == _mean(waits[:, i]).hex()
