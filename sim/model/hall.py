"""The hall model: a SimPy environment driven by event callbacks.

There is no SimPy process per customer. Customers (drawn in advance, see
:mod:`sim.model.demand`) arrive through a chain of wake-ups of one event
(:mod:`sim.model.arrivals`); tickets wait in one FIFO deque per queue class
(service × segment × booked); a counter that becomes free calls the best ticket
it may serve (:mod:`sim.model.calls`). A customer whose patience runs out simply
is not there when called: the model never schedules a give-up event, it checks
``arrival + patience <= now`` when the ticket reaches the front. That is the
textbook ``request | timeout(patience)`` renege, decided lazily; the test
``tests/sim/model/test_hall.py::test_lazy_renege_matches_textbook_simpy`` checks the
two agree customer by customer.

This module has the counters' own events (a service ends, a counter opens or
closes, the hall turns away at closing) and the run itself. Remote tickets
(``arrivals.remote``) are in the hall from their holder's check-in; a counter
reaching one before then follows the hall's early-call rule
(:mod:`sim.model.remote_calls`).

A run can also pick up from a hall's state at a given moment (a :class:`Resume`,
see :mod:`sim.live.warmstart`) and carry probes, virtual tickets that only note when
they are called (:meth:`_Hall._on_probe`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from heapq import heappush
from typing import cast

import numpy as np
import simpy
from simpy.core import StopSimulation
from simpy.events import NORMAL

from sim.model.arrivals import Arrivals
from sim.model.demand import Demand, draw_demand
from sim.model.hallstate import NONE as _NONE
from sim.model.hallstate import Resume as Resume  # re-exported: runs resume from here
from sim.model.hallstate import Windows as Windows
from sim.model.records import ABANDONED, Records
from sim.model.scenario import Scenario
from sim.model.wakeup import Wakeup


class _Hall(Arrivals):
    """One run of one scenario over one set of customers: the event callbacks."""

    __slots__ = ("_call_fn", "done_events", "in_short")  # see HallState

    def __init__(self, scn: Scenario, demand: Demand, resume: Resume | None = None) -> None:
        super().__init__(scn, demand, resume)
        # how a free counter calls: a function, not a bound method, which would tie
        # the hall to itself in a cycle (see Wakeup.release)
        self._call_fn = _Hall._call_in_turn if self.skip_gone else _Hall._call_late
        # a counter whose service ends mostly calls the head of the first of its
        # tiers (each of one queue) with a ticket, a customer still there, or finds
        # none and goes idle: _on_done does that itself when calls are made in turn
        # and no ticket is remote (their holders may not be there yet)
        self.in_short = self.skip_gone and not self.remote
        self.done_events = [Wakeup(self.env, self._on_done, k) for k in range(len(self.instances))]

    # -- scheduling helpers -------------------------------------------------
    def _at(self, t_s: float, callback: Callable[[simpy.Event], None], value: object) -> None:
        event = self.env.timeout(max(0.0, t_s - self.env.now), value)
        event.callbacks.append(callback)

    def _on_probe(self, event: simpy.Event) -> None:
        """Probes take tickets of their classes, in the order they were given.
        A probe's call takes no time and it is not on the display others'
        balking reads: real customers never notice it. The probes due at one
        time share one event: theirs were scheduled one after the other, before
        any other event of that time could be, and none of them schedules an
        event that time but the stop, which comes after them all."""
        now = self.env.now
        idle, eligible, all_cls = self.idle, self.eligible, self.cls
        for j in cast(list[int], event.value):  # the probes' indices, in order
            cls = all_cls[j]
            for g in eligible[cls]:  # any group serving it idle (a loop: no generator)
                if idle[g]:
                    self._probe_called(j, now)
                    break
            else:
                self.queues[cls].append(j)

    def _on_done(self, event: Wakeup) -> None:
        """Counter ``k``'s service ends: it calls its next ticket, goes idle or closes.
        The common cases are taken here, in short (a Python call less per step:
        this runs once per served customer); the rest by ``_call_fn`` and ``_rest``."""
        k = event.index  # the counter's
        now = event.at_s
        if self.due_s <= now:
            self._catch_up(now, event.eid)
        current = self.current
        self.ended[current[k]] = now
        current[k] = _NONE
        if self.leaving[k]:
            self._rest(k, now)
            return
        if self.in_short:  # :meth:`_call_in_turn` and :meth:`_start`, in short for most calls
            for q, ghosts, several in self.tiers_of[k]:
                if ghosts or several is not None:
                    break
                if q:  # the tiers before had neither tickets nor ghosts
                    c = q[0]
                    if self.deadline[c] <= now or c >= self.n_real:  # gone, or a probe
                        break
                    q.popleft()
                    if self.balking:
                        self.waiting[self.slot[c]] -= 1
                    current[k] = c
                    self.called[c] = now
                    self.counter_of[c] = k
                    # event.arm(self.work[c] / self.speed[k], now), inlined
                    event.at_s = at_s = now + self.work[c] / self.speed[k]
                    event.callbacks = event.armed
                    event.eid = eid = next(event.numbers)
                    heappush(event.heap, (at_s, NORMAL, eid, event))
                    return
            else:  # no tier had a ticket or a ghost: nothing to call
                if self.draining[k]:
                    self._rest(k, now)
                    return
                self.idle[self.group_of[k]].append(k)  # :meth:`_rest`, in short
                if self.due_s != math.inf:
                    self.arrival_event.arm_as(self.due_s, self.due_eid)
                    self.due_s = math.inf
                return
        if not self._call_fn(self, k, now):  # :meth:`_free`, inlined
            self._rest(k, now)

    def _free(self, k: int, now: float) -> None:
        """Counter ``k`` is free: it calls its next ticket unless it is leaving;
        with none called it closes (leaving, or draining at closing) or waits idle."""
        if self.leaving[k] or not self._call_fn(self, k, now):
            self._rest(k, now)

    def _rest(self, k: int, now: float) -> None:
        if self.leaving[k] or self.draining[k]:
            self.leaving[k] = False
            self._shut(k, now)
        else:
            self.idle[self.group_of[k]].append(k)
            if self.due_s != math.inf:  # a deferred arrival may find it: its event, as it was
                self.arrival_event.arm_as(self.due_s, self.due_eid)
                self.due_s = math.inf

    def _shut(self, k: int, now: float) -> None:
        self.spans.append((k, self.opened_at[k], now))
        self.opened_at[k] = math.nan

    def _on_open(self, event: simpy.Event) -> None:
        k = cast(int, event.value)  # the counter's index
        self._catch_up(self.env.now, -1)
        if self.current[k] != _NONE:  # still finishing a customer from before
            self.leaving[k] = False
            return
        self.opened_at[k] = self.env.now
        self._free(k, self.env.now)

    def _on_close(self, event: simpy.Event) -> None:
        k, drain = cast(tuple[int, bool], event.value)
        now = self.env.now
        self._catch_up(now, -1)
        self.draining[k] = drain
        if self.current[k] != _NONE:
            self.leaving[k] = not drain
            return
        self.idle[self.group_of[k]].remove(k)
        if not (drain and self._call_fn(self, k, now)):
            self._shut(k, now)

    def _on_turn_away(self, event: simpy.Event) -> None:
        now = self.env.now
        self._catch_up(now, -1)
        for ghosts in self.ghosts:  # gone already: turned away uncalled
            ghosts.clear()
        for q in self.queues:
            while q:
                c = q.popleft()
                if c >= self.n_real:  # a probe turned away stays uncalled
                    continue
                if self.deadline[c] <= now:
                    self._gone(c)
                else:
                    self.left[c] = now
                    if self.balking:
                        self.waiting[self.slot[c]] -= 1

    # -- the run --------------------------------------------------------------
    def run(self) -> Records:
        """Run to the end (or the last probe's call) and make the records."""
        self.run_only()
        return self.records()

    def run_only(self) -> None:
        """The run, without its records (those who only read the calls need none)."""
        scn, resume = self.scn, self.resume
        serve_all = scn.closing == "serve_all"
        windows = [i.windows for i in self.instances] if resume is None else resume.windows
        for k, counter_windows in enumerate(windows):
            for start_s, end_s in counter_windows:
                self._at(start_s, self._on_open, k)  # a window open on resuming opens now
                if math.isfinite(end_s):
                    drain = serve_all and end_s >= scn.close
                    self._at(end_s, self._on_close, (k, drain))
        if resume is not None:
            self._pick_up(resume)
        if not scn.stationary and not serve_all:
            self._at(scn.close, self._on_turn_away, None)
        first = self.next_customer
        if first < self.n_real:
            self.arrival_event.arm(self.arr[first] - self.env.now, self.env.now)
        stop_at_probe = resume is not None and bool(resume.probes) and not resume.to_end
        if stop_at_probe:  # as run(until=stop), which would raise if a probe is never called
            self.stop.callbacks.append(StopSimulation.callback)
        self.env.run()
        self._catch_up(math.inf, 0)  # arrivals after the last event, with nobody idle
        # the last event, which may have been an arrival taken in another's callback
        end = self.end_s = max(self.env.now, self.arrived_s)
        # SimPy hands a StopSimulation event its callbacks back, so ``processed``
        # never says the run stopped: the probes all called say it
        if not (stop_at_probe and not self.probes_left):  # the day ran out
            for q in self.queues:  # never called: gave up, or still waiting at the end
                for c in q:
                    if c >= self.n_real:
                        continue
                    if math.isfinite(self.deadline[c]):
                        self.outcome[c] = ABANDONED
                        self.left[c] = self.deadline[c]
                    else:
                        self.left[c] = end
        for k, opened in enumerate(self.opened_at):
            if not math.isnan(opened):
                self.spans.append((k, opened, end))
        for wakeup in (*self.done_events, self.arrival_event):
            wakeup.release()  # see Wakeup.release: the hall is freed as soon as it is dropped

    def _pick_up(self, resume: Resume) -> None:
        """Seat the customers present on resuming. Completions are armed after the
        openings, so a service ending now hands its counter on to the next ticket."""
        now = self.env.now
        at_counter = set()
        for c, k, remaining_s in resume.serving:
            at_counter.add(c)
            self.current[k] = c
            self.called[c] = self.arr[c]
            self.counter_of[c] = k
            self.opened_at[k] = now
            self.leaving[k] = True  # unless a window open now says otherwise
            self.done_events[k].arm(remaining_s, now)
        for c in range(resume.present):
            if c not in at_counter:
                self.queues[self.cls[c]].append(c)
                if self.balking:
                    self.waiting[self.slot[c]] += 1
        n_real = self.n_real
        for at_s, offsets in self.probes.due:  # in the order of each time's first probe
            self._at(at_s, self._on_probe, [n_real + j for j in offsets])


def simulate(
    scn: Scenario, seed: int = 1, replication: int = 0, demand: Demand | None = None
) -> Records:
    """Simulate one replication (one opening day, or the stationary horizon) of
    ``scn`` and return its records. ``demand`` overrides the customers drawn from
    ``(seed, replication)``; the run itself is deterministic."""
    return _Hall(scn, demand if demand is not None else draw_demand(scn, seed, replication)).run()


def simulate_resumed(
    scn: Scenario, demand: Demand, resume: Resume
) -> tuple[Records, np.ndarray, float]:
    """Run ``scn`` from ``resume`` over ``demand``: the records, each probe's call
    time (NaN if never called) and the end time. A run stopped at its last probe
    leaves what is under way as it is (no ``ended_s``, or ``UNSERVED`` with NaN times)."""
    hall = _Hall(scn, demand, resume)
    records = hall.run()
    return records, np.array(hall.called[hall.n_real :]), hall.end_s


def probe_calls(scn: Scenario, demand: Demand, resume: Resume) -> np.ndarray:
    """Each probe's call time (NaN if never called) of :func:`simulate_resumed`,
    without the run's records, which a nowcast's runs never read."""
    hall = _Hall(scn, demand, resume)
    hall.run_only()
    return np.array(hall.called[hall.n_real :])
