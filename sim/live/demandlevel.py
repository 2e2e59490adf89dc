"""Today's demand level, read from the tickets issued so far.

A scenario with ``arrivals.day_noise_cv`` draws one demand multiplier per day,
``F ~ Gamma(shape k = 1/cv², scale θ = cv²)`` (mean 1). A day simulated from
opening draws ``F`` from that prior; a day resumed at ``now`` has already
shown how busy it is: the counter tickets issued so far, ``N``, are Poisson
with mean ``F·Λ(now)``, ``Λ`` the expected number at ``F = 1``
(:func:`expected_tickets`). The posterior is again a gamma,
``Gamma(k + N, θ / (1 + θ·Λ))`` (:func:`day_factor_posterior`): early in the
day it is the prior, later it follows the count. The warm start draws the
rest of the day's customers at a factor from it (:func:`demand_scenario`).

What is counted is what a ticket system logs: counter tickets (kiosk users
take none) of the services counters serve. Customers who balked took no
ticket either, so a hall where many balk reads a little less busy than it is.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from sim.model.calendar import step_value
from sim.model.families import gamma_shape_scale
from sim.model.scenario import Scenario


def counter_ticket_share(scn: Scenario) -> float:
    """The share of customers who take a counter ticket: those whose service
    some counter serves, less those a kiosk takes."""
    kiosk_share = {name: k.share for k in scn.kiosks for name in k.services}
    served = {name for g in scn.counters for name in g.services}
    return math.fsum(
        share * (1.0 - kiosk_share.get(name, 0.0))
        for name, share in scn.arrivals.mix.items()
        if name in served
    )


def expected_between(scn: Scenario, lo_s: float, hi_s: float) -> float:
    """Expected counter tickets issued from ``lo_s`` to ``hi_s`` (seconds after
    local midnight, within the run) on a day of demand factor 1."""
    lo_s, hi_s = max(lo_s, scn.start_s), min(hi_s, scn.end_s)
    if hi_s <= lo_s:
        return 0.0
    steps = scn.arrivals.rate_per_hour
    knots = [lo_s, *(t for t, _ in steps if lo_s < t < hi_s), hi_s]
    customers = math.fsum(
        step_value(steps, a) * (b - a) / 3600.0 for a, b in itertools.pairwise(knots)
    )
    return max(customers, 0.0) * scn.arrivals.scale * counter_ticket_share(scn)


def expected_tickets(scn: Scenario, until_s: float) -> float:
    """Expected counter tickets issued from the start of the run until
    ``until_s`` on a day of demand factor 1."""
    return expected_between(scn, scn.start_s, until_s)


@dataclass(frozen=True)
class DemandLevel:
    """The gamma distribution of the demand factor of the rest of the day, as
    the tickets issued since ``since_s`` (seconds after local midnight) tell it."""

    shape: float
    scale: float
    since_s: float

    @property
    def mean(self) -> float:
        return self.shape * self.scale

    def draw(self, rng: np.random.Generator) -> float:
        return float(rng.gamma(self.shape, self.scale))


def demand_level(prior_cv: float, since_s: float, expected: float, issued: int) -> DemandLevel:
    """The posterior of the demand factor given ``issued`` tickets where
    ``expected`` were expected at factor 1, under a gamma prior of mean 1 and
    cv ``prior_cv`` (see the module docstring)."""
    shape, scale = gamma_shape_scale(1.0, prior_cv)
    return DemandLevel(shape + issued, scale / (1.0 + scale * expected), since_s)


def day_factor_posterior(scn: Scenario, until_s: float, issued: int) -> tuple[float, float]:
    """Shape and scale of the gamma distribution of today's demand factor once
    ``issued`` counter tickets were issued by ``until_s`` (see the module
    docstring). Only for a scenario with day noise."""
    cv = scn.arrivals.day_noise_cv
    if cv <= 0:
        raise ValueError("a scenario without day noise has no demand factor to learn")
    level = demand_level(cv, scn.start_s, expected_tickets(scn, until_s), issued)
    return level.shape, level.scale


def draw_day_factor(scn: Scenario, until_s: float, issued: int, rng: np.random.Generator) -> float:
    """One draw of today's demand factor from :func:`day_factor_posterior`."""
    shape, scale = day_factor_posterior(scn, until_s, issued)
    return float(rng.gamma(shape, scale))


def demand_scenario(scn: Scenario, factor: float) -> Scenario:
    """``scn`` with its demand scaled by ``factor`` and no day noise left: the
    customers of a day whose demand factor is known."""
    arrivals = scn.arrivals.model_copy(
        update={"scale": scn.arrivals.scale * factor, "day_noise_cv": 0.0}
    )
    return scn.model_copy(update={"arrivals": arrivals})
