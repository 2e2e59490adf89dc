"""What the present customers of a :class:`~sim.live.hallstart.HallStart`
bring to every replication of a warm run (:mod:`sim.live.warmstart`): the
start checked, the counters' staffed windows from now on, the odds that a call
under way is a no-show, and the travel of the tickets taken from afar."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from sim.live.conditional import called_no_show_probability
from sim.live.hallstart import BusyCounter, HallStart, Probe, WaitingTicket
from sim.model.calendar import CounterInstance
from sim.model.hallstate import Windows
from sim.model.scenario import Scenario


def windows_from(
    scn: Scenario, instances: Sequence[CounterInstance], start: HallStart
) -> tuple[Windows, ...]:
    """Every counter's staffed windows from ``start.now_s`` on (the rules are in
    :mod:`sim.live.warmstart`'s docstring); a window starting at or before now
    means open now."""
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


def default_segment(scn: Scenario, inst: CounterInstance) -> str:
    """The segment a busy counter's customer is taken to be of when the ticket
    system does not say: the largest the counter serves."""
    allowed = None if inst.kiosk else scn.counters[inst.group].segments
    names = [s for s in scn.segments if allowed is None or s in allowed]
    return max(names, key=lambda s: scn.segments[s].share)


def check_start(
    scn: Scenario, start: HallStart, busy: list[BusyCounter], probes: Sequence[Probe]
) -> None:
    """``ValueError`` for a start the warm run cannot take: names the hall does
    not know, a counter busy twice, a probe before now, negative times, a
    travel that is not a remote ticket's or longer than its wait."""
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
    for t in start.waiting:
        if t.travel_s is not None and not (t.remote and 0 <= t.travel_s <= t.waited_s):
            raise ValueError(f"{t}: travel_s is a remote ticket's, from 0 to waited_s")


def present_travel(
    scn: Scenario, waiting: Sequence[WaitingTicket], n_busy: int
) -> np.ndarray | None:
    """The present customers' travel (waiting tickets, then those at counters):
    a checked-in remote holder's, NaN for a walk-in, a holder at a counter, and
    one still on the way (drawn per replication). None in a hall without
    ``arrivals.remote``: a remote ticket there is taken as a walk-in's, as the
    model of that hall has no early calls."""
    if scn.arrivals.remote is None:
        return None
    travel = [t.travel_s if t.remote and t.travel_s is not None else math.nan for t in waiting]
    return np.array(travel + [math.nan] * n_busy, dtype=float)


def called_no_show_probabilities(
    scn: Scenario, busy: Sequence[BusyCounter], segments: Sequence[str], speed: np.ndarray
) -> np.ndarray:
    """Per customer at a counter, the probability that it turns out a no-show
    (:func:`called_no_show_probability`; 0 when its wait is unknown)."""
    return np.array(
        [
            0.0
            if b.waited_s is None
            else called_no_show_probability(scn, seg, b.service, b.waited_s, b.elapsed_s, float(v))
            for b, seg, v in zip(busy, segments, speed, strict=True)
        ],
        dtype=float,
    )
