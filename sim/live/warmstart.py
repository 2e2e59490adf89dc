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
  tickets issued so far point to (:mod:`sim.live.demandlevel`), when known;
  those of them who take their tickets from afar (``arrivals.remote``) reach
  the hall after their travel, as in a whole day.
* a waiting ticket taken from afar (``WaitingTicket.remote``) whose holder is
  on the way has the rest of a travel that has lasted ``waited_s`` so far
  still to go (drawn conditional on it, like a service under way); one whose
  holder checked in, its travel as it was. Patience runs from the check-in,
  and a counter reaching the ticket before then follows the hall's early-call
  rule, as in the model. (A hall without ``arrivals.remote`` takes such
  tickets as walk-ins: its model has no early calls.)

:class:`Probe` tickets measure the wait of a ticket taken at a given time
without changing anyone else's day. Many replications from one start
(a nowcast's): :class:`WarmStart`, which works out once what every
replication shares and, for probes' waits alone, simulates only up to the
last probe's call.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.live.conditional import (
    ServiceLeft,
    called_no_show_probability,
    presence_probabilities,
    presence_probability,
    remaining_service_s,
    survival,
)
from sim.live.demandlevel import DemandLevel, day_factor_posterior
from sim.live.hallstart import BusyCounter, HallStart, Probe, WaitingTicket, WarmRun
from sim.live.present import (
    called_no_show_probabilities,
    check_start,
    default_segment,
    present_travel,
    windows_from,
)
from sim.model.demand import Demand, draw_demand
from sim.model.dispatch import tables
from sim.model.hall import Resume, probe_calls, simulate_resumed
from sim.model.records import ABANDONED
from sim.model.scenario import Scenario
from sim.model.streams import draw, stream

__all__ = [  # the conditional distributions are part of the warm start's interface
    "BusyCounter",
    "HallStart",
    "Probe",
    "WaitingTicket",
    "WarmRun",
    "WarmStart",
    "called_no_show_probability",
    "presence_probabilities",
    "presence_probability",
    "remaining_service_s",
    "simulate_from",
    "survival",
]


# -- the run -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Prepared:
    """One replication's run from a :class:`HallStart`, ready to simulate: every
    customer (the present ones first), where to resume, and which present
    customers at counters turn out no-shows."""

    demand: Demand
    resume: Resume
    no_show: np.ndarray
    stand_in: np.ndarray  # per probe asked for, the probe of the run whose call it reads


