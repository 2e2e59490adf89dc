"""Student's t quantiles for confidence intervals, without scipy at start-up.

``scipy.special`` takes about 0.27 s to import, paid by every multi-replication
run just to look up one quantile. For whole degrees of freedom the t
distribution has an exact finite-series CDF (Abramowitz & Stegun 26.7.3 and
26.7.4), which bisection inverts to machine precision. Checked against
``scipy.special.stdtrit`` in tests/sim/model/test_tdist.py.
"""

from __future__ import annotations

import math
from functools import lru_cache


def _central_mass(t: float, df: int) -> float:
    """P(|T| <= t) for Student's t with ``df`` whole degrees of freedom (t >= 0)."""
    theta = math.atan(t / math.sqrt(df))
    s, c2 = math.sin(theta), math.cos(theta) ** 2
    if df % 2 == 1:
        if df == 1:
            return 2.0 * theta / math.pi
        term, total = math.cos(theta), math.cos(theta)
        for k in range(3, df - 1, 2):  # cos + 2/3 cos³ + 2·4/(3·5) cos⁵ + …
            term *= c2 * (k - 1) / k
            total += term
        return 2.0 / math.pi * (theta + s * total)
    term, total = 1.0, 1.0
    for k in range(2, df - 1, 2):  # 1 + 1/2 cos² + 1·3/(2·4) cos⁴ + …
        term *= c2 * (k - 1) / k
        total += term
    return s * total


@lru_cache(maxsize=256)
def t_quantile(df: int, p: float) -> float:
    """The ``p`` quantile (0.5 <= p < 1) of Student's t with ``df`` >= 1 whole
    degrees of freedom."""
    if df < 1 or not 0.5 <= p < 1.0:
        raise ValueError(f"need df >= 1 and 0.5 <= p < 1, not df={df}, p={p}")
    if df > 100_000:  # the series would be long; the normal limit is exact to ~1e-5 here
        from statistics import NormalDist

        return NormalDist().inv_cdf(p)
    mass = 2.0 * p - 1.0
    lo, hi = 0.0, 1.0
    while _central_mass(hi, df) < mass:
        lo, hi = hi, hi * 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if _central_mass(mid, df) < mass:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)
