"""Starting the hall model from a hall's live state instead of empty at opening.

A :class:`HallStart` is a hall at ``now_s``: the tickets waiting and for how
long, the counters serving and for how long, the counters staffed.
:func:`simulate_from` runs the scenario on from there, with the scenario's
customers arriving from ``now_s`` on (drawn from the usual streams, so an empty
start at opening replays :func:`sim.model.hall.simulate`):

* a waiting ticket arrived ``waited_s`` ago and brings a patience drawn from its
  segment's unconditional distribution: if that is below its wait, the customer
  has gone and is a no-show when called, exactly as in the model. This sampling
  weights each ticket by the probability it is still present
  (:func:`presence_probability`).
* a busy counter's service lasts on by a draw conditional on having lasted
  ``elapsed_s`` (:func:`remaining_service_s`).
* a counter staffed now stays open to the end of its current window; one
  still serving past the end of its window (a break or shift end has begun)
  closes once that customer is done, as in the model; one idle and staffed off
  schedule stays open to the end of its next window (it skips a break, starts
  early) or to closing time; one off although scheduled stays
  closed until its next window. Later windows follow the scenario; kiosks
  always do.

:class:`Probe` tickets measure the wait of a ticket taken at a given time
without changing anyone else's day.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from sim.model.calendar import CounterInstance, counter_instances
from sim.model.demand import Demand, draw_demand
from sim.model.families import gamma_shape_scale, lognormal_mu_sigma
from sim.model.hall import Resume, Windows, simulate_resumed
from sim.model.records import Records
from sim.model.scenario import Distribution, Scenario
from sim.model.streams import draw, stream


@dataclass(frozen=True)
class WaitingTicket:
    """A ticket taken ``waited_s`` seconds ago and not yet called."""

    service: str
    segment: str
    waited_s: float
    appointment: bool = False  # booked: called with the appointments' priority


@dataclass(frozen=True)
class BusyCounter:
    """Counter ``counter`` has served a customer of ``service`` for ``elapsed_s``
    seconds; without ``segment`` the record uses the counter's largest segment."""

    counter: str
    service: str
    elapsed_s: float
    segment: str | None = None


@dataclass(frozen=True)
class HallStart:
    """A hall at ``now_s`` (seconds after local midnight, the scenario's clock).
    ``open_counters``: the counters staffed now (``None``: as scheduled). Counter
    names the scenario does not know are ignored, here and in ``busy``."""

    now_s: float
    waiting: tuple[WaitingTicket, ...] = ()
    busy: tuple[BusyCounter, ...] = ()
    open_counters: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Probe:
    """A virtual walk-in ticket of ``service`` and ``segment`` taken at ``at_s``: no work,
    endless patience, never balks, not on the display; only its wait is kept."""

    at_s: float
    service: str
    segment: str


@dataclass(frozen=True)
class WarmRun:
    """One run from a :class:`HallStart`: records of the present customers (in
    arrival order; one in service counts as called when service began), then of
    those to come; each probe's wait (NaN: never called); the end time. A run
    with probes ends when the last is called (unless ``run_to_end``) and leaves
    what is under way as it is: no ``ended_s``, or unserved with NaN times."""

    records: Records
    probe_wait_s: np.ndarray
    end_s: float


# -- distributions past a given point ---------------------------------------------


def _gamma_shape_scale(dist: Distribution) -> tuple[float, float]:
    assert dist.cv is not None
    return gamma_shape_scale(dist.mean_s, dist.cv)


def _lognormal_mu_sigma(dist: Distribution) -> tuple[float, float]:
    assert dist.cv is not None
    return lognormal_mu_sigma(dist.mean_s, dist.cv)


def survival(dist: Distribution, x_s: ArrayLike) -> np.ndarray:
    """``P(D > x)`` for the duration ``D`` of ``dist``, at every ``x_s`` (seconds)."""
    x = np.maximum(np.asarray(x_s, dtype=float), 0.0)
    if dist.dist == "exponential":
        return np.asarray(np.exp(-x / dist.mean_s), dtype=float)
    if dist.dist == "fixed":
        return np.asarray(dist.mean_s > x, dtype=float)
    if dist.dist == "empirical":
        assert dist.samples is not None
        samples = np.sort(np.asarray(dist.samples, dtype=float))
        longer = len(samples) - np.searchsorted(samples, x, side="right")
        return np.asarray(longer / len(samples), dtype=float)
    from scipy import special  # lazily: scipy stays out of the CLI's start-up

    if dist.dist == "gamma":
        shape, scale = _gamma_shape_scale(dist)
        return np.asarray(special.gammaincc(shape, x / scale), dtype=float)
    mu, sigma = _lognormal_mu_sigma(dist)
    with np.errstate(divide="ignore"):
        return np.asarray(special.ndtr((mu - np.log(x)) / sigma), dtype=float)