class WarmStart:
    """Runs of ``scn`` from ``start`` with ``probes``: what is the same in every
    replication (the present customers, the counters' windows, the no-show
    odds) worked out once; :meth:`run` and :meth:`probe_waits` draw the rest.
    No probe may be taken before ``start.now_s``."""

    def __init__(
        self,
        scn: Scenario,
        start: HallStart,
        probes: Sequence[Probe] = (),
        *,
        run_to_end: bool = False,
    ) -> None:
        self.scn, self.start, self.run_to_end = scn, start, run_to_end
        waiting = start.waiting
        services, segments = list(scn.services), list(scn.segments)
        instances = tables(scn).instances  # built once per scenario and process
        index = {inst.name: k for k, inst in enumerate(instances)}
        busy = [b for b in start.busy if b.counter in index]
        check_start(scn, start, busy, probes)

        # the present customers: the waiting tickets, then those at counters
        self.n_wait = n_wait = len(waiting)
        self.at = at = [index[b.counter] for b in busy]
        svc_names = [t.service for t in waiting] + [b.service for b in busy]
        seg_names = [t.segment for t in waiting]
        seg_names += [
            b.segment or default_segment(scn, instances[k]) for b, k in zip(busy, at, strict=True)
        ]
        self.svc = np.array([services.index(name) for name in svc_names], dtype=np.int64)
        self.seg = np.array([segments.index(name) for name in seg_names], dtype=np.int64)
        self.ago = np.array(
            [t.waited_s for t in waiting] + [b.elapsed_s for b in busy], dtype=float
        )
        self.speed = np.array([instances[k].speed for k in at], dtype=float)
        # which present customers each stream draws for: (name, dist, whom)
        self.patience = [
            (name, dist, mine)
            for i, name in enumerate(segments)
            if (dist := scn.segments[name].patience) is not None
            and (mine := np.flatnonzero(self.seg[:n_wait] == i)).size
        ]
        self.work = [
            (name, scn.services[name].service_time, mine)
            for i, name in enumerate(services)
            if (mine := np.flatnonzero(self.svc[:n_wait] == i)).size
        ]
        self.remaining: list[tuple[str, ServiceLeft, np.ndarray]] = []
        for i, name in enumerate(services):
            if (mine := np.flatnonzero(self.svc[n_wait:] == i)).size:
                dist = scn.services[name].service_time
                left = ServiceLeft(dist, self.ago[n_wait + mine], self.speed[mine])
                self.remaining.append((name, left, mine))
        self.no_show_p = called_no_show_probabilities(scn, busy, seg_names[n_wait:], self.speed)
        self.may_not_show = bool((self.no_show_p > 0).any())
        self.order = np.argsort(start.now_s - self.ago, kind="stable")
        self.position = np.argsort(self.order)  # where each present customer went
        self.appointment = np.array(
            [t.appointment for t in waiting] + [False] * len(busy), dtype=bool
        )[self.order]
        self.kiosk = np.array([False] * n_wait + [instances[k].kiosk for k in at], dtype=bool)[
            self.order
        ]
        # what every replication puts first: the present customers in arrival order
        self.arrival_s = (start.now_s - self.ago)[self.order]
        self.svc_in_order, self.seg_in_order = self.svc[self.order], self.seg[self.order]
        self.seats = [(int(self.position[n_wait + j]), k) for j, k in enumerate(at)]
        self.travel = present_travel(scn, waiting, len(busy))
        # the holders still on the way (their places among the waiting) and what is
        # left of their travel, drawn each replication
        away = np.flatnonzero([t.away for t in waiting])
        self.on_the_way: tuple[np.ndarray, ServiceLeft] | None = None
        if self.travel is not None and away.size and scn.arrivals.remote is not None:
            self.on_the_way = (away, ServiceLeft(scn.arrivals.remote.travel, self.ago[away]))
        self.windows = windows_from(scn, instances, start)
        # the rest of the day's demand level: as the drift test read it, else as
        # the tickets issued so far tell it (None: drawn as for a new day)
        self.level = start.level
        if self.level is None and start.issued is not None and scn.arrivals.day_noise_cv > 0:
            shape, scale = day_factor_posterior(scn, start.now_s, start.issued)
            self.level = DemandLevel(shape, scale, scn.start_s)
        self.probe_at = np.array([p.at_s for p in probes], dtype=float)
        self.last_probe_s = float(self.probe_at.max()) if probes else math.nan
        self.lookahead_s = LOOKAHEAD_S  # grows with the calls seen (see probe_waits)
        # one probe for those taken at the same time into classes called alike
        # (segments of one priority): they are called at the same time, as a
        # probe holds no counter; each probe reads the call of its stand-in
        table = tables(scn)
        alike: dict[tuple[float, tuple[tuple[int, int], ...]], int] = {}
        self.all_probes = tuple(
            (p.at_s, services.index(p.service), segments.index(p.segment)) for p in probes
        )
        # how each (service, segment) is called: the same for every horizon's probe
        pairs = dict.fromkeys((svc, seg) for _, svc, seg in self.all_probes)
        called = {p: table.called_alike(table.counter_class(*p)) for p in pairs}
        self.stand_in = np.array(
            [
                alike.setdefault((at_s, called[svc, seg]), len(alike))
                for at_s, svc, seg in self.all_probes
            ],
            dtype=np.int64,
        )
        firsts, counts = np.unique(self.stand_in, return_index=True, return_counts=True)[1:]
        self.probes = tuple(self.all_probes[i] for i in firsts)
        # ...unless a real ticket is taken at that very time: which of the tied
        # tickets is called first then depends on the class
        self.shared_at = np.unique(self.probe_at[firsts[counts > 1]])

    def prepare(self, seed: int, replication: int) -> _Prepared:
        """Replication ``replication``'s customers and resume point."""
        scn, now, n_wait = self.scn, self.start.now_s, self.n_wait
        ago = self.ago
        patience = np.full(len(ago), np.inf)
        for name, dist, mine in self.patience:
            rng = stream(seed, replication, f"warm:patience:{name}")
            patience[mine] = draw(dist, rng, mine.size)
        work = np.zeros(len(ago))  # at speed 1; for those at counters, what is left
        for name, dist, mine in self.work:
            work[mine] = draw(dist, stream(seed, replication, f"warm:work:{name}"), mine.size)
        remaining = np.zeros(len(self.at))
        speed = self.speed
        for name, left, mine in self.remaining:
            remaining[mine] = left.draw(stream(seed, replication, f"warm:remaining:{name}"))
        work[n_wait:] = remaining * speed
        no_show = np.zeros(len(self.at), dtype=bool)
        if self.may_not_show:
            u = stream(seed, replication, "warm:called-no-show").random(len(self.at))
            no_show = u < self.no_show_p
            remaining[no_show] = np.maximum(scn.no_show_delay - ago[n_wait:][no_show], 0.0)
            work[n_wait:][no_show] = 0.0

        if self.level is not None:
            factor = self.level.draw(stream(seed, replication, "warm:day_noise"))
            # the customers of demand_scenario(scn, factor)
            future = draw_demand(scn, seed, replication, day_factor=factor)
        else:
            future = draw_demand(scn, seed, replication)
        # those arriving from now on: a demand's arrivals are sorted
        first = int(np.searchsorted(future.arrival_s, now, side="left"))
        order = self.order

        def then(present: np.ndarray, later: np.ndarray) -> np.ndarray:
            return np.concatenate([present.astype(later.dtype, copy=False), later[first:]])

        demand = Demand(
            arrival_s=then(self.arrival_s, future.arrival_s),
            service=then(self.svc_in_order, future.service),
            segment=then(self.seg_in_order, future.segment),
            appointment=then(self.appointment, future.appointment),
            kiosk=then(self.kiosk, future.kiosk),
            work_s=then(work[order], future.work_s),
            patience_s=then(patience[order], future.patience_s),
            day_factor=future.day_factor,
            travel_s=self._travel(seed, replication, future.travel_s, first),
        )
        probes, stand_in = self.probes, self.stand_in
        if self.shared_at.size and _any_at(demand.arrival_s, self.shared_at):
            probes, stand_in = self.all_probes, np.arange(len(self.all_probes))
        resume = Resume(
            now_s=now,
            present=len(order),
            serving=tuple(
                (c, k, r) for (c, k), r in zip(self.seats, remaining.tolist(), strict=True)
            ),
            windows=self.windows,
            probes=probes,
            to_end=self.run_to_end,
        )
        return _Prepared(demand, resume, no_show, stand_in)

    def _travel(
        self, seed: int, replication: int, later: np.ndarray | None, first: int
    ) -> np.ndarray | None:
        """Every customer's travel from taking a ticket to the hall (NaN: a
        walk-in's), the present ones first in arrival order, then ``later[first:]``
        (the customers to come, as in a whole day): a checked-in holder's as it
        was, and a holder on the way has travelled ``waited_s`` so far and has
        the rest of a travel that long still to go. None in a hall without
        ``arrivals.remote``."""
        if self.travel is None or later is None:
            return None
        present = self.travel
        if self.on_the_way is not None:
            away, travel_left = self.on_the_way
            rest = travel_left.draw(stream(seed, replication, "warm:travel"))
            present = present.copy()
            present[away] = self.ago[away] + rest
        return np.concatenate([present[self.order], later[first:]])

    def run(self, seed: int = 1, replication: int = 0) -> WarmRun:
        """Replication ``replication`` of the run (see :class:`WarmRun`)."""
        prepared = self.prepare(seed, replication)
        records, called_s, end_s = simulate_resumed(self.scn, prepared.demand, prepared.resume)
        if prepared.no_show.any():  # the model seated them as served: they are no-shows
            gone = self.position[self.n_wait + np.flatnonzero(prepared.no_show)]
            outcome, left_s = records.outcome.copy(), records.left_s.copy()
            outcome[gone] = ABANDONED
            left_s[gone] = records.called_s[gone]  # when they left is unknown: by the call
            records = dataclasses.replace(records, outcome=outcome, left_s=left_s)
        return WarmRun(records, called_s[prepared.stand_in] - self.probe_at, end_s)

    def probe_waits(self, seed: int = 1, replication: int = 0) -> np.ndarray:
        """The probes' waits (NaN: never called) of :meth:`run`, the same to the
        bit, for less: a run with probes stops when its last probe is called,
        and the model is causal (a customer does nothing before arriving), so
        the customers arriving after that call are never seen. They are left
        out from a lookahead after the last probe's ticket on (at first
        :data:`LOOKAHEAD_S`; after a run that needed more, twice what it
        needed); a run whose last call came after the first customer left out
        is run again with twice what it needed (with every customer if a probe
        was never called), until one is not. Every customer is still drawn, so
        that replication ``r`` draws the same customers in every nowcast
        (common random numbers)."""
        if not self.probes or self.run_to_end:
            return self.run(seed, replication).probe_wait_s
        prepared = self.prepare(seed, replication)
        demand, resume = prepared.demand, prepared.resume
        arrival_s, last_probe_s = demand.arrival_s, self.last_probe_s
        lookahead_s = self.lookahead_s
        while True:
            first_out = int(np.searchsorted(arrival_s, last_probe_s + lookahead_s, side="right"))
            seen = demand.first(first_out) if first_out < len(arrival_s) else demand
            called_s = probe_calls(self.scn, seen, resume)
            last_call_s = float(called_s.max())  # NaN: a probe never called
            needed_s = last_call_s - last_probe_s
            if seen is demand or last_call_s < arrival_s[first_out]:
                break
            # the last call came after the first customer left out, or never:
            # again with twice what this run needed, or with everyone
            grown_s = LOOKAHEAD_GROWTH * max(needed_s, lookahead_s)
            lookahead_s = grown_s if math.isfinite(needed_s) else math.inf
        if needed_s >= self.lookahead_s:
            self.lookahead_s = LOOKAHEAD_GROWTH * needed_s
        return np.asarray(called_s[prepared.stand_in] - self.probe_at)


def _any_at(sorted_s: np.ndarray, times_s: np.ndarray) -> bool:
    """Whether any of ``times_s`` is in ``sorted_s`` (sorted, as a demand's
    arrivals are): ``np.isin`` by binary search, without its sort of both."""
    i = np.minimum(np.searchsorted(sorted_s, times_s), len(sorted_s) - 1)
    return bool(len(sorted_s)) and bool((sorted_s[i] == times_s).any())


LOOKAHEAD_S = 1800.0  # customers simulated past the last probe's ticket, at first
LOOKAHEAD_GROWTH = 2.0  # after a run that needed more: this times what it needed


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
    :class:`WarmRun`); no probe may be taken before ``start.now_s``. Many
    replications from one start: :class:`WarmStart`."""
    return WarmStart(scn, start, probes, run_to_end=run_to_end).run(seed, replication)
