"""The parameters of the distribution families a scenario writes by mean and
coefficient of variation (cv): one conversion, used to draw (streams, demand),
to condition (warm start) and to fit (calibration)."""

from __future__ import annotations

import math

import numpy as np


def gamma_shape_scale(mean: float, cv: float) -> tuple[float, float]:
    """Gamma ``(shape, scale)`` with the given mean and cv: shape = 1/cv²."""
    shape = 1.0 / cv**2
    return shape, mean / shape


def lognormal_mu_sigma(mean: float, cv: float) -> tuple[float, float]:
    """``(mu, sigma)`` of the normal whose exponential has the given mean and cv:
    sigma² = log(1 + cv²), mu = log(mean) − sigma²/2."""
    # numpy's scalar log (not math.log): the streams drew with it, and a last-bit
    # difference in mu would change every lognormal draw of a seeded run
    sigma2 = float(np.log1p(cv**2))
    return float(np.log(mean)) - sigma2 / 2.0, float(np.sqrt(sigma2))


def weibull_cv(shape: float) -> float:
    """The cv of a Weibull of shape ``k``: √(Γ(1 + 2/k) / Γ(1 + 1/k)² − 1)."""
    return math.sqrt(max(math.expm1(_log_moment_ratio(shape)), 0.0))


def _log_moment_ratio(shape: float) -> float:
    """``log(1 + cv²)`` of a Weibull of shape ``k``, which falls as ``k`` grows."""
    return math.lgamma(1.0 + 2.0 / shape) - 2.0 * math.lgamma(1.0 + 1.0 / shape)


def weibull_shape_scale(mean: float, cv: float) -> tuple[float, float]:
    """Weibull ``(shape k, scale λ)`` with the given mean and cv: ``k`` solves
    :func:`weibull_cv` (bisection on ``log k`` to the last bit, for any cv from
    0.001 up), λ = mean / Γ(1 + 1/k)."""
    target = math.log1p(cv * cv)
    lo, hi = math.log(0.005), math.log(2000.0)  # cv about 10⁶⁰ … 0.0006
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if _log_moment_ratio(math.exp(mid)) > target:
            lo = mid  # too variable: a larger shape
        else:
            hi = mid
    shape = math.exp(0.5 * (lo + hi))
    return shape, mean / math.exp(math.lgamma(1.0 + 1.0 / shape))
