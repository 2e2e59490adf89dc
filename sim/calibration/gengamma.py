"""The generalised gamma: the one distribution that holds every patience family
the fit tries, so the yardstick for which of them (and which of their means)
the log rules out.

Prentice's parametrisation (location ``mu``, scale ``sigma``, shape ``q``),
with ``w = (log t − mu) / sigma``: for ``q ≠ 0``, ``q⁻² · exp(q·w)`` is
gamma-distributed with shape ``q⁻²``; ``q → 0`` is the lognormal. Inside it,
Weibull is ``q = 1``, gamma ``q = sigma``, the exponential ``q = sigma = 1``
(Cox, Chu, Schneider and Muñoz, *Statistics in Medicine* 26, 2007), all
interior points, so the likelihood ratio of a family against it is
asymptotically chi-square with as many degrees of freedom as the family has
constraints.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
from scipy import optimize, special

if TYPE_CHECKING:
    from sim.calibration.censored import CensoredData

PARAMETERS = ("mu", "log_sigma", "q")
_TINY = 1e-300
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
# below this |q| the shape is the lognormal's to double precision in the data's range
_LOGNORMAL_Q = 1e-5


def _log(p: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.log(np.maximum(p, _TINY))
    return out


def loglik(theta: np.ndarray, d: CensoredData) -> float:
    """Censored log-likelihood at ``(mu, log sigma, q)``: density at the exact
    times, survival at the right-censored, cdf at the ``(0, b]`` ones."""
    mu, log_sigma, q = float(theta[0]), float(theta[1]), float(theta[2])
    sigma = math.exp(log_sigma)
    wx, wr, wb = ((t - mu) / sigma for t in (d.log_x, d.log_r, d.log_b))
    if abs(q) < _LOGNORMAL_Q:
        pdf = -(d.log_x + log_sigma + _HALF_LOG_2PI) - 0.5 * wx * wx
        return float(d.wx @ pdf + d.wr @ special.log_ndtr(-wr) + d.wb @ special.log_ndtr(wb))
    g = 1.0 / (q * q)
    with np.errstate(over="ignore", invalid="ignore"):
        qx = q * wx
        # g·log g − lgamma(g) + g·(q·w − e^{q·w}), with e^{q·w} − 1 − q·w kept exact near 0
        pdf = (
            math.log(abs(q)) - log_sigma - d.log_x
            + g * math.log(g) - special.gammaln(g) - g
            - g * (np.expm1(qx) - qx)
        )  # fmt: skip
        ur, ub = g * np.exp(q * wr), g * np.exp(q * wb)
        if q > 0:
            sf, cdf = special.gammaincc(g, ur), special.gammainc(g, ub)
        else:
            sf, cdf = special.gammainc(g, ur), special.gammaincc(g, ub)
        value = float(d.wx @ pdf + d.wr @ _log(sf) + d.wb @ _log(cdf))
    return value if math.isfinite(value) else -math.inf


def theta_from(family: str, theta: np.ndarray) -> np.ndarray:
    """``(mu, log sigma, q)`` of a family's fit (its parameters as
    :mod:`sim.calibration.censored` writes them); the lognormal at ``q = 0``."""
    if family == "exponential":
        return np.array([float(theta[0]), 0.0, 1.0])
    if family == "weibull":  # k, λ: sigma = 1/k, mu = log λ
        return np.array([float(theta[1]), -float(theta[0]), 1.0])
    if family == "gamma":  # k, scale: q = sigma = 1/√k, mu = log(k·scale)
        return np.array([float(theta[0] + theta[1]), -float(theta[0]) / 2, math.exp(-theta[0] / 2)])
    return np.array([float(theta[0]), float(theta[1]), 0.0])


def max_loglik(d: CensoredData, starts: Iterable[np.ndarray], at_least: float) -> float:
    """The generalised gamma's maximum log-likelihood, searched from each start
    (the families' fits, :func:`theta_from`); never below ``at_least`` (the best
    family's, which it contains, the lognormal as a limit)."""

    def nll(t: np.ndarray) -> float:
        value = -loglik(t, d)
        return value if math.isfinite(value) else 1e300

    best = -at_least
    for start in starts:
        # steps of a tenth in each direction: q moves off the lognormal's 0 at once
        simplex = np.vstack([start, start + np.diag([0.1, 0.1, 0.25])])
        res = optimize.minimize(
            nll,
            start,
            method="Nelder-Mead",
            options={"initial_simplex": simplex, "xatol": 1e-6, "fatol": 1e-7, "maxiter": 2000},
        )
        best = min(best, float(res.fun))
    return -best
