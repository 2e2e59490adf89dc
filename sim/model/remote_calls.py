"""Remote tickets at the counters (``arrivals.remote``): what the hall does when a
counter reaches a remote ticket whose holder has not checked in yet.

A remote holder's ticket joins the queue when it is taken and its holder reaches
the hall ``travel_s`` later; patience runs from then. A counter that reaches the
ticket before its holder has come calls it in vain (it costs ``no_show_delay``
like any unanswered call) and the hall's ``early_call`` rule decides: ``hold``
keeps its place for ``hold`` seconds (a holder checking in by then is called
next), ``requeue`` puts it at the back of the queue when its holder checks in,
``no_show`` gives it up. With zero travel a remote ticket is a walk-in's
(``tests/sim/model/test_remote.py`` checks the records are the same).

:class:`RemoteCalls` is mixed into the hall (:mod:`sim.model.hall`), whose state its
methods read and change; it lives here to keep the hall's module about the hall.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, cast

import numpy as np
import simpy

from sim.model.demand import Demand
from sim.model.records import ABANDONED
from sim.model.scenario import Scenario
from sim.model.wakeup import Wakeup

_NONE = -1


class RemoteCalls:
    """The early-call rules of remote tickets, as methods of the hall."""

    # the hall's state the rules use (set by the hall)
    scn: Scenario
    env: simpy.Environment
    arr: list[float]
    cls: list[int]
    eligible: Sequence[Sequence[int]]
    idle: list[deque[int]]
    queues: list[deque[int]]
    balking: bool
    waiting: list[int]
    slot: list[int]
    called: list[float]
    ended: list[float]
    left: list[float]
    outcome: list[int]
    counter_of: list[int]
    current: list[int]
    done_events: list[Wakeup]

    if TYPE_CHECKING:  # the hall's own methods

        def _at(
            self, t_s: float, callback: Callable[[simpy.Event], None], value: object
        ) -> None: ...

        def _start(self, k: int, c: int, now: float) -> float: ...

    def _init_remote(self, d: Demand, probe_at: list[float]) -> None:
        """Set up after the hall's per-customer lists (``arr``), before its outputs:
        ``remote``, whether anyone took a ticket remotely; ``hall_at``, when each
        customer (and probe) is in the hall; the rule; where early calls are noted."""
        self.remote = d.travel_s is not None
        self.hall_at = self.arr
        self.early_called: list[float] = []
        self.early_counter: list[int] = []
        if d.travel_s is None:
            return
        rule = self.scn.arrivals.remote
        if rule is None:
            raise ValueError(f"hall {self.scn.hall!r}: remote customers, but no arrivals.remote")
        self.rule, self.hold_s = rule.early_call, rule.hold
        self.hall_at = d.hall_s.tolist() + probe_at
        self.early_called = [math.nan] * len(self.arr)
        self.early_counter = [_NONE] * len(self.arr)

    def _init_in_vain(self) -> None:
        """After the hall's outputs: a counter calling a remote ticket in vain has
        ``current`` set to ``in_vain``, one past the customers, whose ``ended`` is
        never read."""
        self.in_vain = len(self.arr)
        self.ended.append(math.nan)

    def _early_call(self, k: int, c: int, now: float) -> float:
        """Counter ``k`` calls remote ticket ``c`` (out of its queue) before its holder
        has come, and the hall's rule decides (module docstring). A call in vain keeps
        the counter ``no_show_delay`` (armed here when positive; at 0 the caller calls
        on). Returns the earliest time of what this schedules (infinity if nothing),
        for the hall's batching of arrivals."""
        self.early_called[c] = now
        self.early_counter[c] = k
        back_s = self.hall_at[c]
        first_s = math.inf
        if self.rule == "requeue" or (self.rule == "hold" and back_s <= now + self.hold_s):
            self._at(back_s, self._on_check_in, c)
            first_s = back_s
            caller = self.in_vain
        else:  # the ticket is given up: a no-show, whenever its holder comes
            self.called[c] = now
            self.counter_of[c] = k
            self.outcome[c] = ABANDONED
            self.left[c] = now if self.rule == "no_show" else now + self.hold_s
            self.ended[c] = now
            caller = c
        delay_s = self.scn.no_show_delay
        if delay_s > 0:
            self.current[k] = caller
            return min(first_s, self.done_events[k].arm(delay_s, now))
        return first_s

    def _early_at_issue(self, idle: deque[int], c: int, now: float) -> float:
        """Remote ticket ``c`` is taken while counter ``idle[0]`` waits for work: it
        calls the ticket in vain; at zero ``no_show_delay`` it stays first in line.
        Returns the earliest time this schedules, as :meth:`_early_call`."""
        k = idle.popleft()
        first_s = self._early_call(k, c, now)
        if self.current[k] == _NONE:
            idle.appendleft(k)
        return first_s

    def _on_check_in(self, event: simpy.Event) -> None:
        """A holder whose ticket was called in vain checks in: a held ticket takes its
        place again (called next, before the tickets taken after it), a requeued one
        joins the back of the queue. At a closed ``turn_away`` hall it is too late."""
        c = cast(int, event.value)  # the customer's index
        now = self.env.now
        scn = self.scn
        if not scn.stationary and scn.closing == "turn_away" and now >= scn.close:
            self.left[c] = scn.close  # cancelled at closing with the others
            return
        cls = self.cls[c]
        if self.rule == "requeue":
            self.arr[c] = now  # its place in the queue is now its check-in's
        for g in self.eligible[cls]:
            if self.idle[g]:
                self._start(self.idle[g].popleft(), c, now)
                return
        if self.balking:
            self.waiting[self.slot[c]] += 1
        queue, arr = self.queues[cls], self.arr
        at = len(queue)
        while at and arr[queue[at - 1]] > arr[c]:  # held: back to its place, near the front
            at -= 1
        queue.insert(at, c)

    def _remote_records(self, n: int) -> dict[str, np.ndarray | None]:
        """The records' remote fields for the first ``n`` (real) customers."""
        if not self.remote:
            return {"early_called_s": None, "early_counter": None}
        return {
            "early_called_s": np.array(self.early_called[:n]),
            "early_counter": np.array(self.early_counter[:n], dtype=np.int64),
        }
