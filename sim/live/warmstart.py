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
* a counter still calling a ticket that waited ``waited_s`` before the call
  may be calling a customer who has gone: the ticket system cannot tell until
  the counter gives up. It is a no-show with the probability that its
  customer's patience was shorter than its wait, weighed against how long the
  call has lasted (:func:`called_no_show_probability`); a no-show keeps the
  counter for what is left of ``no_show_delay`` instead of a full service.
* a counter staffed now stays open to the end of its current window; one
  still serving past the end of its window (a break or shift end has begun)
  closes once that customer is done, as in the model; one idle and staffed off
  schedule stays open to the end of its next window (it skips a break, starts
  early) or to closing time; one off although scheduled stays
  closed until its next window. Later windows follow the scenario; kiosks
  always do.
* the customers still to come are the scenario's, at the demand level the
  tickets issued so far point to (:mod:`sim.live.demandlevel`), when known.

:class:`Probe` tickets measure the wait of a ticket taken at a given time
without changing anyone else's day.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.live.conditional import (
    called_no_show_probability,
    presence_probabilities,
    presence_probability,
    remaining_service_s,
    survival,
)
from sim.live.demandlevel import DemandLevel, demand_scenario, draw_day_factor
from sim.model.calendar import CounterInstance
from sim.model.demand import Demand, draw_demand
from sim.model.dispatch import tables
from sim.model.hall import Resume, Windows, simulate_resumed
from sim.model.records import ABANDONED, Records
from sim.model.scenario import Scenario
from sim.model.streams import draw, stream

__all__ = [  # the conditional distributions are part of the warm start's interface
    "BusyCounter",
    "HallStart",
    "Probe",
    "WaitingTicket",
    "WarmRun",
    "called_no_show_probability",
    "presence_probabilities",
    "presence_probability",
    "remaining_service_s",
    "simulate_from",
    "survival",
]


@dataclass(frozen=True)
class WaitingTicket:
    """A ticket taken ``waited_s`` seconds ago and not yet called."""

    service: str
    segment: str
    waited_s: float
    appointment: bool = False  # booked: called with the appointments' priority


@dataclass(frozen=True)
class BusyCounter:
    """Counter ``counter`` has called a ticket of ``service`` ``elapsed_s`` seconds
    ago and is serving it (or still calling it); without ``segment`` the record
    uses the counter's largest segment. ``waited_s``: how long that ticket had
    waited when called; known, the customer may turn out a no-show (see the
    module docstring); ``None``: the customer is taken to be there."""

    counter: str
    service: str
    elapsed_s: float
    segment: str | None = None
    waited_s: float | None = None


@dataclass(frozen=True)
class HallStart:
    """A hall at ``now_s`` (seconds after local midnight, the scenario's clock).
    ``open_counters``: the counters staffed now (``None``: as scheduled). Counter
    names the scenario does not know are ignored, here and in ``busy``.
    ``issued``: counter tickets issued today so far; with it (and day noise in
    the scenario) the rest of the day's demand level follows from it
    (:mod:`sim.live.demandlevel`); ``None``: drawn as for a new day.
    ``level``: the rest of the day's demand factor as the drift test read it
    from the day's tickets (:attr:`sim.live.drift.HallDrift.level`); when
    given, it is drawn from, instead of what ``issued`` says."""

    now_s: float
    waiting: tuple[WaitingTicket, ...] = ()
    busy: tuple[BusyCounter, ...] = ()
    open_counters: tuple[str, ...] | None = None
    issued: int | None = None
    level: DemandLevel | None = None


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
    if (
        any(t.waited_s < 0 for t in start.waiting)
        or any(b.elapsed_s < 0 for b in busy)
        or any(b.waited_s is not None and b.waited_s < 0 for b in busy)
    ):
        raise ValueError("waited_s and elapsed_s must not be negative")
    if start.issued is not None and start.issued < 0:
        raise ValueError("issued must not be negative")


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
    instances = tables(scn).instances  # built once per scenario and process
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
    no_show = _called_no_shows(scn, busy, seg_names[n_wait:], speed, seed, replication)
    remaining[no_show] = np.maximum(scn.no_show_delay - ago[n_wait:][no_show], 0.0)
    work[n_wait:][no_show] = 0.0

    order = np.argsort(now - ago, kind="stable")
    if start.level is not None or (start.issued is not None and scn.arrivals.day_noise_cv > 0):
        rng = stream(seed, replication, "warm:day_noise")
        if start.level is not None:
            factor = start.level.draw(rng)
        else:
            assert start.issued is not None
            factor = draw_day_factor(scn, now, start.issued, rng)
        future = dataclasses.replace(
            draw_demand(demand_scenario(scn, factor), seed, replication), day_factor=factor
        )
    else:
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
    if no_show.any():  # the model seated them as served: they are no-shows
        gone = position[n_wait + np.flatnonzero(no_show)]
        outcome, left_s = records.outcome.copy(), records.left_s.copy()
        outcome[gone] = ABANDONED
        left_s[gone] = records.called_s[gone]  # when they left is unknown: by the call
        records = dataclasses.replace(records, outcome=outcome, left_s=left_s)
    return WarmRun(records, called_s - np.array([p.at_s for p in probes]), end_s)


def _called_no_shows(
    scn: Scenario,
    busy: Sequence[BusyCounter],
    segments: Sequence[str],
    speed: np.ndarray,
    seed: int,
    replication: int,
) -> np.ndarray:
    """Which customers at counters turn out no-shows in this replication: each
    with its :func:`called_no_show_probability` (0 when its wait is unknown)."""
    p = np.array(
        [
            0.0
            if b.waited_s is None
            else called_no_show_probability(scn, seg, b.service, b.waited_s, b.elapsed_s, float(v))
            for b, seg, v in zip(busy, segments, speed, strict=True)
        ]
    )
    if not (p > 0).any():
        return np.zeros(len(busy), dtype=bool)
    u = stream(seed, replication, "warm:called-no-show").random(len(busy))
    return np.asarray(u < p, dtype=bool)
