"""Every family a scenario writes by mean and cv is drawn with that mean and cv
and with the family's shape (issue 19: the simulator draws every family the
fit can choose, Weibull included)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize, stats

from sim.model.families import weibull_cv, weibull_shape_scale
from sim.model.scenario import Distribution
from sim.model.streams import draw, stream

N = 200_000


def _reference(dist: str, mean: float, cv: float) -> stats.rv_continuous:
    """scipy's own distribution with this mean and cv (solved by scipy for the Weibull)."""
    if dist == "exponential":
        return stats.expon(scale=mean)
    if dist == "gamma":
        return stats.gamma(1 / cv**2, scale=mean * cv**2)
    if dist == "lognormal":
        s = math.sqrt(math.log1p(cv**2))
        return stats.lognorm(s, scale=mean * math.exp(-s * s / 2))
    k = optimize.brentq(  # the shape whose std/mean is cv, from scipy's own moments
        lambda k: stats.weibull_min(k).std() / stats.weibull_min(k).mean() - cv, 0.1, 100
    )
    return stats.weibull_min(k, scale=mean / stats.weibull_min(k).mean())


@pytest.mark.parametrize(
    ("dist", "cv"),
    [("exponential", 1.0), ("gamma", 0.5), ("lognormal", 0.8), ("weibull", 0.4),
     ("weibull", 1.0), ("weibull", 2.5)],
)  # fmt: skip
def test_draws_have_the_mean_the_cv_and_the_shape(dist: str, cv: float) -> None:
    mean = 600.0
    spec = Distribution.model_validate(
        {"dist": dist, "mean": mean, "cv": None if dist == "exponential" else cv}
    )
    x = draw(spec, stream(3, 0, f"test:{dist}"), N)
    assert (x >= 0).all()
    # mean within its 99.9% CI (the cv is known, so is the standard error)
    assert abs(x.mean() - mean) <= 3.3 * cv * mean / math.sqrt(N)
    # the right family, not just the right moments: Kolmogorov–Smirnov against scipy's
    assert stats.kstest(x, _reference(dist, mean, cv).cdf).pvalue > 0.001


def test_weibull_shape_solves_the_cv() -> None:
    for cv in (0.05, 0.3, 1.0, 1.7, 4.0):
        k, scale = weibull_shape_scale(300.0, cv)
        assert weibull_cv(k) == pytest.approx(cv, rel=1e-12)
        ref = stats.weibull_min(k, scale=scale)
        assert ref.mean() == pytest.approx(300.0, rel=1e-12)
        assert ref.std() / ref.mean() == pytest.approx(cv, rel=1e-9)
    assert weibull_shape_scale(300.0, 1.0)[0] == pytest.approx(1.0, rel=1e-12)  # exponential


def test_weibull_needs_cv() -> None:
    with pytest.raises(ValueError, match="weibull needs cv"):
        Distribution(dist="weibull", mean=60.0)
    drawn = draw(Distribution(dist="weibull", mean=60.0, cv=0.3), stream(1, 0, "w"), 3)
    assert np.isfinite(drawn).all()
