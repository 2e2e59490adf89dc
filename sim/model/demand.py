"""One replication's customers, drawn before the simulation starts.

Every random quantity a customer brings (arrival time, service, segment,
appointment, kiosk choice, remote ticket and travel, work content, patience) is
drawn here in numpy blocks from its own named stream. The simulation then
consumes no randomness, so two scenarios that differ only in staffing or
dispatch rules see exactly the same customers (common random numbers), and the
model's hot loop draws nothing.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from sim.model.calendar import step_value, step_values
from sim.model.families import gamma_shape_scale
from sim.model.records import check_in_s
from sim.model.scenario import Scenario
from sim.model.streams import draw, stream


@dataclass(frozen=True)
class Demand:
    """Customers in arrival order; arrays of equal length, times in seconds."""

    arrival_s: np.ndarray  # float64, sorted
    service: np.ndarray  # int, index into scenario.services
    segment: np.ndarray  # int, index into scenario.segments
    appointment: np.ndarray  # bool
    kiosk: np.ndarray  # bool: uses a self-service kiosk instead of a counter
    work_s: np.ndarray  # float64: service time at speed 1
    patience_s: np.ndarray  # float64: inf for a customer who never gives up
    day_factor: float  # the day's demand multiplier (1 without day noise)
    # float64: a remote holder's time from taking the ticket to reaching the hall, NaN
    # for a walk-in; None: nobody took a ticket remotely (a scenario without ``remote``)
    travel_s: np.ndarray | None = None

    @property
    def hall_s(self) -> np.ndarray:
        """When each customer is in the hall: on arrival, or a remote holder's check-in."""
        return check_in_s(self.arrival_s, self.travel_s)

    def __len__(self) -> int:
        return len(self.arrival_s)

    def first(self, n: int) -> Demand:
        """The first ``n`` customers (views, not copies)."""
        return Demand(
            self.arrival_s[:n],
            self.service[:n],
            self.segment[:n],
            self.appointment[:n],
            self.kiosk[:n],
            self.work_s[:n],
            self.patience_s[:n],
            self.day_factor,
            None if self.travel_s is None else self.travel_s[:n],
        )


