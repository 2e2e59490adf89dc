"""The change-detection statistics of the drift tests (:mod:`sim.live.drift`):
log-likelihood ratios of a change at an unknown time against "no change",
for counts per bin (a Poisson rate, with or without a gamma day factor),
durations (a scale change of the model's family) and outcomes (an odds
change), and the largest of them over change times, now or along a day."""

from __future__ import annotations

import math

import numpy as np

from sim.model.scenario import Distribution

RATIOS = (1.25, 0.8)  # demand and service-time changes looked for
ODDS = (2.0, 0.5)  # no-show odds changes looked for


def cumulative(values: np.ndarray) -> np.ndarray:
    return np.concatenate([np.zeros((*values.shape[:-1], 1)), np.cumsum(values, axis=-1)], axis=-1)


def arrival_llr(
    n_total: np.ndarray, a_total: np.ndarray, n_after: np.ndarray, a_after: np.ndarray, k: float
) -> np.ndarray:
    """The largest log-likelihood ratio over :data:`RATIOS` (see the module
    docstring); arrays broadcast, ``k`` = inf without day noise."""
    best = np.full(np.broadcast(n_total, n_after).shape, -np.inf)
    for rho in RATIOS:
        if math.isinf(k):
            llr = n_after * math.log(rho) - (rho - 1.0) * a_after
        else:
            llr = n_after * math.log(rho) - (k + n_total) * (
                np.log(a_total + (rho - 1.0) * a_after + k) - np.log(a_total + k)
            )
        best = np.maximum(best, llr)
    return best


def arrivals_statistic(
    counts: np.ndarray,
    expected: np.ndarray,
    k: float,
    change_every: int,
    *,
    last_only: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """For ``counts`` and ``expected`` per bin (last axis; leading axes are
    days), the statistic after each bin (``last_only``: after the last) and
    the change bin that gives it."""
    bins = counts.shape[-1]
    c, m = cumulative(counts), cumulative(expected)
    ends = range(bins, bins + 1) if last_only else range(1, bins + 1)
    stat = np.zeros((*counts.shape[:-1], len(ends)))
    where = np.zeros((*counts.shape[:-1], len(ends)), dtype=np.int64)
    taus = np.arange(0, bins, change_every)
    for i, b in enumerate(ends):
        tau = taus[taus < b]
        n_total, a_total = c[..., b : b + 1], m[..., b : b + 1]
        llr = arrival_llr(n_total, a_total, n_total - c[..., tau], a_total - m[..., tau], k)
        stat[..., i] = llr.max(axis=-1)
        where[..., i] = tau[llr.argmax(axis=-1)]
    return stat, where


def largest_arrivals_statistic(
    counts: np.ndarray, expected: np.ndarray, k: float, change_every: int, *, chunk_days: int = 512
) -> np.ndarray:
    """Each day's (row of ``counts``, days × bins) largest statistic over all
    bin ends and change times: ``arrivals_statistic(counts, expected, k,
    change_every)[0].max(axis=1)`` bit for bit, about five times cheaper (the
    drift's calibration needs only this).

    Every log-likelihood ratio is the same floating-point expression of the
    same operands as in :func:`arrival_llr`, and a max is exact, so only the
    order of the work differs: a pass per change time over all later ends,
    days along the contiguous axis (no gather, no per-end Python loop, no
    argmax); the terms that do not depend on the day once per (change time,
    end)."""
    days, bins = counts.shape
    m = cumulative(expected)
    day_free = []  # per change time: per ratio, log ρ and the term of the end and change time
    for tau in range(0, bins, change_every):
        a_total = m[tau + 1 :]
        a_after = a_total - m[tau]
        terms = []
        for rho in RATIOS:
            if math.isinf(k):
                term = (rho - 1.0) * a_after
            else:
                term = np.log(a_total + (rho - 1.0) * a_after + k) - np.log(a_total + k)
            terms.append((math.log(rho), term[:, None]))
        day_free.append((tau, terms))
    best = np.full(days, -np.inf)
    for lo in range(0, days, chunk_days):
        c = np.ascontiguousarray(cumulative(counts[lo : lo + chunk_days]).T)  # ends × days
        k_plus_n = c if math.isinf(k) else k + c
        top = best[lo : lo + chunk_days]
        for tau, terms in day_free:
            n_after = c[tau + 1 :] - c[tau]
            for log_rho, term in terms:
                llr = n_after * log_rho
                llr -= term if math.isinf(k) else k_plus_n[tau + 1 :] * term
                np.maximum(top, llr.max(axis=0), out=top)
    return best


def scale_llr(dist: Distribution, x_s: np.ndarray, rho: float) -> np.ndarray:
    """log f_ρ(x) − log f(x) for ``dist`` scaled by ``rho`` (exact for the
    exponential, gamma and lognormal families; a gamma of the same mean and cv
    stands in for an empirical one)."""
    x = np.maximum(x_s, 1e-9)
    mean = dist.mean_s
    if dist.dist == "lognormal":
        assert dist.cv is not None
        sigma2 = math.log1p(dist.cv**2)
        mu = math.log(mean) - sigma2 / 2
        z0, z1 = np.log(x) - mu, np.log(x) - mu - math.log(rho)
        return np.asarray((z0**2 - z1**2) / (2 * sigma2))
    if dist.dist == "exponential":
        cv = 1.0
    elif dist.dist == "gamma" and dist.cv is not None:
        cv = dist.cv
    else:  # empirical: its own mean and cv
        samples = np.asarray(dist.samples or (mean,), dtype=float)
        cv = float(samples.std() / samples.mean()) if samples.mean() > 0 else 1.0
    k = 1.0 / max(cv, 0.05) ** 2
    return np.asarray(-k * math.log(rho) + k * (x / mean) * (1.0 - 1.0 / rho))


def odds_llrs(p0: np.ndarray, happened: np.ndarray) -> list[np.ndarray]:
    """Per alternative of :data:`ODDS`, the log-likelihood ratio of each
    outcome (``happened`` with the model's probability ``p0``) when its odds
    are multiplied by that factor."""
    out = []
    for odds in ODDS:
        p1 = odds * p0 / (1.0 - p0 + odds * p0)
        out.append(np.where(happened, np.log(p1 / p0), np.log((1.0 - p1) / (1.0 - p0))))
    return out


def sequential(
    known_s: np.ndarray, llrs: list[np.ndarray], changes_s: np.ndarray, at_s: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """At each time of ``at_s``: the largest sum of ``llrs`` (one array per
    alternative) over the observations known at or after a change time (of
    ``changes_s``, not after that time) and by then, at least 0; and the
    change time that gives it (the first one when nothing is positive)."""
    order = np.argsort(known_s, kind="stable")
    known = known_s[order]
    best = np.zeros(len(at_s))
    where = np.full(len(at_s), float(changes_s[0]) if len(changes_s) else 0.0)
    if not len(changes_s):
        return best, where
    lo = np.searchsorted(known, changes_s, side="left")  # first known at or after each change
    hi = np.searchsorted(known, at_s, side="right")  # past the last known by each time
    valid = changes_s[:, None] <= at_s[None, :]
    for llr in llrs:
        total = cumulative(llr[order])
        sums = np.where(valid, total[hi][None, :] - total[lo][:, None], -np.inf)
        top = sums.max(axis=0)
        better = top > best
        best = np.where(better, top, best)
        where = np.where(better, changes_s[sums.argmax(axis=0)], where)
    return best, where
