"""Patience (time a customer waits before giving up) from censored waits.

A served customer's patience exceeded the wait (right-censored); an exact log's
``ticket_abandoned`` gives the patience itself; a ``no_show`` log only says the
customer was gone by the call, so the patience lies in ``(0, called - issued]``
(interval-censored). Exponential and lognormal are fitted by maximising the
censored log-likelihood and chosen by AIC."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from sim.model.scenario import Distribution

MAX_CI_RATIO = 4.0


@dataclass(frozen=True)
class CensoredFit:
    """One family's maximum-likelihood fit: mean (seconds) with a 95% CI from
    the observed information (delta method on the log mean), cv, AIC."""

    family: str
    mean_s: float
    mean_ci95_s: tuple[float, float]
    cv: float
    loglik: float
    aic: float


@dataclass(frozen=True)
class PatienceFit:
    """Patience of one segment: how many observations of each kind, the fits,
    the chosen one and a Kaplan–Meier curve ``(t_s, survival)`` in which an
    interval-censored give-up counts as a give-up at the interval's midpoint."""

    segment: str
    exact: int
    right: int
    interval: int
    fits: tuple[CensoredFit, ...]
    chosen: str
    km: tuple[tuple[float, float], ...]

    @property
    def best(self) -> CensoredFit:
        return next(f for f in self.fits if f.family == self.chosen)

    def distribution(self) -> Distribution:
        """The chosen fit as a scenario distribution."""
        best = self.best
        cv = None if best.family == "exponential" else round(best.cv, 4)
        return Distribution(dist=best.family, mean=round(best.mean_s, 1), cv=cv)


_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _exp_ll(theta: np.ndarray, x: np.ndarray, r: np.ndarray, b: np.ndarray) -> float:
    """Exponential log-likelihood, ``theta = [log mean]``: pdf at ``x``, survival
    at ``r``, cdf at ``b`` (closed forms, no scipy objects: this runs per step)."""
    scale = math.exp(theta[0])
    exact_and_right = -len(x) * theta[0] - (x.sum() + r.sum()) / scale
    return float(exact_and_right + np.log(-np.expm1(-b / scale)).sum())


def _lognorm_ll(theta: np.ndarray, lx: np.ndarray, lr: np.ndarray, lb: np.ndarray) -> float:
    """Lognormal log-likelihood, ``theta = [mu, log sigma]``, from the logs of the
    exact, right-censored and interval-censored (upper end) times."""
    mu, sigma = theta[0], math.exp(theta[1])
    zx = (lx - mu) / sigma
    pdf = -(lx.sum() + len(lx) * (theta[1] + _HALF_LOG_2PI)) - 0.5 * float(zx @ zx)
    sf = special.log_ndtr(-(lr - mu) / sigma).sum()
    cdf = special.log_ndtr((lb - mu) / sigma).sum()
    return float(pdf + sf + cdf)


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


def _fit(family: str, x: np.ndarray, r: np.ndarray, b: np.ndarray) -> CensoredFit:
    everything = np.concatenate([x, r, b])
    m0 = math.log(max(float(everything.mean()), 1.0))
    if family == "exponential":

        def nll(t: np.ndarray) -> float:
            return -_exp_ll(t, x, r, b)

        start = np.array([m0 + 1.0])
    else:
        lx, lr, lb = np.log(x), np.log(r), np.log(b)

        def nll(t: np.ndarray) -> float:
            return -_lognorm_ll(t, lx, lr, lb)

        start = np.array([m0 + 1.0, 0.0])
    res = optimize.minimize(
        nll, start, method="Nelder-Mead", options={"xatol": 1e-6, "fatol": 1e-6}
    )
    theta = res.x
    if family == "exponential":
        log_mean, grad, cv = theta[0], np.array([1.0]), 1.0
    else:
        s2 = math.exp(2 * theta[1])
        log_mean, grad, cv = theta[0] + s2 / 2, np.array([1.0, s2]), math.sqrt(math.expm1(s2))
    try:
        cov = np.linalg.inv(_hessian(nll, theta))
        se = math.sqrt(max(float(grad @ cov @ grad), 0.0))
    except np.linalg.LinAlgError:
        se = math.inf
    ll = -float(res.fun)
    mean = math.exp(log_mean)
    ci = (math.exp(log_mean - 1.96 * se), math.exp(min(log_mean + 1.96 * se, 700.0)))
    return CensoredFit(family, mean, ci, cv, ll, 2 * len(theta) - 2 * ll)


