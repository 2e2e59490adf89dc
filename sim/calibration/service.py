"""Service times and counters from an event log: service-time families fitted
by maximum likelihood and chosen by AIC (with a Kolmogorov–Smirnov check and an
empirical fallback; ``fixed`` when the speed-corrected durations barely vary),
counter groups with their skills, and dispatch order between segments. Speeds
are :mod:`sim.calibration.speeds`', staffing :mod:`sim.calibration.staffing`'s.
Pure functions of arrays."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from sim.model.families import gamma_shape_scale, lognormal_mu_sigma
from sim.model.scenario import Distribution

KS_ALPHA = 0.01
LR_CRITICAL_1DF = 6.635  # chi-square(1) at 1%: gamma must beat its exponential special case
EMPIRICAL_SAMPLES = 500
# durations (at speed 1) varying by under 2% are one fixed time: the spread left is
# the error of the speed estimates and the log's rounding, not the service's
FIXED_CV = 0.02


@dataclass(frozen=True)
class FamilyFit:
    """One family fitted by maximum likelihood (location 0): its mean and cv in
    seconds, log-likelihood, AIC and the KS test's p-value."""

    family: str
    mean_s: float
    cv: float
    loglik: float
    aic: float
    ks_p: float


@dataclass(frozen=True)
class ServiceFit:
    """The service time of one service at speed 1: the sample mean with a 95%
    CI, the chosen family (``empirical`` when none passes KS at 1%) and all fits."""

    service: str
    n: int
    mean_s: float
    mean_ci95_s: tuple[float, float]
    chosen: str
    fits: tuple[FamilyFit, ...]
    samples_s: tuple[float, ...] | None
    percentiles_s: tuple[float, ...]  # the sample's 1st..99th percentiles, for QQ plots
    cv: float = math.nan  # of the durations at speed 1

    def distribution(self) -> Distribution:
        """The chosen fit as a scenario distribution."""
        if self.samples_s is not None:
            return Distribution(dist="empirical", samples=self.samples_s)
        if self.chosen == "fixed":
            return Distribution(dist="fixed", mean=round(self.mean_s, 3))
        best = next(f for f in self.fits if f.family == self.chosen)
        cv = None if best.family == "exponential" else round(best.cv, 4)
        return Distribution(dist=best.family, mean=round(best.mean_s, 3), cv=cv)


def _family_fits(x: np.ndarray) -> list[FamilyFit]:
    fits: list[FamilyFit] = []
    scale = float(x.mean())
    frozen = stats.expon(scale=scale)
    fits.append(_summarise("exponential", frozen, x, 1, scale, 1.0))
    s, _, sc = stats.lognorm.fit(x, floc=0)
    frozen = stats.lognorm(s, scale=sc)
    fits.append(
        _summarise(
            "lognormal", frozen, x, 2, sc * math.exp(s * s / 2), math.sqrt(math.expm1(s * s))
        )
    )
    a, _, sc = stats.gamma.fit(x, floc=0)
    frozen = stats.gamma(a, scale=sc)
    fits.append(_summarise("gamma", frozen, x, 2, a * sc, 1 / math.sqrt(a)))
    return fits


def _summarise(
    family: str, frozen: object, x: np.ndarray, k: int, mean_s: float, cv: float
) -> FamilyFit:
    loglik = float(np.sum(frozen.logpdf(x)))  # type: ignore[attr-defined]
    ks_p = float(stats.kstest(x, frozen.cdf).pvalue)  # type: ignore[attr-defined]
    return FamilyFit(family, mean_s, cv, loglik, 2 * k - 2 * loglik, ks_p)


def fit_service_time(service: str, durations_s: np.ndarray) -> ServiceFit:
    """``fixed`` when the durations' cv is under :data:`FIXED_CV`; else fit
    exponential, lognormal and gamma to positive ``durations_s`` and choose
    by AIC; exponential is kept over gamma unless the likelihood-ratio test
    rejects it at 1% (it is gamma's special case). No family passing KS at 1%
    gives an ``empirical`` fit of up to 500 quantiles."""
    x = durations_s[np.isfinite(durations_s) & (durations_s > 0)]
    n = len(x)
    mean = float(x.mean())
    sd = float(x.std(ddof=1)) if n > 1 else math.nan
    half = float(stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)) if n > 1 else math.nan
    pct = tuple(float(v) for v in np.percentile(x, np.arange(1, 100)))
    cv = sd / mean if mean > 0 else math.nan
    if n > 1 and cv < FIXED_CV:
        fixed = FamilyFit("fixed", mean, cv, math.nan, math.nan, math.nan)
        ci = (mean - half, mean + half)
        return ServiceFit(service, n, mean, ci, "fixed", (fixed,), None, pct, cv)
    fits = _family_fits(x)
    by_name = {f.family: f for f in fits}
    chosen = min(fits, key=lambda f: f.aic).family
    if chosen == "gamma":
        lr = 2 * (by_name["gamma"].loglik - by_name["exponential"].loglik)
        if lr < LR_CRITICAL_1DF:
            chosen = "exponential"
    samples: tuple[float, ...] | None = None
    if by_name[chosen].ks_p < KS_ALPHA:
        passing = [f for f in fits if f.ks_p >= KS_ALPHA]
        if passing:
            chosen = min(passing, key=lambda f: f.aic).family
        else:
            chosen = "empirical"
            m = min(EMPIRICAL_SAMPLES, n)
            q = np.quantile(x, (np.arange(m) + 0.5) / m)
            samples = tuple(round(float(v), 3) for v in q)
    return ServiceFit(
        service, n, mean, (mean - half, mean + half), chosen, tuple(fits), samples, pct, cv
    )