def _cumulative_rate(scn: Scenario, factor: float, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Knots ``(t_s, Λ(t))`` of the cumulative arrival intensity over the run,
    at ``scale`` (the scenario's) times the day's ``factor``."""
    knots, pieces = _rate_pieces(scn.arrivals.rate_per_hour, scn.start_s, scn.end_s)
    cum = [0.0]
    for rate_per_hour, width_s in pieces:
        rate_per_s = rate_per_hour * scale * factor / 3600.0
        cum.append(cum[-1] + rate_per_s * width_s)
    return knots, np.asarray(cum)


@lru_cache(maxsize=256)
def _rate_pieces(
    steps: tuple[tuple[float, float], ...], start_s: float, end_s: float
) -> tuple[np.ndarray, tuple[tuple[float, float], ...]]:
    """The knots of the run's rate steps (read-only) and, between each two,
    the rate and the width: the same for every replication of a scenario (a
    nowcast draws a day's customers in each of its replications)."""
    knots = [start_s, *(t for t, _ in steps if start_s < t < end_s), end_s]
    pieces = tuple((step_value(steps, lo), hi - lo) for lo, hi in itertools.pairwise(knots))
    knots_s = np.asarray(knots)
    knots_s.flags.writeable = False
    return knots_s, pieces


def _arrival_times(
    scn: Scenario, rng: np.random.Generator, factor: float, scale: float
) -> np.ndarray:
    """Non-homogeneous Poisson arrivals by time change: unit-rate points mapped
    through the inverse cumulative intensity, so a rescaled demand keeps its
    arrivals close to the unscaled ones (good common random numbers in sweeps)."""
    knots, cum = _cumulative_rate(scn, factor, scale)
    total = float(cum[-1])
    if total <= 0:
        return np.empty(0)
    points: list[np.ndarray] = []
    reached = 0.0
    while reached <= total:
        block = np.cumsum(rng.exponential(1.0, int(total + 6 * math.sqrt(total) + 16))) + reached
        points.append(block)
        reached = float(block[-1])
    unit = points[0] if len(points) == 1 else np.concatenate(points)
    unit = unit[unit < total]
    times: np.ndarray = np.interp(unit, cum, knots)
    return times


def _categorical(rng: np.random.Generator, shares: tuple[float, ...], size: int) -> np.ndarray:
    return np.searchsorted(_cdf(shares), rng.random(size), side="right")


@lru_cache(maxsize=256)
def _cdf(shares: tuple[float, ...]) -> np.ndarray:
    """The cumulative ``shares``, the last set to 1 (read-only)."""
    cdf = np.cumsum(shares)
    cdf[-1] = 1.0
    cdf.flags.writeable = False
    return cdf


def draw_demand(
    scn: Scenario, seed: int, replication: int, *, day_factor: float | None = None
) -> Demand:
    """The customers of one replication of ``scn`` (see the module docstring).
    With ``day_factor``, those of a day whose demand factor is known: the same
    as of :func:`sim.live.demandlevel.demand_scenario` at that factor (its
    scale times the factor, no day noise), without copying the scenario."""
    cv = scn.arrivals.day_noise_cv
    factor, scale = 1.0, scn.arrivals.scale
    if day_factor is not None:
        scale = scale * day_factor  # as demand_scenario scales it
    elif cv > 0:
        shape, gamma_scale = gamma_shape_scale(1.0, cv)  # a day's demand multiplier, mean 1
        factor = float(stream(seed, replication, "day_noise").gamma(shape, gamma_scale))
    arrival_s = _arrival_times(scn, stream(seed, replication, "arrivals"), factor, scale)
    n = len(arrival_s)
    service_names = list(scn.services)
    segment_names = list(scn.segments)
    mix = tuple(scn.arrivals.mix.get(name, 0.0) for name in service_names)
    service = _categorical(stream(seed, replication, "mix"), mix, n)
    segment = _categorical(
        stream(seed, replication, "segments"), tuple(s.share for s in scn.segments.values()), n
    )

    appointment = np.zeros(n, dtype=bool)
    appts = scn.arrivals.appointments
    if appts is not None and n:
        rng = stream(seed, replication, "appointments")
        share = step_values(appts.share, arrival_s)
        appointment = rng.random(n) < share
        slot_start = scn.start_s + np.floor((arrival_s - scn.start_s) / appts.slot) * appts.slot
        actual = (
            slot_start + rng.normal(0.0, appts.punctuality, n) if appts.punctuality else slot_start
        )
        latest = np.nextafter(scn.end_s, -np.inf)
        arrival_s = np.where(appointment, np.clip(actual, scn.start_s, latest), arrival_s)
        order = np.argsort(arrival_s, kind="stable")
        arrival_s, service, segment, appointment = (
            arrival_s[order],
            service[order],
            segment[order],
            appointment[order],
        )

    kiosk = np.zeros(n, dtype=bool)
    if scn.kiosks:  # its own stream: a hall without kiosks need not draw it
        kiosk_u = stream(seed, replication, "kiosk").random(n)
        for group in scn.kiosks:
            for name in group.services:
                mine = service == service_names.index(name)
                kiosk |= mine & (kiosk_u < group.share)

    work_s = np.empty(n)
    for i, name in enumerate(service_names):
        mine = service == i
        work_s[mine] = draw(
            scn.services[name].service_time,
            stream(seed, replication, f"service:{name}"),
            int(np.count_nonzero(mine)),
        )
    patience_s = np.full(n, np.inf)
    for i, name in enumerate(segment_names):
        dist = scn.segments[name].patience
        if dist is None:
            continue
        mine = segment == i
        patience_s[mine] = draw(
            dist, stream(seed, replication, f"patience:{name}"), int(np.count_nonzero(mine))
        )
    travel_s = _remote_travel(scn, seed, replication, service, appointment | kiosk)
    if day_factor is not None:
        factor = day_factor
    return Demand(
        arrival_s, service, segment, appointment, kiosk, work_s, patience_s, factor, travel_s
    )


def _remote_travel(
    scn: Scenario, seed: int, replication: int, service: np.ndarray, not_eligible: np.ndarray
) -> np.ndarray | None:
    """Each customer's travel time if they take their ticket remotely, else NaN
    (kiosk users and booked customers never do); None without ``arrivals.remote``.
    Own streams, so the other customers' draws are those of the hall without it."""
    remote = scn.arrivals.remote
    if remote is None:
        return None
    share = np.array([remote.share.get(name, 0.0) for name in scn.services])
    n = len(service)
    chosen = ~not_eligible & (stream(seed, replication, "remote").random(n) < share[service])
    travel_s = np.full(n, np.nan)
    travel_s[chosen] = draw(remote.travel, stream(seed, replication, "travel"), int(chosen.sum()))
    return travel_s
