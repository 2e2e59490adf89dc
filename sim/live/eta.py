"""When will a waiting ticket be called? Its call time simulated forward from
the hall's live state, not a rate-times-position guess.

:func:`call_times` resumes the hall from a :class:`~sim.live.warmstart.HallStart`
(:func:`~sim.live.warmstart.simulate_from`, the nowcast's resumption) ``replications``
times and records, in each, when every waiting ticket is called: one
simulation answers for every ticket of the hall. :func:`ticket_eta` reads one
ticket's median, 10th and 90th percentile call time off those replications.

Each run carries one probe ticket taken now for each (service, segment) that
has a ticket waiting. A probe changes nobody's day, and it is called after
every ticket of its own class already waiting (first come, first served within
a class), so a run that stops at its last probe (what probes are for) has
called every waiting ticket. A ticket still uncalled then (a rule not first
come first served) has its replication run again to the end of the day with the
same customers. A ticket that is never called (turned away at closing) counts
as an endless wait: a quantile that falls on it is NaN.

The ticket's own patience does not matter: a ticket whose customer has gone is
still called (the counter finds nobody), at the time a present customer's
would be. Nor does its holder's travel: a ticket taken from afar is called
when a counter first reaches it, whether its holder has come by then (an
early call, ``arrivals.remote``) or not; the holders on the way now travel on
in the runs, and their early calls move the tickets behind them.

:func:`position_call_s` is the guess a ticket display makes, the baseline the
ETA is scored against: the tickets ahead times the mean service time over the
counters open now.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.live.nowcast import counter_service_shares
from sim.live.warmstart import HallStart, Probe, WaitingTicket, simulate_from
from sim.model.dispatch import tables
from sim.model.records import Records
from sim.model.scenario import Scenario


@dataclass(frozen=True)
class CallTimes:
    """When each of ``waiting`` (``start.waiting``, in that order) is called in
    each of ``replications`` runs from ``now_s``: ``call_s[r, i]`` in seconds of
    the hall's clock (NaN: never called)."""

    now_s: float
    waiting: tuple[WaitingTicket, ...]
    call_s: np.ndarray

    @property
    def replications(self) -> int:
        return int(self.call_s.shape[0])


@dataclass(frozen=True)
class TicketEta:
    """One waiting ticket's predicted call, from ``replications`` runs at
    ``now_s``: ``place`` (1 = next of its service by issue order) and
    ``ahead`` (tickets of any service issued before it, still waiting); the
    median, 10th and 90th percentile of its call time (hall clock, seconds;
    NaN when the quantile is a run in which it is never called), and
    ``never_called``, the share of runs in which it is not called that day."""

    now_s: float
    place: int
    ahead: int
    call_median_s: float
    call_p10_s: float
    call_p90_s: float
    never_called: float
    replications: int


def _classes(waiting: Sequence[WaitingTicket]) -> list[tuple[str, str]]:
    return sorted({(t.service, t.segment) for t in waiting})


def _ticket_records(records: Records, start: HallStart) -> np.ndarray:
    """The record index of each waiting ticket of ``start``: the present
    customers come first in arrival order (``now - waited``), waiting tickets
    before busy counters among equal arrivals; equal tickets are interchangeable."""
    services, segments = list(records.services), list(records.segments)
    present = len(start.waiting) + len(start.busy)
    found: dict[tuple[float, int, int], list[int]] = {}
    for k in range(min(present, len(records.arrival_s))):
        key = (float(records.arrival_s[k]), int(records.service[k]), int(records.segment[k]))
        found.setdefault(key, []).append(k)
    taken: dict[tuple[float, int, int], int] = {}
    out = np.empty(len(start.waiting), dtype=np.int64)
    for i, t in enumerate(start.waiting):
        key = (start.now_s - t.waited_s, services.index(t.service), segments.index(t.segment))
        n = taken.get(key, 0)
        out[i] = found[key][n]
        taken[key] = n + 1
    return out