def presence_probabilities(scn: Scenario, segment: str, waited_s: ArrayLike) -> np.ndarray:
    """Probability that a customer of ``segment`` who took a ticket ``waited_s``
    seconds ago is still there: the survival of the segment's patience (1 for a
    segment without patience)."""
    dist = scn.segments[segment].patience
    if dist is None:
        return np.ones_like(np.asarray(waited_s, dtype=float))
    return survival(dist, waited_s)


def presence_probability(scn: Scenario, segment: str, waited_s: float) -> float:
    """:func:`presence_probabilities` for one ticket."""
    return float(presence_probabilities(scn, segment, waited_s))


def remaining_service_s(
    dist: Distribution, elapsed_s: ArrayLike, rng: np.random.Generator, speed: ArrayLike = 1.0
) -> np.ndarray:
    """Remaining wall seconds of services that have lasted ``elapsed_s`` at
    counters of ``speed``: the work is drawn from ``dist`` conditional on
    exceeding the work done so far (``elapsed_s * speed``). Exponential is
    memoryless; fixed leaves ``max(mean - done, 0)``; empirical resamples the
    samples above the work done (none left: 0); lognormal and gamma invert the
    conditional distribution, and a service so long that its tail probability
    underflows ends now."""
    done = np.asarray(elapsed_s, dtype=float) * np.asarray(speed, dtype=float)
    n = done.size
    if dist.dist == "exponential":
        left = rng.exponential(dist.mean_s, n)
    elif dist.dist == "fixed":
        left = np.maximum(dist.mean_s - done, 0.0)
    elif dist.dist == "empirical":
        assert dist.samples is not None
        samples = np.sort(np.asarray(dist.samples, dtype=float))
        first = np.searchsorted(samples, done, side="right")
        longer = len(samples) - first
        pick = np.minimum(first + (rng.random(n) * longer).astype(int), len(samples) - 1)
        left = np.where(longer > 0, samples[pick] - done, 0.0)
    else:
        from scipy import special  # lazily: scipy stays out of the CLI's start-up

        tail = survival(dist, done)
        q = (1.0 - rng.random(n)) * tail  # uniform on (0, tail]
        with np.errstate(divide="ignore", over="ignore"):
            if dist.dist == "gamma":
                shape, scale = _gamma_shape_scale(dist)
                work = scale * special.gammainccinv(shape, q)
            else:
                mu, sigma = _lognormal_mu_sigma(dist)
                work = np.exp(mu - sigma * special.ndtri(q))
        ok = (tail > 0) & np.isfinite(work)
        left = np.where(ok, np.maximum(work - done, 0.0), 0.0)
    return np.asarray(left / np.asarray(speed, dtype=float), dtype=float).reshape(n)


# -- the run -------------------------------------------------------------------------


def _windows_from(
    scn: Scenario, instances: Sequence[CounterInstance], start: HallStart
) -> tuple[Windows, ...]:
    """Every counter's staffed windows from ``start.now_s`` on (see the module
    docstring); a window starting at or before now means open now."""
    now = start.now_s
    staffed = set(start.open_counters) if start.open_counters is not None else None
    serving = {b.counter for b in start.busy}
    last = math.inf if scn.stationary else scn.close
    out: list[Windows] = []
    for inst in instances:
        current = [w for w in inst.windows if w[0] <= now < w[1]]
        later = [w for w in inst.windows if w[0] > now]
        on = bool(current) if staffed is None or inst.kiosk else inst.name in staffed
        if on and current:
            out.append((current[0], *later))
        elif on and inst.name in serving:
            # past the end of its window, finishing a customer (a break or a shift
            # end): it closes once that customer is done, as in the model
            out.append(((now, now), *later))
        elif on:  # idle and staffed off schedule: open now, and through the next window
            out.append(((now, later[0][1]), *later[1:]) if later else ((now, last),))
        else:
            out.append(tuple(later))
    return tuple(out)


def _default_segment(scn: Scenario, inst: CounterInstance) -> str:
    allowed = None if inst.kiosk else scn.counters[inst.group].segments
    names = [s for s in scn.segments if allowed is None or s in allowed]
    return max(names, key=lambda s: scn.segments[s].share)


