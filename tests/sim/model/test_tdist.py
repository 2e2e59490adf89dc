"""The scipy-free t quantile agrees with scipy."""

from __future__ import annotations

import pytest
from scipy.special import stdtrit

from sim.model.tdist import t_quantile


@pytest.mark.parametrize("df", [*range(1, 60), 99, 100, 250, 999, 1000, 5000, 99_999])
@pytest.mark.parametrize("p", [0.5, 0.9, 0.975, 0.995])
def test_matches_scipy(df: int, p: float) -> None:
    assert t_quantile(df, p) == pytest.approx(float(stdtrit(df, p)), rel=1e-10, abs=1e-12)


def test_textbook_values() -> None:
    assert t_quantile(1, 0.975) == pytest.approx(12.7062047, rel=1e-7)
    assert t_quantile(9, 0.975) == pytest.approx(2.2621572, rel=1e-7)
    assert t_quantile(19, 0.975) == pytest.approx(2.0930241, rel=1e-7)


def test_very_many_degrees_of_freedom_use_the_normal_limit() -> None:
    assert t_quantile(10**6, 0.975) == pytest.approx(float(stdtrit(10**6, 0.975)), rel=1e-5)


@pytest.mark.parametrize(("df", "p"), [(0, 0.975), (5, 0.4), (5, 1.0)])
def test_bad_arguments(df: int, p: float) -> None:
    with pytest.raises(ValueError):
        t_quantile(df, p)