def call_times(
    scn: Scenario, start: HallStart, *, replications: int = 30, seed: int = 1
) -> CallTimes:
    """When each waiting ticket of ``start`` is called, in ``replications``
    runs of ``scn`` resumed from it (replication ``r`` draws the same customers
    as the nowcast's replication ``r`` with the same ``seed``)."""
    if replications < 1:
        raise ValueError(f"replications must be at least 1, not {replications}")
    now = start.now_s
    probes = [Probe(now, svc, seg) for svc, seg in _classes(start.waiting)]
    call_s = np.full((replications, len(start.waiting)), math.nan)
    if not start.waiting:
        return CallTimes(now, start.waiting, call_s)
    for r in range(replications):
        run = simulate_from(scn, start, seed, r, probes)
        called = run.records.next_call_s(now)[_ticket_records(run.records, start)]
        if np.isnan(called).any():  # not first come first served: run the whole day
            run = simulate_from(scn, start, seed, r, probes, run_to_end=True)
            called = run.records.next_call_s(now)[_ticket_records(run.records, start)]
        call_s[r] = called
    return CallTimes(now, start.waiting, call_s)


def _quantile(values: np.ndarray, q: float) -> float:
    """The lower ``q`` quantile of ``values`` (NaN as endless; a call time some
    run had; NaN when it is endless)."""
    ordered = np.sort(np.where(np.isnan(values), math.inf, values))
    found = float(ordered[max(0, math.ceil(q * len(ordered)) - 1)])
    return found if math.isfinite(found) else math.nan


def ahead_of(waiting: Sequence[WaitingTicket], index: int) -> tuple[int, int]:
    """``(place, ahead)`` of ticket ``index`` (see :class:`TicketEta`): tickets
    issued before it (longer waits; equal waits by their order in ``waiting``)."""
    me = waiting[index]

    def before(i: int, t: WaitingTicket) -> bool:
        return t.waited_s > me.waited_s or (t.waited_s == me.waited_s and i < index)

    ahead = [t for i, t in enumerate(waiting) if before(i, t)]
    return 1 + sum(t.service == me.service for t in ahead), len(ahead)


def ticket_eta(times: CallTimes, index: int) -> TicketEta:
    """The prediction for ticket ``index`` of ``times.waiting``."""
    calls = times.call_s[:, index]
    place, ahead = ahead_of(times.waiting, index)
    return TicketEta(
        now_s=times.now_s,
        place=place,
        ahead=ahead,
        call_median_s=_quantile(calls, 0.5),
        call_p10_s=_quantile(calls, 0.1),
        call_p90_s=_quantile(calls, 0.9),
        never_called=float(np.isnan(calls).mean()),
        replications=times.replications,
    )


def open_counters(scn: Scenario, start: HallStart) -> int:
    """Counters (not kiosks) staffed at ``start.now_s``: those the ticket system
    reports open, or by the scenario's schedule."""
    counters = [inst for inst in tables(scn).instances if not inst.kiosk]
    if start.open_counters is not None:
        names = set(start.open_counters)
        return sum(inst.name in names for inst in counters)
    now = start.now_s
    return sum(any(lo <= now < hi for lo, hi in inst.windows) for inst in counters)


def mean_service_s(scn: Scenario) -> float:
    """Mean service time of a counter customer (services weighted by their share)."""
    shares = counter_service_shares(scn)
    return math.fsum(w * scn.services[svc].service_time.mean_s for svc, w in shares.items())


def position_call_s(scn: Scenario, start: HallStart, index: int) -> float:
    """The baseline: now plus the tickets ahead of ticket ``index`` times the
    mean service time, divided by the counters open now (at least one)."""
    _, ahead = ahead_of(start.waiting, index)
    return start.now_s + ahead * mean_service_s(scn) / max(1, open_counters(scn, start))