def group_of(counter: str) -> str:
    """Counter ``B12`` belongs to group ``B`` (trailing digits stripped)."""
    return re.sub(r"\d+$", "", counter) or counter


@dataclass(frozen=True)
class GroupFit:
    """A counter group: speed relative to the busiest group with its 95% CI
    (:mod:`sim.calibration.speeds`), skills by frequency, segments it is
    restricted to (or None) and its staffing ``(start_s, count)`` as steps
    (:mod:`sim.calibration.staffing`)."""

    id: str
    counters: tuple[str, ...]
    speed: float
    services: tuple[str, ...]
    segments: tuple[str, ...] | None
    served: int
    count: tuple[tuple[float, int], ...]
    speed_ci95: tuple[float, float] = (math.nan, math.nan)


def segment_restriction(
    served_segments: np.ndarray, segment_names: list[str], all_shares: dict[str, float]
) -> tuple[str, ...] | None:
    """A group that only ever served one segment, a minority (< 50%) of the
    customers, is taken to be reserved for it."""
    seen = np.unique(served_segments)
    if len(seen) == 1:
        name = segment_names[int(seen[0])]
        if all_shares.get(name, 1.0) < 0.5:
            return (name,)
    return None


def frozen(family: str, mean_s: float, cv: float) -> Any:
    """The scipy distribution of ``family`` with this mean and cv."""
    if family == "exponential":
        return stats.expon(scale=mean_s)
    if family == "gamma":
        shape, scale = gamma_shape_scale(mean_s, cv)
        return stats.gamma(shape, scale=scale)
    mu, sigma = lognormal_mu_sigma(mean_s, cv)
    return stats.lognorm(sigma, scale=math.exp(mu))


MIN_OVERTAKES = 20
ONE_WAY_SHARE = 0.9


def overtakes(
    day: np.ndarray,
    issued_s: np.ndarray,
    called_s: np.ndarray,
    abandoned_s: np.ndarray,
    service: np.ndarray,
    segment: np.ndarray,
    counter: np.ndarray,
    n_segments: int,
) -> np.ndarray:
    """Overtakes counted from the dispatch order: ``out[a, b]`` is how often a
    ticket of segment ``a`` was called while a ticket of segment ``b``, issued
    earlier, still waited (not yet called nor closed) and the calling counter
    had called a ticket of ``b``'s service and segment before (so it could
    have taken it). Calls at one instant are taken in issue order."""
    out = np.zeros((n_segments, n_segments), dtype=np.int64)
    was_called = np.isfinite(called_s) & (counter >= 0)
    order = np.lexsort((issued_s, np.where(was_called, called_s, np.inf), day))
    order = order[was_called[order]]
    rank = np.full(len(day), len(day) + 1, dtype=np.int64)  # call order; never called: last
    rank[order] = np.arange(len(order))
    n_svc = int(service.max()) + 1 if len(service) else 0
    kinds = service * n_segments + segment
    first = np.full((int(counter.max()) + 1 if len(counter) else 0, n_svc * n_segments), -1)
    closed_s = np.where(np.isfinite(abandoned_s), abandoned_s, np.inf)
    for d in np.unique(day):
        mine = np.flatnonzero(day == d)
        mine = mine[np.argsort(issued_s[mine], kind="stable")]
        pos = np.empty(len(day), dtype=np.int64)
        pos[mine] = np.arange(len(mine))
        r, c_s, k, seg = rank[mine], closed_s[mine], kinds[mine], segment[mine]
        # the walk reads one ticket at a time: Python numbers, not numpy scalars
        r_at, closed_at, n_mine = r.tolist(), c_s.tolist(), len(mine)
        calls = order[day[order] == d]
        lo = 0  # earliest-issued ticket that may still wait: a ticket called or closed
        for p, rank_j, now, c, kind_j, seg_j in zip(  # lo never moves back: see above
            pos[calls].tolist(),
            rank[calls].tolist(),
            called_s[calls].tolist(),
            counter[calls].tolist(),
            kinds[calls].tolist(),
            segment[calls].tolist(),
            strict=True,
        ):
            while lo < n_mine and (r_at[lo] < rank_j or closed_at[lo] <= now):
                lo += 1
            if lo < p:
                known = first[c, k[lo:p]]
                waiting = (r[lo:p] > rank_j) & (c_s[lo:p] > now) & (seg[lo:p] != seg_j)
                waiting &= (known >= 0) & (known < rank_j)
                out[seg_j] += np.bincount(seg[lo:p][waiting], minlength=n_segments)
            if first[c, kind_j] < 0:
                first[c, kind_j] = rank_j
    return out


def priority_layers(
    counts: np.ndarray,
    names: list[str],
    min_overtakes: int = MIN_OVERTAKES,
    one_way: float = ONE_WAY_SHARE,
) -> dict[str, int]:
    """Integer priorities (0 first) from overtake ``counts``: ``a`` ranks before
    ``b`` when at least ``min_overtakes`` overtakes go between them and more than
    ``one_way`` of them are ``a`` overtaking ``b``. Priorities are the layers of
    that order (a segment comes one layer after the last one ranked before it);
    segments without evidence share layer 0, and a cycle, which the thresholds
    should rule out, puts its members in one layer."""
    n = len(names)
    before = np.zeros((n, n), dtype=bool)
    for a in range(n):
        for b in range(n):
            total = counts[a, b] + counts[b, a]
            before[a, b] = a != b and total >= min_overtakes and counts[a, b] > one_way * total
    layer: dict[str, int] = {}
    left = set(range(n))
    level = 0
    while left:
        free = {b for b in left if not any(before[a, b] for a in left)} or set(left)
        layer |= {names[b]: level for b in free}
        left -= free
        level += 1
    return {name: layer[name] for name in names}
