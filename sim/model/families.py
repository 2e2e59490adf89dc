"""The parameters of the distribution families a scenario writes by mean and
coefficient of variation (cv): one conversion, used to draw (streams, demand),
to condition (warm start) and to fit (calibration)."""

from __future__ import annotations

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
