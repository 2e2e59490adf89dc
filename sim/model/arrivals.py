"""Arrivals, as methods of the hall (:mod:`sim.model.hall`): customers (drawn in
advance, see :mod:`sim.model.demand`) arrive through a chain of wake-ups of one
event; an arriving customer goes to an idle counter that serves them (the group
where their service ranks highest, then the longest-idle counter of that group)
or takes a ticket and waits in their queue class's FIFO deque, or balks.

Arrivals due before anything else happens are taken together in one callback,
and an arrival while no counter is idle is not scheduled at all but taken by
the next event's callback (:meth:`Arrivals._catch_up`), with the time and
scheduling number its event would have had: ties fall as with one SimPy event
per arrival (``tests/sim/model/test_arrival_batches.py``)."""

from __future__ import annotations

import math
from heapq import heappush

from simpy.events import NORMAL

from sim.model.calls import Calls
from sim.model.demand import Demand
from sim.model.hallstate import Resume
from sim.model.records import BALKED
from sim.model.scenario import Scenario
from sim.model.wakeup import Wakeup


class Arrivals(Calls):
    """The arrival chain and what an arriving customer does."""

    __slots__ = ("arrival_event", "defer", "due_eid", "due_s")  # see HallState

    def __init__(self, scn: Scenario, demand: Demand, resume: Resume | None = None) -> None:
        super().__init__(scn, demand, resume)
        self.arrival_event = Wakeup(self.env, self._on_arrival, -1)
        # an arrival while no counter is idle can only queue (or balk): it is not
        # scheduled but kept here, with the time and scheduling number its event
        # would have had, and taken by the next event's callback (_catch_up), or
        # scheduled as it stands once a counter goes idle (the hall's _rest). Only in
        # runs whose events are all scheduled before the first arrival or numbered
        # (no remote tickets, which schedule check-ins; no probes, which stop the run).
        self.defer = not self.remote and resume is None
        self.due_s = math.inf  # the deferred arrival's time; infinity: none
        self.due_eid = 0

    # -- arrivals -------------------------------------------------------------
    def _on_arrival(self, event: Wakeup) -> None:
        """Customers arrive. Those who arrive before anything else happens are
        taken in this one callback, each at its own time: each would have been
        the next event SimPy runs, as it is due before every event already
        scheduled (which wins a tie) and no later than the service the customer
        before may have started (which loses one). The chain's times stay those
        of one event re-armed per customer: ``now + (arrival - now)``."""
        arr, n_real, numbers = self.arr, self.n_real, event.numbers
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
                eid = next(numbers)  # event.number(): before what c's service schedules
                self._take(c, now)
                self._schedule(event, next_s, eid)
                break
            done_s = self._take(c, now)
            if next_s > done_s:  # c's service ends first
                self._schedule(event, next_s, next(numbers))  # event.number()
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
        arr, n_real, numbers = self.arr, self.n_real, self.arrival_event.numbers
        queues, cls, balking = self.queues, self.cls, self.balking
        at = self.due_s
        while at < now or (at == now and self.due_eid < eid):
            c = self.next_customer
            if balking:
                self._wait(c, at)
            else:  # :meth:`_wait`, in short
                queues[cls[c]].append(c)
            self.arrived_s = at
            nxt = self.next_customer = c + 1
            if nxt == n_real:
                at = math.inf
                break
            at = at + (arr[nxt] - at)
            self.due_eid = next(numbers)  # as self.arrival_event.number() draws it
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
                k = idle.popleft()  # :meth:`_start` and :meth:`Wakeup.arm`, inlined
                self.current[k] = c
                self.called[c] = now
                self.counter_of[c] = k
                done = self.done_events[k]
                done.at_s = at_s = now + self.work[c] / self.speed[k]
                done.callbacks = done.armed
                done.eid = eid = next(done.numbers)
                heappush(done.heap, (at_s, NORMAL, eid, done))
                return at_s
        return self._wait(c, now)

    def _wait(self, c: int, now: float) -> float:
        """Customer ``c``, for whom no counter they may go to is idle, takes a
        ticket (or balks); returns infinity, the end of a service not started."""
        if self.balking:  # nobody free for them: they see the ticket display and may not wait
            slot = self.slot[c]
            if self.waiting[slot] > self.balk_at[c]:
                self.outcome[c] = BALKED
                self.left[c] = now
                return math.inf
            self.waiting[slot] += 1
        self.queues[self.cls[c]].append(c)
        return math.inf