def _check(
    scn: Scenario, start: HallStart, busy: list[BusyCounter], probes: Sequence[Probe]
) -> None:
    named: list[WaitingTicket | BusyCounter | Probe] = [*start.waiting, *busy, *probes]
    for x in named:
        if x.service not in scn.services or x.segment not in (None, *scn.segments):
            raise ValueError(f"{x}: no such service or segment in hall {scn.hall!r}")
    if len({b.counter for b in busy}) < len(busy):
        raise ValueError("a counter is busy twice")
    if any(p.at_s < start.now_s for p in probes):
        raise ValueError(f"a probe is taken before now ({start.now_s:g} s)")
    if any(t.waited_s < 0 for t in start.waiting) or any(b.elapsed_s < 0 for b in busy):
        raise ValueError("waited_s and elapsed_s must not be negative")


def simulate_from(
    scn: Scenario,
    start: HallStart,
    seed: int = 1,
    replication: int = 0,
    probes: Sequence[Probe] = (),
    *,
    run_to_end: bool = False,
) -> WarmRun:
    """Simulate ``scn`` on from ``start`` (see the module docstring and
    :class:`WarmRun`); no probe may be taken before ``start.now_s``."""
    now, waiting = start.now_s, start.waiting
    services, segments = list(scn.services), list(scn.segments)
    instances = counter_instances(scn)
    index = {inst.name: k for k, inst in enumerate(instances)}
    busy = [b for b in start.busy if b.counter in index]
    _check(scn, start, busy, probes)

    # the present customers: the waiting tickets, then those at counters
    n_wait = len(waiting)
    at = [index[b.counter] for b in busy]
    svc_names = [t.service for t in waiting] + [b.service for b in busy]
    seg_names = [t.segment for t in waiting]
    seg_names += [b.segment or _default_segment(scn, instances[index[b.counter]]) for b in busy]
    svc = np.array([services.index(name) for name in svc_names], dtype=np.int64)
    seg = np.array([segments.index(name) for name in seg_names], dtype=np.int64)
    ago = np.array([t.waited_s for t in waiting] + [b.elapsed_s for b in busy], dtype=float)
    patience = np.full(len(svc), np.inf)
    for i, name in enumerate(segments):
        dist = scn.segments[name].patience
        mine = np.flatnonzero(seg[:n_wait] == i)
        if dist is not None and mine.size:
            rng = stream(seed, replication, f"warm:patience:{name}")
            patience[mine] = draw(dist, rng, mine.size)
    work = np.zeros(len(svc))  # at speed 1; for those at counters, what is left
    remaining = np.zeros(len(busy))
    speed = np.array([instances[k].speed for k in at], dtype=float)
    for i, name in enumerate(services):
        dist = scn.services[name].service_time
        mine = np.flatnonzero(svc[:n_wait] == i)
        if mine.size:
            work[mine] = draw(dist, stream(seed, replication, f"warm:work:{name}"), mine.size)
        mine = np.flatnonzero(svc[n_wait:] == i)
        if mine.size:
            rng = stream(seed, replication, f"warm:remaining:{name}")
            remaining[mine] = remaining_service_s(dist, ago[n_wait + mine], rng, speed[mine])
    work[n_wait:] = remaining * speed

    order = np.argsort(now - ago, kind="stable")
    future = draw_demand(scn, seed, replication)
    keep = future.arrival_s >= now

    def then(present: list[bool] | np.ndarray, later: np.ndarray) -> np.ndarray:
        return np.concatenate([np.asarray(present, dtype=later.dtype)[order], later[keep]])

    demand = Demand(
        arrival_s=then(now - ago, future.arrival_s),
        service=then(svc, future.service),
        segment=then(seg, future.segment),
        appointment=then(
            [t.appointment for t in waiting] + [False] * len(busy), future.appointment
        ),
        kiosk=then([False] * n_wait + [instances[k].kiosk for k in at], future.kiosk),
        work_s=then(work, future.work_s),
        patience_s=then(patience, future.patience_s),
        day_factor=future.day_factor,
    )
    position = np.argsort(order)  # where each present customer went
    resume = Resume(
        now_s=now,
        present=len(order),
        serving=tuple(
            (int(position[n_wait + j]), k, float(remaining[j])) for j, k in enumerate(at)
        ),
        windows=_windows_from(scn, instances, start),
        probes=tuple(
            (p.at_s, services.index(p.service), segments.index(p.segment)) for p in probes
        ),
        to_end=run_to_end,
    )
    records, called_s, end_s = simulate_resumed(scn, demand, resume)
    return WarmRun(records, called_s - np.array([p.at_s for p in probes]), end_s)
