"""Statistical helpers for tests: tolerances come from confidence intervals."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats


def ci_half_width(samples: Sequence[float] | np.ndarray, level: float = 0.99) -> float:
    """Half-width of the Student-t confidence interval of the mean of ``samples``."""
    arr = np.asarray(samples, dtype=float)
    n = len(arr)
    return float(stats.t.ppf(0.5 + level / 2, n - 1) * arr.std(ddof=1) / math.sqrt(n))


def assert_mean_matches(samples: Sequence[float], expected: float, what: str) -> None:
    """The 99% CI of the mean of independent replication estimates covers ``expected``."""
    mean = float(np.mean(samples))
    half = ci_half_width(samples)
    assert abs(mean - expected) <= half, (
        f"{what}: simulated {mean:.5g} ± {half:.3g} (99% CI) vs theory {expected:.5g}"
    )


def binomial_floor(n: int, rate: float, alpha: float = 0.001) -> int:
    """The fewest successes out of ``n`` that a method succeeding at ``rate``
    falls short of with probability at most ``alpha``: a coverage test's bar."""
    k = int(stats.binom.ppf(alpha, n, rate))
    return k if stats.binom.cdf(k - 1, n, rate) <= alpha else k - 1