def kaplan_meier(times_s: np.ndarray, gave_up: np.ndarray) -> tuple[tuple[float, float], ...]:
    """Kaplan–Meier survival ``(t_s, S(t))`` at each distinct give-up time."""
    order = np.argsort(times_s, kind="stable")
    t, e = times_s[order], gave_up[order]
    at_risk = len(t)
    survival = 1.0
    curve: list[tuple[float, float]] = [(0.0, 1.0)]
    uniq, first = np.unique(t, return_index=True)
    counts = np.diff(np.append(first, len(t)))
    events = np.add.reduceat(e.astype(int), first) if len(t) else np.array([], dtype=int)
    for ti, n_here, d in zip(uniq.tolist(), counts.tolist(), events.tolist(), strict=True):
        if d:
            survival *= 1 - d / at_risk
            curve.append((ti, survival))
        at_risk -= n_here
    return tuple(curve)


def fit_patience(
    segment: str, exact_s: np.ndarray, right_s: np.ndarray, upper_s: np.ndarray
) -> PatienceFit:
    """Fit exponential and lognormal patience to exact give-up times, right-censored
    waits (served) and interval-censored give-ups in ``(0, upper_s]``; choose by
    AIC among fits whose mean is identified (95% CI within a factor 4), else
    exponential."""
    x = exact_s[exact_s > 0]
    r = right_s[right_s > 0]
    b = np.maximum(upper_s, 1e-3)
    fits = tuple(_fit(f, x, r, b) for f in ("exponential", "lognormal"))
    # few give-ups, or only interval-censored ones, leave lognormal's tail (and so
    # its mean) unidentified: a CI spanning more than a factor 4 does not compete
    identified = [f for f in fits if f.mean_ci95_s[1] < MAX_CI_RATIO * f.mean_ci95_s[0]]
    chosen = min(identified or fits[:1], key=lambda f: f.aic).family
    times = np.concatenate([x, r, b / 2])
    gave_up = np.concatenate([np.ones(len(x)), np.zeros(len(r)), np.ones(len(b))]).astype(bool)
    return PatienceFit(segment, len(x), len(r), len(b), fits, chosen, kaplan_meier(times, gave_up))


def segment_patience(
    segments: list[str],
    seg: np.ndarray,
    issued: np.ndarray,
    called: np.ndarray,
    abandoned: np.ndarray,
    no_show: np.ndarray,
    served: np.ndarray,
    exact_abandons: bool,
) -> dict[str, PatienceFit]:
    """Patience per segment from boolean/array columns of all tickets: served
    waits are right-censored; give-ups exact (``exact_abandons``) or
    interval-censored by the call or close-out. Segments nobody left are absent."""
    gave_up = ~served & np.isfinite(abandoned) & (abandoned > issued)  # balked: not patience
    out: dict[str, PatienceFit] = {}
    for i, name in enumerate(segments):
        mine = seg == i
        right = (called - issued)[mine & served]
        if exact_abandons:
            exact = (abandoned - issued)[mine & gave_up]
            upper = np.array([])
        else:
            exact = np.array([])
            never_called = mine & gave_up & ~np.isfinite(called)
            shown = mine & no_show
            upper = np.concatenate([(abandoned - issued)[never_called], (called - issued)[shown]])
        if len(exact) + len(upper) == 0:
            continue  # nobody gave up: no patience to fit (it stays absent)
        out[name] = fit_patience(name, exact, right, upper)
    return out
