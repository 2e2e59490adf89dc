"""Censored maximum likelihood for patience: exponential, gamma, Weibull and
lognormal fitted to exact times, right-censored times and times known only to
lie in ``(0, b]``, each with its mean, a 95% CI of the mean, cv, AIC and
survival at a given time; and which families, and which of their means, the
log rules out.

A (family, mean) pair is ruled out when the likelihood ratio of the family
held at that mean against the generalised gamma (:mod:`sim.calibration.gengamma`,
which holds all four) exceeds the chi-square 95% point with as many degrees of
freedom as constraints: the family's own (2 for the exponential, 1 for the
others) plus the mean (1). If patience follows one of the four families, its
true (family, mean) pair survives with probability 95%: so the means not ruled
out, over all families, are a 95% confidence set for the mean that does not
assume the family; a family none of whose means survives is ruled out. A
family not ruled out also keeps its own 95% interval (valid if it is the
family): its range is the union of both.

Times are grouped on a relative grid first (a few thousand distinct values
whatever the log's length).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

from sim.calibration import gengamma

FAMILIES = ("exponential", "gamma", "weibull", "lognormal")
PARAMETERS = {"exponential": 1, "gamma": 2, "weibull": 2, "lognormal": 2}
LEVEL = 0.95
CHI2_95 = float(stats.chi2.ppf(LEVEL, 1))  # a family's own profile-likelihood interval
AT_ONCE_S = 1e-3  # a wait this short is a customer called at once: no observation
_MAX_LOG = 700.0
# a CI end more than 100 times off the estimate is the log saying nothing: unbounded
_UNBOUNDED = math.log(100.0)
_TINY = 1e-300
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
# times grouped on a relative grid of 0.5%: cells of a second at 200 s, of 5 ms at 1 s
# (give-ups within a second of the ticket are common where the hazard is highest
# at the start: rounded to the whole second they changed one family's likelihood
# and not another's); a few thousand points whatever the log's length
_GRID = 5e-3


@dataclass(frozen=True)
class CensoredFit:
    """One family's maximum-likelihood fit: mean (seconds) with a 95% CI that
    holds if the family is right (the profile likelihood's for the families
    not ruled out, which stays honest when the tail is barely seen; else the
    delta method's on the log mean), cv, AIC, its survival at ``τ``, the
    likelihood ratio against the generalised gamma (``lr_general``) and the
    means the log does not rule out (``mean_range_s``, module docstring; None:
    the family is ruled out)."""

    family: str
    mean_s: float
    mean_ci95_s: tuple[float, float]
    cv: float
    loglik: float
    aic: float
    survival_at_tau: float = math.nan
    lr_general: float = math.nan
    mean_range_s: tuple[float, float] | None = None

    @property
    def plausible(self) -> bool:
        """Some mean of this family is not ruled out by the log."""
        return self.mean_range_s is not None


@dataclass(frozen=True)
class CensoredData:
    """Exact, right-censored and left-censored ``(0, b]`` times, each grouped on
    a relative grid with counts (the likelihood of a few thousand points)."""

    x: np.ndarray
    wx: np.ndarray
    r: np.ndarray
    wr: np.ndarray
    b: np.ndarray
    wb: np.ndarray

    @classmethod
    def of(cls, exact_s: np.ndarray, right_s: np.ndarray, upper_s: np.ndarray) -> CensoredData:
        """Group the (positive) times. A wait under :data:`AT_ONCE_S` is a
        customer called at once, no observation (every family has ``S(0) = 1``):
        read as half a second, as it once was, it cost only a constant hazard,
        and biased the choice of family against the exponential."""
        return cls(
            *_grouped(exact_s[exact_s > 0]),
            *_grouped(right_s[right_s >= AT_ONCE_S]),
            *_grouped(upper_s[upper_s > 0]),
        )

    @property
    def events(self) -> float:
        """Give-ups: exact or known to have happened by ``b``."""
        return float(self.wx.sum() + self.wb.sum())

    # The likelihoods are evaluated thousands of times on the same data: the
    # logs of the times and the count of exact ones, taken once (the same
    # arrays, bit for bit, as taken at each evaluation).
    @functools.cached_property
    def log_x(self) -> np.ndarray:
        logs: np.ndarray = np.log(self.x)
        return logs

    @functools.cached_property
    def log_r(self) -> np.ndarray:
        logs: np.ndarray = np.log(self.r)
        return logs

    @functools.cached_property
    def log_b(self) -> np.ndarray:
        logs: np.ndarray = np.log(self.b)
        return logs

    @functools.cached_property
    def exact(self) -> float:
        return float(self.wx.sum())


def _grouped(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each cell of the grid as the mean of its times (which cancels the first-order
    error of grouping) with their count."""
    _, cell, counts = np.unique(
        np.round(np.log(t) / _GRID), return_inverse=True, return_counts=True
    )
    return np.bincount(cell, weights=t) / counts, counts.astype(float)


def _loglik(family: str, theta: np.ndarray, d: CensoredData) -> float:
    """Censored log-likelihood: pdf at ``x``, survival at ``r``, cdf at ``b``."""
    if family == "exponential":
        scale = math.exp(theta[0])
        cdf = -np.expm1(-d.b / scale)
        return float(
            -theta[0] * d.exact
            - (d.wx @ d.x + d.wr @ d.r) / scale
            + d.wb @ np.log(np.maximum(cdf, _TINY))
        )
    if family == "gamma":
        k, scale = math.exp(theta[0]), math.exp(theta[1])
        pdf = (k - 1) * d.log_x - d.x / scale - special.gammaln(k) - k * theta[1]
        sf = np.log(np.maximum(special.gammaincc(k, d.r / scale), _TINY))
        cdf = np.log(np.maximum(special.gammainc(k, d.b / scale), _TINY))
        return float(d.wx @ pdf + d.wr @ sf + d.wb @ cdf)
    if family == "weibull":
        k, lam = math.exp(theta[0]), math.exp(theta[1])
        zx = (d.x / lam) ** k
        pdf = theta[0] - theta[1] + (k - 1) * (d.log_x - theta[1]) - zx
        cdf = np.log(np.maximum(-np.expm1(-((d.b / lam) ** k)), _TINY))
        return float(d.wx @ pdf - d.wr @ (d.r / lam) ** k + d.wb @ cdf)
    mu, sigma = theta[0], math.exp(theta[1])
    lx = d.log_x
    zx = (lx - mu) / sigma
    pdf = -(lx + theta[1] + _HALF_LOG_2PI) - 0.5 * zx * zx
    sf = special.log_ndtr(-(d.log_r - mu) / sigma)
    cdf = special.log_ndtr((d.log_b - mu) / sigma)
    return float(d.wx @ pdf + d.wr @ sf + d.wb @ cdf)


def _moments(family: str, theta: np.ndarray) -> tuple[float, np.ndarray, float]:
    """``(log mean, its gradient in theta, cv)``."""
    if family == "exponential":
        return float(theta[0]), np.array([1.0]), 1.0
    if family == "gamma":
        return float(theta[0] + theta[1]), np.array([1.0, 1.0]), math.exp(-theta[0] / 2)
    if family == "weibull":
        k = math.exp(theta[0])
        g1, g2 = special.gammaln(1 + 1 / k), special.gammaln(1 + 2 / k)
        cv = math.sqrt(max(math.expm1(g2 - 2 * g1), 0.0))
        return float(theta[1] + g1), np.array([-special.digamma(1 + 1 / k) / k, 1.0]), cv
    s2 = math.exp(2 * theta[1])
    return float(theta[0] + s2 / 2), np.array([1.0, s2]), math.sqrt(math.expm1(s2))


def _survival(family: str, theta: np.ndarray, t: float) -> float:
    if family == "exponential":
        return math.exp(-t / math.exp(theta[0]))
    if family == "gamma":
        return float(special.gammaincc(math.exp(theta[0]), t / math.exp(theta[1])))
    if family == "weibull":
        return math.exp(-((t / math.exp(theta[1])) ** math.exp(theta[0])))
    return float(special.ndtr(-(math.log(max(t, _TINY)) - theta[0]) / math.exp(theta[1])))


def _hessian(f: Callable[[np.ndarray], float], theta: np.ndarray, h: float = 1e-3) -> np.ndarray:
    k = len(theta)
    out = np.zeros((k, k))
    for i in range(k):
        for j in range(k):
            ei, ej = np.eye(k)[i] * h, np.eye(k)[j] * h
            out[i, j] = (
                f(theta + ei + ej) - f(theta + ei - ej) - f(theta - ei + ej) + f(theta - ei - ej)
            ) / (4 * h * h)
    return out


def _theta_at(family: str, log_mean: float, shape: float) -> np.ndarray:
    """Parameters with this log mean and shape (log k, log k, log sigma)."""
    if family == "exponential":
        return np.array([log_mean])
    if family == "gamma":
        return np.array([shape, log_mean - shape])
    if family == "weibull":
        return np.array([shape, log_mean - special.gammaln(1 + math.exp(-shape))])
    return np.array([log_mean - math.exp(2 * shape) / 2, shape])


def _profile_ci(
    family: str,
    nll: Callable[[np.ndarray], float],
    theta: np.ndarray,
    log_mean: float,
    se: float,
    allowance: float,
) -> tuple[float, float]:
    """The means whose best fit over the shape has a likelihood-ratio statistic
    ``2·(nll − min nll)`` within ``allowance`` (``χ²₁(95%)``: the family's own
    95% profile-likelihood interval); an end ``0`` or ``inf`` when the
    likelihood stays that flat past 100 times the estimate."""
    floor = nll(theta)
    shape = float(theta[1] if family == "lognormal" else theta[0])

    def deficit(m: float) -> float:
        if family == "exponential":
            best = nll(_theta_at(family, m, 0.0))
        else:
            best = optimize.minimize_scalar(
                lambda sh: nll(_theta_at(family, m, sh)),
                bounds=(shape - 4.0, shape + 4.0),
                method="bounded",
                options={"xatol": 1e-5},
            ).fun
        return 2 * (best - floor) - allowance

    ends = []
    step = min(max(se, 0.02), 1.0) if math.isfinite(se) else 0.5
    for sign in (-1.0, 1.0):
        width = step
        while deficit(log_mean + sign * width) < 0:
            width *= 2
            if width > 2 * _UNBOUNDED:
                break
        if width > 2 * _UNBOUNDED:  # still inside: unbounded that way
            ends.append(sign * _MAX_LOG)
            continue
        lo, hi = sorted((log_mean, log_mean + sign * width))
        ends.append(optimize.brentq(deficit, lo, hi, xtol=1e-5))
    return _bounded(log_mean, ends[0], ends[1])


def _bounded(log_mean: float, lo: float, hi: float) -> tuple[float, float]:
    """``exp`` of a log-scale interval, an end past :data:`_UNBOUNDED` as 0 or inf."""
    return (
        0.0 if lo < log_mean - _UNBOUNDED else math.exp(lo),
        math.inf if hi > log_mean + _UNBOUNDED else math.exp(hi),
    )


@dataclass(frozen=True)
class _Fitted:
    """A family's fit with what its intervals need: the negative log-likelihood,
    the maximising parameters and the delta method's standard error of the log mean."""

    fit: CensoredFit
    nll: Callable[[np.ndarray], float]
    theta: np.ndarray
    log_mean: float
    se: float

    def interval(self, allowance: float) -> tuple[float, float]:
        return _profile_ci(self.fit.family, self.nll, self.theta, self.log_mean, self.se, allowance)


def _fit(family: str, d: CensoredData, exp_log_mean: float, tau: float) -> _Fitted:
    """The maximum-likelihood fit of ``family`` (its CI the delta method's)."""

    # The profile intervals ask again for parameters asked before (each interval
    # starts from the same means, and its optimiser from the same shapes):
    # remembered, by the exact bits of the parameters.
    known: dict[bytes, float] = {}

    def nll(t: np.ndarray) -> float:
        key = t.tobytes()
        value = known.get(key)
        if value is None:
            value = -_loglik(family, t, d)
            value = known[key] = value if math.isfinite(value) else 1e300
        return value

    if family == "exponential":
        starts = [np.array([exp_log_mean])]
    elif family == "lognormal":
        starts = [np.array([exp_log_mean - 0.5 * s * s, math.log(s)]) for s in (0.5, 1.0)]
    elif family == "gamma":  # shape 1 is the exponential
        starts = [np.array([math.log(k), exp_log_mean - math.log(k)]) for k in (1.0, 4.0)]
    else:
        starts = [np.array([math.log(k), exp_log_mean]) for k in (1.0, 2.5)]
    best = None
    for start in starts:
        res = optimize.minimize(
            nll, start, method="Nelder-Mead", options={"xatol": 1e-7, "fatol": 1e-7}
        )
        if best is None or res.fun < best.fun:
            best = res
    assert best is not None
    theta = best.x
    log_mean, grad, cv = _moments(family, theta)
    try:
        cov = np.linalg.inv(_hessian(nll, theta))
        se = math.sqrt(max(float(grad @ cov @ grad), 0.0))
    except np.linalg.LinAlgError:
        se = math.inf
    if not math.isfinite(se):
        se = math.inf
    ll = -float(best.fun)
    ci = _bounded(log_mean, log_mean - 1.96 * se, log_mean + 1.96 * se)
    mean = math.exp(min(log_mean, _MAX_LOG))
    aic = 2 * len(theta) - 2 * ll
    fit = CensoredFit(family, mean, ci, cv, ll, aic, _survival(family, theta, tau))
    return _Fitted(fit, nll, theta, log_mean, se)


def _allowance(family: str, lr_general: float) -> float:
    """How far below its own maximum a mean of ``family`` may take the
    likelihood-ratio statistic and not be ruled out (module docstring); negative:
    the family is ruled out whatever its mean."""
    constraints = 1 + len(gengamma.PARAMETERS) - PARAMETERS[family]
    return float(stats.chi2.ppf(LEVEL, constraints)) - lr_general


def fit_families(
    exact_s: np.ndarray, right_s: np.ndarray, upper_s: np.ndarray, tau_s: float
) -> tuple[CensoredFit, ...]:
    """Every family of :data:`FAMILIES` fitted to exact, right-censored and
    ``(0, upper]`` times (at least one give-up), with which of their means the
    log rules out (module docstring). A family not ruled out gets the
    profile-likelihood CI of its mean, the others the delta method's. Should
    every family be ruled out (patience follows none of them), the one with
    the lowest AIC is kept, with its own 95% interval as its range.
    ``survival_at_tau`` is at ``tau_s``."""
    d = CensoredData.of(exact_s, right_s, upper_s)
    exposure = float(d.wx @ d.x + d.wr @ d.r + d.wb @ d.b / 2)
    start = math.log(max(exposure / max(d.events, 1.0), 1.0))  # the exponential's MLE, roughly
    fitted = [_fit(f, d, start, tau_s) for f in FAMILIES]
    # from the two likeliest families: the generalised gamma's maximum lies near them
    likeliest = sorted(fitted, key=lambda f: -f.fit.loglik)[:2]
    starts = [gengamma.theta_from(f.fit.family, f.theta) for f in likeliest]
    general = gengamma.max_loglik(d, starts, at_least=likeliest[0].fit.loglik)
    lr = {f.fit.family: 2 * (general - f.fit.loglik) for f in fitted}
    allowance = {name: _allowance(name, value) for name, value in lr.items()}
    if max(allowance.values()) < 0:  # patience follows none: keep the closest
        allowance[min(fitted, key=lambda f: f.fit.aic).fit.family] = 0.0
    out = []
    for f in fitted:
        fit = dataclasses.replace(f.fit, lr_general=lr[f.fit.family])
        extra = allowance[fit.family]
        if extra >= 0:
            own = f.interval(CHI2_95)
            joint = f.interval(extra) if extra > CHI2_95 else own
            fit = dataclasses.replace(fit, mean_ci95_s=own, mean_range_s=joint)
        out.append(fit)
    return tuple(out)
