"""Patience (time a customer waits before giving up) from censored waits.

A served customer's patience exceeded the wait (right-censored); an exact log's
``ticket_abandoned`` gives the patience itself; a ``no_show`` log only says the
customer was gone by the call, so the patience lies in ``(0, called − issued]``
(interval-censored: the no-show delay after the call is the counter's, not the
customer's). A customer called the moment they took a ticket says nothing. The
exponential, gamma, Weibull and lognormal are fitted by maximising the censored
log-likelihood (:mod:`sim.calibration.censored`).

What the log identifies is the survival curve up to about the 95th-percentile
wait ``τ`` (:mod:`sim.calibration.survival`); beyond it a family's tail is an
extrapolation. So the fit says which families, and which of their means, the
log rules out (a likelihood-ratio test against the generalised gamma, which
holds all four), and reports the mean as the range of every mean not ruled
out in any family: a 95% confidence set that does not assume the family. A
segment is *identified* when it has at least :data:`MIN_GIVE_UPS` give-ups and
``S(τ)`` at most :data:`MAX_S_TAU`. The scenario takes, among the families not
ruled out, the lowest BIC when identified, else the lowest BIC of those whose
mean the middle one's CI holds (:func:`_choose`); with no give-up at all only a
lower bound is given and the scenario has no patience. The simulator draws all
four families.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from sim.calibration.censored import AT_ONCE_S, PARAMETERS, CensoredFit, fit_families
from sim.calibration.survival import Survival, current_status, kaplan_meier
from sim.model.scenario import Distribution

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

MIN_GIVE_UPS = 30
MAX_S_TAU = 0.5


@dataclass(frozen=True)
class Observations:
    """What one segment's log says about patience, in seconds after the ticket
    was taken: give-ups seen when they happened (``exact_s``), waits the
    customer outlasted (``right_s``, served; 0 for a customer called at once),
    waits by which the customer had gone (``upper_s``: patience at most that),
    and every wait to a call (``waits_s``, for ``τ``)."""

    exact_s: np.ndarray
    right_s: np.ndarray
    upper_s: np.ndarray
    waits_s: np.ndarray


@dataclass(frozen=True)
class PatienceFit:
    """Patience of one segment: the observations and how many of each kind
    count (``right``: served after a wait), the nonparametric curve
    (``survival``), the parametric fits (none without give-ups), the best by
    AIC, the family the scenario takes (``chosen``, None without give-ups) and
    whether the mean is identified (module docstring)."""

    segment: str
    observations: Observations = field(repr=False)
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
        """The fits of the families the log does not rule out."""
        return tuple(f for f in self.fits if f.plausible)

    @property
    def mean_range_s(self) -> tuple[float, float]:
        """Every mean the log does not rule out, over all families (its 95%
        confidence set, as an interval); without give-ups, from the
        nonparametric lower bound to infinity."""
        if not self.fits:
            return self.survival.mean_lower_bound_s, math.inf
        ranges = [f.mean_range_s for f in self.plausible if f.mean_range_s is not None]
        return min(lo for lo, _ in ranges), max(hi for _, hi in ranges)

    def distribution(self) -> Distribution | None:
        """The chosen fit as a scenario distribution (None: nobody gave up)."""
        if self.chosen is None:
            return None
        best = self.best
        cv = None if best.family == "exponential" else round(best.cv, 4)
        return Distribution(dist=best.family, mean=round(best.mean_s, 1), cv=cv)


def _bic(fit: CensoredFit, gave_up: int) -> float:
    """BIC with the give-ups as the sample size, as for censored data."""
    return -2 * fit.loglik + PARAMETERS[fit.family] * math.log(max(gave_up, 1))


def _choose(fits: tuple[CensoredFit, ...], identified: bool, gave_up: int) -> str:
    """The scenario's family among those not ruled out: when the mean is
    identified, the lowest BIC (AIC takes a two-parameter family over a true
    exponential whenever it gains one log-likelihood unit: in one log of six
    for the gamma alone); else the lowest BIC of the families whose mean lies
    in the 95% CI of the middle family's (of two middle ones, either's): never
    a mean the middle family rules out, such as the exponential's many times
    too long when give-ups are few."""
    plausible = [f for f in fits if f.plausible]
    if not identified:
        ordered = sorted(plausible, key=lambda f: f.mean_s)
        middle = ordered[(len(ordered) - 1) // 2 : len(ordered) // 2 + 1]
        lo = min(f.mean_ci95_s[0] for f in middle)
        hi = max(f.mean_ci95_s[1] for f in middle)
        plausible = [f for f in plausible if lo <= f.mean_s <= hi]
    return min(plausible, key=lambda f: _bic(f, gave_up)).family


def fit_patience(segment: str, obs: Observations, exact_log: bool) -> PatienceFit:
    """Fit the families of the module docstring to ``obs``. The nonparametric
    curve is Kaplan–Meier for an ``exact_log``, else the current-status NPMLE
    from the calls (served: still there; no-show: gone)."""
    x = obs.exact_s[obs.exact_s > 0]
    r = obs.right_s[obs.right_s >= AT_ONCE_S]
    b = np.maximum(obs.upper_s, 1e-3)
    if exact_log:
        times = np.concatenate([x, r])
        events = np.concatenate([np.ones(len(x)), np.zeros(len(r))]).astype(bool)
        surv = kaplan_meier(times, events, obs.waits_s)
    else:  # every call is an inspection, those at once too (τ counts every wait)
        inspected = np.concatenate([obs.right_s, b])
        gone = np.concatenate([np.zeros(len(obs.right_s)), np.ones(len(b))]).astype(bool)
        surv = current_status(inspected, gone, seed=len(inspected))
    gave_up = len(x) + len(b)
    fits: tuple[CensoredFit, ...] = ()
    best_aic = chosen = None
    identified = gave_up >= MIN_GIVE_UPS and surv.survival_at_tau <= MAX_S_TAU
    if gave_up:
        fits = fit_families(x, r, b, surv.known_until_s)
        best_aic = min(fits, key=lambda f: f.aic).family
        chosen = _choose(fits, identified, gave_up)
    counts = (len(x), len(r), len(b))
    return PatienceFit(segment, obs, *counts, surv, fits, best_aic, chosen, identified)


def segment_observations(
    segments: list[str],
    seg: np.ndarray,
    issued: np.ndarray,
    called: np.ndarray,
    abandoned: np.ndarray,
    no_show: np.ndarray,
    served: np.ndarray,
    closed_out: np.ndarray,
    exact_log: bool,
) -> dict[str, Observations]:
    """Patience observations per segment from columns of all tickets. Served
    waits are right-censored. In an ``exact_log`` a give-up is exact at its
    ``ticket_abandoned`` (a no-show without one: gone by the call) and a ticket
    ``closed_out`` (cancelled at the day's end) is right-censored there; in a
    ``no_show`` log a no-show was gone by the call and a closed-out ticket says
    nothing (whether they were still there is unknown). Balked tickets
    (cancelled when issued) are not patience. Every segment with a call appears."""
    has_call = np.isfinite(called)
    left = np.isfinite(abandoned) & (abandoned > issued)
    out: dict[str, Observations] = {}
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
        out[name] = Observations(exact, np.concatenate(right), upper, waits)
    return out


class PatienceFits:
    """:func:`fit_patience` of every segment's observations, started on entry
    and read by :meth:`result`:
    with ``workers`` above 1 the segments are fitted in that many worker
    processes while the caller goes on with other work (the fit of each
    segment is a function of its observations alone, so the results are the
    same as in this process); with 1, in this process when asked for. On exit
    the workers are gone (work not yet read is cancelled)."""

    def __init__(self, observations: dict[str, Observations], exact_log: bool, workers: int):
        self.observations, self.exact_log = observations, exact_log
        self.workers = min(workers, len(observations))
        self._pool: ProcessPoolExecutor | None = None
        self._futures: dict[str, Future[PatienceFit]] = {}

    def __enter__(self) -> PatienceFits:
        if self.workers > 1:
            # imported here: only a fit with workers pays for multiprocessing's import
            from concurrent.futures import ProcessPoolExecutor

            self._pool = ProcessPoolExecutor(max_workers=self.workers)
            # the longest first: the segment with the most calls takes the most time
            by_size = sorted(self.observations.items(), key=lambda o: -len(o[1].waits_s))
            self._futures = {
                name: self._pool.submit(fit_patience, name, obs, self.exact_log)
                for name, obs in by_size
            }
        return self

    def result(self) -> dict[str, PatienceFit]:
        """Each segment's fit, in the order of ``observations``."""
        if self._pool is None:
            return {
                name: fit_patience(name, obs, self.exact_log)
                for name, obs in self.observations.items()
            }
        return {name: self._futures[name].result() for name in self.observations}

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
