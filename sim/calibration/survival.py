"""What a log identifies about patience without assuming a family: the survival
curve ``S(t)`` (share of customers still willing to wait after ``t``) up to the
longest waits the log holds commonly, ``τ`` (the 95th percentile of the waits
to a call), summarised as ``S(τ)`` and the restricted mean ``∫₀^τ S``.

* An ``exact`` log (give-up times logged) is right-censored data: the
  Kaplan–Meier curve, Greenwood's variance (``S(τ)`` on the log–log scale) and
  the usual variance of the restricted mean.
* A ``no_show`` log only says, at each call, whether the customer was still
  there: current-status data. The nonparametric MLE of ``1 − S`` is the
  isotonic regression of "gone" on the wait (pool-adjacent-violators). Its
  restricted mean is a smooth functional, so a bootstrap of the log's
  (wait, gone) pairs gives its CI; ``S(τ)`` is not (the NPMLE converges at
  ``n^(1/3)``), so its CI is the valid binomial one: the calls at waits ``≥ τ``
  bound ``1 − S(τ)`` from above, as many calls just before ``τ`` from below
  (Clopper–Pearson on each side).

In both, the mean patience is at least the restricted mean, so at least the
lower end of its CI. With nobody seen giving up by ``τ`` the curve is flat and
its restricted mean's CI is ``[τ·S_low(τ), τ]`` (``S`` falls, so ``∫₀^τ S ≥
τ·S(τ)``), ``S_low`` the lower end of the binomial CI of ``S(τ)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

TAU_QUANTILE = 0.95
BOOTSTRAP = 200
Z95 = 1.959963984540054


@dataclass(frozen=True)
class Survival:
    """The nonparametric patience curve of one segment (module docstring)."""

    method: str  # "kaplan_meier" or "current_status"
    known_until_s: float  # τ
    beyond: int  # waits to a call at or beyond τ
    survival_at_tau: float
    survival_ci95: tuple[float, float]
    restricted_mean_s: float
    restricted_mean_ci95_s: tuple[float, float]
    mean_lower_bound_s: float  # 95%: the mean patience is at least this
    curve: tuple[tuple[float, float], ...]  # (t_s, S) where S changes, from (0, 1)


def known_until(waits_s: np.ndarray) -> float:
    """``τ``: the :data:`TAU_QUANTILE` quantile of the waits to a call."""
    w = waits_s[np.isfinite(waits_s)]
    return float(np.quantile(w, TAU_QUANTILE)) if len(w) else 0.0


def _clopper_pearson(x: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    if n <= 0:
        return 0.0, 1.0
    lo = float(stats.beta.ppf(alpha / 2, x, n - x + 1)) if x > 0 else 0.0
    hi = float(stats.beta.ppf(1 - alpha / 2, x + 1, n - x)) if x < n else 1.0
    return lo, hi


def _steps_area(t: np.ndarray, s: np.ndarray, tau: float) -> float:
    """``∫₀^τ`` of the right-continuous step function equal to 1 before ``t[0]``
    and ``s[i]`` on ``[t[i], t[i+1])``."""
    keep = t < tau
    t, s = t[keep], s[keep]
    if not len(t):
        return tau
    edges = np.append(t, tau)
    return float(t[0] + np.sum(np.diff(edges) * s))


def _curve(t: np.ndarray, s: np.ndarray) -> tuple[tuple[float, float], ...]:
    out: list[tuple[float, float]] = [(0.0, 1.0)]
    for ti, si in zip(t.tolist(), s.tolist(), strict=True):
        if si != out[-1][1]:
            out.append((ti, si))
    return tuple(out)


def _zero_event_bound(beyond: int) -> tuple[float, float]:
    """``S(τ)`` CI when nobody was seen giving up by ``τ``: ``beyond`` people
    still there at ``τ`` or later, none gone."""
    return 1.0 - _clopper_pearson(0, beyond)[1], 1.0


def kaplan_meier(times_s: np.ndarray, gave_up: np.ndarray, waits_s: np.ndarray) -> Survival:
    """Kaplan–Meier from exact give-up times and right-censored times
    (``gave_up`` False), ``τ`` from the waits to a call ``waits_s``."""
    tau = known_until(waits_s)
    order = np.argsort(times_s, kind="stable")
    t, e = times_s[order], gave_up[order].astype(int)
    uniq, first = np.unique(t, return_index=True)
    deaths = np.add.reduceat(e, first) if len(t) else np.zeros(0, dtype=int)
    at_risk = len(t) - first
    ev = deaths > 0
    tj, dj, yj = uniq[ev], deaths[ev].astype(float), at_risk[ev].astype(float)
    s = np.cumprod(1.0 - dj / yj)
    beyond = int(np.count_nonzero(times_s >= tau))
    before = tj <= tau
    s_tau = float(s[before][-1]) if before.any() else 1.0
    rmst = _steps_area(tj, s, tau)
    with np.errstate(divide="ignore", invalid="ignore"):
        green = np.where(yj > dj, dj / (yj * (yj - dj)), np.inf)
    if before.any() and 0.0 < s_tau < 1.0:
        v = float(np.sum(green[before]))
        half = Z95 * math.sqrt(v) / abs(math.log(s_tau))
        s_ci = (s_tau ** math.exp(half), s_tau ** math.exp(-half))
    elif before.any():
        s_ci = (0.0, _clopper_pearson(0, beyond)[1]) if s_tau == 0.0 else _zero_event_bound(beyond)
    else:
        s_ci = _zero_event_bound(beyond)
    # Var(RMST) = Σ_{t_j ≤ τ} A_j² d_j / (Y_j (Y_j − d_j)), A_j = ∫_{t_j}^τ S
    upto = tj[0] + np.concatenate([[0.0], np.cumsum(np.diff(tj) * s[:-1])]) if len(tj) else tj
    area_after = rmst - upto
    finite = before & np.isfinite(green)
    var = float(np.sum(area_after[finite] ** 2 * green[finite]))
    r_ci = (rmst - Z95 * math.sqrt(var), min(tau, rmst + Z95 * math.sqrt(var)))
    if not before.any():  # nobody seen giving up by τ: ∫₀^τ S ≥ τ·S(τ)
        r_ci = (tau * s_ci[0], tau)
    bound = r_ci[0]
    return Survival("kaplan_meier", tau, beyond, s_tau, s_ci, rmst, r_ci, bound, _curve(tj, s))


def _npmle(t: np.ndarray, n: np.ndarray, gone: np.ndarray) -> np.ndarray:
    """``1 − S`` at grouped inspection times ``t`` (ascending) with ``n`` calls
    and ``gone`` customers gone at each: weighted pool-adjacent-violators."""
    keep = n > 0
    f = np.zeros(len(t))
    if keep.any():
        f[keep] = optimize.isotonic_regression(
            gone[keep] / n[keep], weights=n[keep], increasing=True
        ).x
        # a time without calls (bootstrap) takes the value before it
        idx = np.maximum.accumulate(np.where(keep, np.arange(len(t)), 0))
        f = f[idx]
    return f


def current_status(waits_s: np.ndarray, gone: np.ndarray, seed: int = 0) -> Survival:
    """The NPMLE of patience from each call's wait ``waits_s`` and whether the
    customer was ``gone`` then; CIs as the module docstring says (bootstrap with
    ``seed``: the same log always gives the same CI)."""
    tau = known_until(waits_s)
    w = np.round(waits_s, 0)  # to the second: ties pooled, the data a few thousand points
    t, inverse = np.unique(w, return_inverse=True)
    n = np.bincount(inverse, minlength=len(t)).astype(float)
    x = np.bincount(inverse, weights=gone.astype(float), minlength=len(t))
    f = _npmle(t, n, x)
    s = 1.0 - f
    before = t <= tau
    s_tau = float(s[before][-1]) if before.any() else 1.0
    rmst = _steps_area(t, s, tau)

    rng = np.random.default_rng(seed)
    p = np.where(n > 0, x / np.maximum(n, 1), 0.0)
    total = int(n.sum())
    boot = np.empty(BOOTSTRAP)
    for b in range(BOOTSTRAP):
        nb = rng.multinomial(total, n / total).astype(float)
        xb = rng.binomial(nb.astype(np.int64), p).astype(float)
        boot[b] = _steps_area(t, 1.0 - _npmle(t, nb, xb), tau)
    r_ci = (float(np.quantile(boot, 0.025)), float(np.quantile(boot, 0.975)))

    above = waits_s >= tau
    m = int(above.sum())
    f_hi = _clopper_pearson(int(gone[above].sum()), m)[1]
    below = np.flatnonzero(~above)
    near = below[np.argsort(waits_s[below], kind="stable")[::-1][: max(m, 1)]]
    f_lo = _clopper_pearson(int(gone[near].sum()), len(near))[0]
    s_ci = (1.0 - f_hi, 1.0 - f_lo)
    if not gone[waits_s <= tau].any():  # nobody seen gone by τ: ∫₀^τ S ≥ τ·S(τ)
        r_ci = (tau * s_ci[0], tau)
    bound = r_ci[0]
    return Survival("current_status", tau, m, s_tau, s_ci, rmst, r_ci, bound, _curve(t, s))
