"""The hall model: a SimPy environment driven by event callbacks.

There is no SimPy process per customer. Customers (drawn in advance, see
:mod:`sim.model.demand`) arrive through a chain of timeouts; tickets wait in one FIFO
deque per queue class (service × segment × booked); a counter that becomes free
calls the best ticket it may serve. A customer whose patience runs out simply
is not there when called: the model never schedules a give-up event, it checks
``arrival + patience <= now`` when the ticket reaches the front. That is the
textbook ``request | timeout(patience)`` renege, decided lazily; the test
``tests/sim/model/test_hall.py::test_lazy_renege_matches_textbook_simpy`` checks the
two agree customer by customer. With ``no_show_delay`` > 0 the counter spends
that long calling a ticket whose customer has gone, as in a real hall; at 0 the
call is recorded in its turn and takes no time.

Dispatch (叫号): a free counter takes, among the queue classes it serves, the
ticket with the best (priority, rank of its service in the counter's skill
list), then the earliest ticket; an arriving customer goes to an idle counter
that serves them (the group where their service ranks highest, then the
longest-idle counter of that group).

Remote tickets (``arrivals.remote``) are in the hall from their holder's
check-in; a counter reaching one before then follows the hall's early-call rule
(:mod:`sim.model.remote_calls`).

A run can also pick up from a hall's state at a given moment (a :class:`Resume`,
see :mod:`sim.live.warmstart`) and carry probes, virtual tickets that only note when
they are called (:meth:`_Hall._on_probe`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import cast

import numpy as np
import simpy
from simpy.core import StopSimulation

from sim.model.demand import Demand, draw_demand
from sim.model.hallstate import NONE as _NONE
from sim.model.hallstate import HallState
from sim.model.hallstate import Resume as Resume  # re-exported: runs resume from here
from sim.model.hallstate import Windows as Windows
from sim.model.records import ABANDONED, BALKED, Records
from sim.model.scenario import Scenario
from sim.model.wakeup import Wakeup


class _Hall(HallState):
    """One run of one scenario over one set of customers: the event callbacks."""

    def __init__(self, scn: Scenario, demand: Demand, resume: Resume | None = None) -> None:
        super().__init__(scn, demand, resume)
        # how a free counter calls: a function, not a bound method, which would tie
        # the hall to itself in a cycle (see Wakeup.release)
        self._call_fn = _Hall._call_in_turn if self.skip_gone else _Hall._call_late
        self.done_events = [Wakeup(self.env, self._on_done, k) for k in range(len(self.instances))]
        self.arrival_event = Wakeup(self.env, self._on_arrival, -1)
        # an arrival while no counter is idle can only queue (or balk): it is not
        # scheduled but kept here, with the time and scheduling number its event
        # would have had, and taken by the next event's callback (_catch_up), or
        # scheduled as it stands once a counter goes idle (_rest). Only in runs
        # whose events are all scheduled before the first arrival or numbered
        # (no remote tickets, which schedule check-ins; no probes, which stop the run).
        self.defer = not self.remote and resume is None
        self.due_s = math.inf  # the deferred arrival's time; infinity: none
        self.due_eid = 0

    # -- scheduling helpers -------------------------------------------------
    def _at(self, t_s: float, callback: Callable[[simpy.Event], None], value: object) -> None:
        event = self.env.timeout(max(0.0, t_s - self.env.now), value)
        event.callbacks.append(callback)

    # -- arrivals -------------------------------------------------------------
    def _on_arrival(self, event: Wakeup) -> None:
        """Customers arrive. Those who arrive before anything else happens are
        taken in this one callback, each at its own time: each would have been
        the next event SimPy runs, as it is due before every event already
        scheduled (which wins a tie) and no later than the service the customer
        before may have started (which loses one). The chain's times stay those
        of one event re-armed per customer: ``now + (arrival - now)``."""
        arr, n_real = self.arr, self.n_real
        now = event.at_s
        c = self.next_customer
        first_due = self.env.peek()
        while True:
            nxt = c + 1
            if nxt == n_real:
                self._take(c, now)
                break
            next_s = now + (arr[nxt] - now)
            if next_s >= first_due:  # something already scheduled comes first
                eid = event.number()  # numbered before what c's service schedules
                self._take(c, now)
                self._schedule(event, next_s, eid)
                break
            done_s = self._take(c, now)
            if next_s > done_s:  # c's service ends first
                self._schedule(event, next_s, event.number())
                break
            if done_s < first_due:
                first_due = done_s
            c, now = nxt, next_s
        self.next_customer = nxt
        self.arrived_s = now

    def _schedule(self, event: Wakeup, at_s: float, eid: int) -> None:
        """Schedule the next arrival at ``at_s`` with the scheduling number
        ``eid`` its event takes, or, when no counter is idle, defer it (see
        ``__init__``). Called once the customer before has been seen to."""
        if self.defer and not any(self.idle):
            self.due_s, self.due_eid = at_s, eid
        else:
            event.arm_as(at_s, eid)

    def _catch_up(self, now: float, eid: int) -> None:
        """Take the deferred arrivals due before the event now starting, at
        ``now`` with scheduling number ``eid`` (-1: one scheduled before every
        arrival), each at its own time: nobody is idle, so they queue or balk,
        and each defers the next as its event would have scheduled it."""
        arr, n_real = self.arr, self.n_real
        at = self.due_s
        while at < now or (at == now and self.due_eid < eid):
            c = self.next_customer
            self._take(c, at)
            self.arrived_s = at
            nxt = self.next_customer = c + 1
            if nxt == n_real:
                at = math.inf
                break
            at = at + (arr[nxt] - at)
            self.due_eid = self.arrival_event.number()
        self.due_s = at

    def _take(self, c: int, now: float) -> float:
        """Customer ``c`` takes a ticket; when a counter starts serving them at
        once, the time that service ends, else infinity."""
        cls = self.cls[c]
        all_idle = self.idle
        for g in self.eligible[cls]:
            idle = all_idle[g]
            if idle:
                if self.remote and self.hall_at[c] > now:  # taken away: called in vain
                    return self._early_at_issue(idle, c, now)
                return self._start(idle.popleft(), c, now)
        if self.balking:  # nobody free for them: they see the ticket display and may not wait
            slot = self.slot[c]
            if self.waiting[slot] > self.balk_at[c]:
                self.outcome[c] = BALKED
                self.left[c] = now
                return math.inf
            self.waiting[slot] += 1
        self.queues[cls].append(c)
        return math.inf

    # -- counters -------------------------------------------------------------
    def _start(self, k: int, c: int, now: float) -> float:
        """Counter ``k`` serves ``c`` from ``now``; returns when it ends. (Their
        outcome, served, is read off the records: called and not gone.)"""
        self.current[k] = c
        self.called[c] = now
        self.counter_of[c] = k
        return self.done_events[k].arm(self.work[c] / self.speed[k], now)

    def _call_late(self, k: int, now: float) -> bool:
        """Give free counter ``k`` its next ticket; False when there is none. A
        ticket whose customer has gone keeps the counter ``no_show_delay``."""
        deadline = self.deadline
        arr = self.arr
        for first_q, _, several in self.tiers_of[k]:
            best, best_t, best_q = _NONE, math.inf, None
            for q, _ in several or ((first_q, first_q),):
                if q and arr[q[0]] < best_t:
                    best, best_t, best_q = q[0], arr[q[0]], q
            if best_q is not None:
                best_q.popleft()
                if best >= self.n_real:  # a probe: its call takes no time, so call again
                    self._probe_called(best, now)
                    return self._call_late(k, now)
                if self.balking:
                    self.waiting[self.slot[best]] -= 1
                if deadline[best] <= now:  # called, nobody comes: a no-show
                    self.current[k] = best
                    self.called[best] = now
                    self.counter_of[best] = k
                    self.outcome[best] = ABANDONED
                    self.left[best] = deadline[best]
                    self.done_events[k].arm(self.scn.no_show_delay, now)
                elif self.remote and self.hall_at[best] > now:  # its holder is on the way
                    self._early_call(k, best, now)
                else:
                    self._start(k, best, now)
                return True
        return False

    def _call_in_turn(self, k: int, now: float) -> bool:
        """:meth:`_call_late` at zero ``no_show_delay``. A gone customer at a queue's
        front leaves the display (:meth:`_gone`) and waits as a ghost; when its turn
        comes it is called and given up at once, at no cost, as a real ticket system
        logs it, and the counter calls on."""
        deadline, n_real = self.deadline, self.n_real
        for q, ghosts, several in self.tiers_of[k]:
            if several is None:  # one queue, in short: its ghosts first, then its head
                while ghosts or q:
                    if ghosts:
                        self._ghost_called(ghosts.popleft(), k, now)
                        continue
                    c = q.popleft()
                    if deadline[c] <= now:
                        self._gone(c)
                        self._ghost_called(c, k, now)
                    elif c >= n_real:  # a probe: its call takes no time
                        self._probe_called(c, now)
                    else:
                        if self.balking:
                            self.waiting[self.slot[c]] -= 1
                        if self.remote and self.hall_at[c] > now:  # called in vain, at no cost
                            self._early_call(k, c, now)
                            continue
                        self._start(k, c, now)
                        return True
                continue
            arr = self.arr
            while True:
                best_t, best_q, ghost = math.inf, None, False
                for q, ghosts in several:
                    while q and deadline[q[0]] <= now:
                        self._gone(q[0])
                        ghosts.append(q.popleft())
                    head = ghosts or q
                    if head and arr[head[0]] < best_t:
                        best_t, best_q, ghost = arr[head[0]], head, head is ghosts
                if best_q is None:
                    break
                best = best_q.popleft()
                if ghost:
                    self._ghost_called(best, k, now)
                elif best >= n_real:  # a probe: its call takes no time
                    self._probe_called(best, now)
                else:
                    if self.balking:
                        self.waiting[self.slot[best]] -= 1
                    if self.remote and self.hall_at[best] > now:  # called in vain, at no cost
                        self._early_call(k, best, now)
                        continue
                    self._start(k, best, now)
                    return True
        return False

    def _ghost_called(self, c: int, k: int, now: float) -> None:
        self.called[c] = self.ended[c] = now
        self.counter_of[c] = k

    def _on_probe(self, event: simpy.Event) -> None:
        """A probe takes a ticket of its class. Its call takes no time and it is
        not on the display others' balking reads: real customers never notice it."""
        j = cast(int, event.value)  # the probe's index, given when it was scheduled
        cls = self.cls[j]
        if any(self.idle[g] for g in self.eligible[cls]):
            self._probe_called(j, self.env.now)
        else:
            self.queues[cls].append(j)

    def _probe_called(self, j: int, now: float) -> None:
        self.called[j] = now
        self.probes_left -= 1
        if not self.probes_left:
            self.stop.succeed()

    def _gone(self, c: int) -> None:
        self.outcome[c] = ABANDONED
        self.left[c] = self.deadline[c]
        if self.balking:
            self.waiting[self.slot[c]] -= 1

    def _on_done(self, event: Wakeup) -> None:
        k = event.index  # the counter's
        now = event.at_s
        if self.due_s <= now:
            self._catch_up(now, event.eid)
        current = self.current
        self.ended[current[k]] = now
        current[k] = _NONE
        if self.leaving[k] or not self._call_fn(self, k, now):  # :meth:`_free`, inlined
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
        if not (stop_at_probe and self.stop.processed):  # the day ran out
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
        return self.records()

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
        for j in range(self.n_real, len(self.arr)):
            self._at(self.arr[j], self._on_probe, j)


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
