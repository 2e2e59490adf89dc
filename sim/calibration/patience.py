"""Patience (time a customer waits before giving up) from censored waits.

A served customer's patience exceeded the wait (right-censored); an exact log's
``ticket_abandoned`` gives the patience itself; a ``no_show`` log only says the
customer was gone by the call, so the patience lies in ``(0, called − issued]``
(interval-censored). Exponential, gamma, Weibull and lognormal are fitted by
maximising the censored log-likelihood (:mod:`sim.calibration.censored`) and
compared by AIC.

What the log identifies is the survival curve up to about the 95th-percentile
wait ``τ`` (:mod:`sim.calibration.survival`); beyond it a family's tail is an
extrapolation. So a segment is *identified* when it has at least
:data:`MIN_GIVE_UPS` give-ups and ``S(τ)`` at most :data:`MAX_S_TAU`; otherwise
its mean is reported as the range over the plausible families (AIC within
:data:`PLAUSIBLE_AIC` of the best), the scenario takes the plausible family
with the middle mean (never the most extreme), and with no give-up at all only
a lower bound is given. The simulator draws exponential, gamma and lognormal
patience; a Weibull that fits best is reported, and the scenario takes the best
of the others.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.calibration.censored import CensoredFit, fit_families
from sim.calibration.survival import Survival, current_status, kaplan_meier
from sim.model.scenario import Distribution

SIMULATED = ("exponential", "gamma", "lognormal")
MIN_GIVE_UPS = 30
MAX_S_TAU = 0.5
PLAUSIBLE_AIC = 4.0


@dataclass(frozen=True)
class PatienceFit:
    """Patience of one segment: observations of each kind, the nonparametric
    curve (``survival``), the parametric fits (none without give-ups), the
    best by AIC, the family the scenario takes (``chosen``, None without
    give-ups) and whether the mean is identified (module docstring)."""

    segment: str
    exact: int
    right: int
    interval: int
    survival: Survival
    fits: tuple[CensoredFit, ...]
    best_aic: str | None
    chosen: str | None
    identified: bool

    @property
    def gave_up(self) -> int:
        return self.exact + self.interval

    @property
    def best(self) -> CensoredFit:
        return next(f for f in self.fits if f.family == self.chosen)

    @property
    def plausible(self) -> tuple[CensoredFit, ...]:
        """Fits within :data:`PLAUSIBLE_AIC` of the lowest AIC."""
        if not self.fits:
            return ()
        low = min(f.aic for f in self.fits)
        return tuple(f for f in self.fits if f.aic <= low + PLAUSIBLE_AIC)

    @property
    def mean_range_s(self) -> tuple[float, float]:
        """From the lowest 95% bound of a plausible family's mean (at least the
        nonparametric lower bound) to the highest; without give-ups, from the
        lower bound to infinity."""
        lower = self.survival.mean_lower_bound_s
        if not self.fits:
            return lower, math.inf
        fits = self.plausible
        return max(lower, min(f.mean_ci95_s[0] for f in fits)), max(f.mean_ci95_s[1] for f in fits)

    def distribution(self) -> Distribution | None:
        """The chosen fit as a scenario distribution (None: nobody gave up)."""
        if self.chosen is None:
            return None
        best = self.best
        cv = None if best.family == "exponential" else round(best.cv, 4)
        return Distribution(dist=best.family, mean=round(best.mean_s, 1), cv=cv)


def _choose(fits: tuple[CensoredFit, ...], identified: bool) -> str:
    """The scenario's family: the lowest AIC the simulator can draw when the
    mean is identified; else, of the plausible ones it can draw, the middle
    mean (of two middle ones, the lower AIC)."""
    drawable = [f for f in fits if f.family in SIMULATED]
    if identified:
        return min(drawable, key=lambda f: f.aic).family
    low = min(f.aic for f in fits)
    plausible = [f for f in drawable if f.aic <= low + PLAUSIBLE_AIC] or [
        min(drawable, key=lambda f: f.aic)
    ]
    ordered = sorted(plausible, key=lambda f: f.mean_s)
    middle = ordered[(len(ordered) - 1) // 2 : len(ordered) // 2 + 1]
    return min(middle, key=lambda f: f.aic).family


def fit_patience(
    segment: str,
    exact_s: np.ndarray,
    right_s: np.ndarray,
    upper_s: np.ndarray,
    waits_s: np.ndarray,
    exact_log: bool,
) -> PatienceFit:
    """Fit the families of the module docstring to exact give-up times,
    right-censored times (served waits, tickets closed out) and give-ups in
    ``(0, upper_s]``; ``waits_s`` are the segment's waits to a call (``τ``).
    The nonparametric curve is Kaplan–Meier for an ``exact_log``, else the
    current-status NPMLE from the calls (served: still there; no-show: gone)."""
    x = exact_s[exact_s > 0]
    r = right_s[right_s > 0]
    b = np.maximum(upper_s, 1e-3)
    if exact_log:
        times = np.concatenate([x, r])
        events = np.concatenate([np.ones(len(x)), np.zeros(len(r))]).astype(bool)
        surv = kaplan_meier(times, events, waits_s)
    else:
        inspected = np.concatenate([r, b])
        gone = np.concatenate([np.zeros(len(r)), np.ones(len(b))]).astype(bool)
        surv = current_status(inspected, gone, seed=len(inspected))
    gave_up = len(x) + len(b)
    fits: tuple[CensoredFit, ...] = ()
    best_aic = chosen = None
    identified = gave_up >= MIN_GIVE_UPS and surv.survival_at_tau <= MAX_S_TAU
    if gave_up:
        fits = fit_families(x, r, b, surv.known_until_s, PLAUSIBLE_AIC)
        best_aic = min(fits, key=lambda f: f.aic).family
        chosen = _choose(fits, identified)
    return PatienceFit(segment, len(x), len(r), len(b), surv, fits, best_aic, chosen, identified)


def segment_patience(
    segments: list[str],
    seg: np.ndarray,
    issued: np.ndarray,
    called: np.ndarray,
    abandoned: np.ndarray,
    no_show: np.ndarray,
    served: np.ndarray,
    closed_out: np.ndarray,
    exact_log: bool,
) -> dict[str, PatienceFit]:
    """Patience per segment from columns of all tickets. Served waits are
    right-censored. In an ``exact_log`` a give-up is exact at its
    ``ticket_abandoned`` (a no-show without one: gone by the call) and a ticket
    ``closed_out`` (cancelled at the day's end) is right-censored there; in a
    ``no_show`` log a no-show was gone by the call and a closed-out ticket says
    nothing (whether they were still there is unknown). Balked tickets
    (cancelled when issued) are not patience. Every segment with a call appears."""
    has_call = np.isfinite(called)
    left = np.isfinite(abandoned) & (abandoned > issued)
    out: dict[str, PatienceFit] = {}
    for i, name in enumerate(segments):
        mine = seg == i
        waits = (called - issued)[mine & has_call]
        if not len(waits):
            continue
        right = [(called - issued)[mine & served]]
        if exact_log:
            gave_up = mine & ~served & left & ~closed_out
            exact = (abandoned - issued)[gave_up]
            upper = (called - issued)[mine & no_show & ~left]
            right.append((abandoned - issued)[mine & closed_out & left])
        else:
            exact = np.array([])
            upper = (called - issued)[mine & no_show]
        out[name] = fit_patience(name, exact, np.concatenate(right), upper, waits, exact_log)
    return out
