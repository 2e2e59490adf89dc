"""Counters calling tickets, as methods of the hall (:mod:`sim.model.hall`): a free
counter takes, among the queue classes it serves, the ticket with the best
(priority, rank of its service in the counter's skill list), then the earliest
ticket. A customer whose patience has run out is not there when called
(``arrival + patience <= now``, decided lazily when the ticket reaches the
front); with ``no_show_delay`` > 0 the counter spends that long calling them
(:meth:`Calls._call_late`), at 0 the call is recorded in its turn and takes no
time (:meth:`Calls._call_in_turn`).

:class:`Calls` holds no state of its own: it reads and changes the run's
(:class:`sim.model.hallstate.HallState`)."""

from __future__ import annotations

import math

from sim.model.hallstate import NONE as _NONE
from sim.model.hallstate import HallState
from sim.model.records import ABANDONED


class Calls(HallState):
    """How a free counter calls its next ticket."""

    __slots__ = ()  # see HallState

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
            if several is None:  # a tier of one queue (the common case): its head
                if not (first_q and arr[first_q[0]] < math.inf):
                    continue
                best, best_q = first_q[0], first_q
            else:  # the earliest ticket at the heads of the tier's queues
                best, best_t, found = _NONE, math.inf, None
                for q, _ in several:
                    if q and arr[q[0]] < best_t:
                        best, best_t, found = q[0], arr[q[0]], q
                if found is None:
                    continue
                best_q = found
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
