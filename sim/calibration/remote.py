"""Remote tickets from a log: the share of each service's tickets taken
remotely (``remote_ticket_issued``) and how long their holders take to reach
the hall (to ``ticket_checked_in``), for the scenario's ``arrivals.remote``.

The share is the service's remote tickets over all of its tickets, with the
Wilson score 95% interval (honest near 0, where a share of tickets taken
from home starts). The log holds no kiosk users, and booked customers are not
told apart, so it is the share of the service's counter tickets, which is
what the fitted scenario (without appointments) draws.

A holder who checked in gives the travel time exactly. A holder whose ticket
was closed first (called while still away and given up, its hold run out,
closed at closing) was not there by then: the travel time is right-censored
at the ticket's last event. A remote ticket the log leaves open says
nothing. Leaving the censored holders out would shorten the mean (the long
journeys are the ones that miss their call), so the four families of
:mod:`sim.calibration.censored` are fitted by censored maximum likelihood;
the scenario takes the lowest BIC among those the log does not rule out, and
the mean's 95% CI is that family's profile-likelihood interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from sim.calibration.arrivals import Share
from sim.calibration.censored import PARAMETERS, CensoredFit, fit_families
from sim.model.scenario import Distribution

_Z95 = float(stats.norm.ppf(0.975))


@dataclass(frozen=True)
class RemoteFit:
    """Remote tickets of a log: per service the share of its tickets taken
    remotely (every service of the log, 0 included); how many remote tickets
    there were, how many holders checked in (exact travel times) and how many
    tickets ended before (right-censored); the travel-time fits (none without
    a check-in) and the family the scenario takes (``chosen``)."""

    share: dict[str, Share]
    tickets: int
    checked_in: int
    censored: int
    fits: tuple[CensoredFit, ...]
    chosen: str | None

    @property
    def travel(self) -> CensoredFit | None:
        """The chosen travel-time fit (None: no holder checked in)."""
        return next((f for f in self.fits if f.family == self.chosen), None)

    def distribution(self) -> Distribution | None:
        """The chosen fit as a scenario distribution (None: no holder checked in)."""
        best = self.travel
        if best is None:
            return None
        cv = None if best.family == "exponential" else round(best.cv, 4)
        return Distribution(dist=best.family, mean=round(best.mean_s, 1), cv=cv)


def wilson(k: int, n: int) -> tuple[float, float]:
    """The Wilson score 95% interval of a share of ``k`` in ``n``."""
    if n == 0:
        return (math.nan, math.nan)
    p = k / n
    z2 = _Z95 * _Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = _Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    # at k = 0 (or n) the bound is 0 (or 1) exactly, not a rounding error off it
    return (0.0 if k == 0 else centre - half, 1.0 if k == n else centre + half)


def fit_remote(
    services: list[str],
    svc: np.ndarray,
    remote: np.ndarray,
    issued: np.ndarray,
    checked_in: np.ndarray,
    ended: np.ndarray,
) -> RemoteFit | None:
    """The remote tickets of a log (module docstring) from columns over all its
    tickets: service index, issued remotely, issue and check-in (NaN: none)
    times, and when the ticket was closed (its last call, end or give-up; NaN:
    open), seconds. None when no ticket was taken remotely."""
    n_remote = int(remote.sum())
    if not n_remote:
        return None
    share = {}
    for i, name in enumerate(services):
        mine = svc == i
        n, k = int(mine.sum()), int((mine & remote).sum())
        share[name] = Share(k / n if n else 0.0, wilson(k, n))
    came = remote & np.isfinite(checked_in)
    exact = np.maximum(checked_in[came] - issued[came], 0.0)
    away = remote & ~came & np.isfinite(ended)
    right = ended[away] - issued[away]
    fits: tuple[CensoredFit, ...] = ()
    chosen = None
    if np.count_nonzero(exact > 0):
        tau_s = float(np.quantile(np.concatenate([exact, right]), 0.95))
        fits = fit_families(exact, right, np.array([]), tau_s)
        chosen = min((f for f in fits if f.plausible), key=lambda f: _bic(f, len(exact))).family
    return RemoteFit(share, n_remote, int(came.sum()), int(away.sum()), fits, chosen)


def _bic(fit: CensoredFit, events: int) -> float:
    """BIC with the exact times as the sample size, as for censored data."""
    return -2 * fit.loglik + PARAMETERS[fit.family] * math.log(max(events, 1))
