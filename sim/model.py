"""The hall model: a SimPy environment driven by event callbacks.

There is no SimPy process per customer. Customers (drawn in advance, see
:mod:`sim.demand`) arrive through a chain of timeouts; tickets wait in one FIFO
deque per queue class (service × segment × booked); a counter that becomes free
calls the best ticket it may serve. A customer whose patience runs out simply
is not there when called: the model never schedules a give-up event, it checks
``arrival + patience <= now`` when the ticket reaches the front. That is the
textbook ``request | timeout(patience)`` renege, decided lazily; the test
``tests/sim/test_model.py::test_lazy_renege_matches_textbook_simpy`` checks the
two agree customer by customer. With ``no_show_delay`` > 0 the counter spends
that long calling a ticket whose customer has gone, as in a real hall.

Dispatch (叫号): a free counter takes, among the queue classes it serves, the
ticket with the best (priority, rank of its service in the counter's skill
list), then the earliest ticket; an arriving customer goes to an idle counter
that serves them (the group where their service ranks highest, then the
longest-idle counter of that group).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

import numpy as np
import simpy

from sim.calendar import counter_instances
from sim.demand import Demand, draw_demand
from sim.records import ABANDONED, BALKED, SERVED, UNSERVED, Records
from sim.scenario import Scenario

_NONE = -1


class _Wakeup(simpy.Event):
    """A SimPy event that is re-armed instead of re-allocated.

    A counter has at most one pending completion and the arrival chain one
    pending arrival, so each owns one event object that is scheduled again after
    it fires. This keeps SimPy's scheduler and callbacks but drops the
    allocation of a ``Timeout`` per customer from the hot loop."""

    def __init__(
        self, env: simpy.Environment, callback: Callable[[simpy.Event], None], value: object
    ) -> None:
        super().__init__(env)
        self._ok = True
        self._value = value
        self._callback = callback

    def arm(self, delay_s: float) -> None:
        """Fire ``delay_s`` seconds from now."""
        self.callbacks = [self._callback]
        self.env.schedule(self, simpy.events.NORMAL, delay_s)


class _Hall:
    """One run of one scenario over one set of customers."""

    def __init__(self, scn: Scenario, demand: Demand) -> None:
        self.scn = scn
        self.demand = demand
        self.env = simpy.Environment()
        n_svc, n_seg = len(scn.services), len(scn.segments)
        services, segments = list(scn.services), list(scn.segments)
        self.instances = counter_instances(scn)

        # queue classes: counters (service, segment, booked), then kiosks by service
        n_cls = n_svc * n_seg * 2
        self.queues: list[deque[int]] = [deque() for _ in range(n_cls + n_svc)]
        appts = scn.arrivals.appointments

        def priority(cls: int) -> int:
            booked = cls % 2
            seg = (cls // 2) % n_seg
            if booked and appts is not None:
                return appts.priority
            return scn.segments[segments[seg]].priority

        # groups: counter groups then kiosk groups; tiers of deques by (priority, rank)
        self.tiers: list[list[list[deque[int]]]] = []
        eligible: list[list[tuple[int, int]]] = [[] for _ in range(n_cls + n_svc)]
        for g, group in enumerate(scn.counters):
            allowed = [segments.index(s) for s in group.segments or segments]
            by_key: dict[tuple[int, int], list[int]] = {}
            for rank, name in enumerate(group.services):
                svc = services.index(name)
                for seg in allowed:
                    for booked in (0, 1):
                        cls = (svc * n_seg + seg) * 2 + booked
                        by_key.setdefault((priority(cls), rank), []).append(cls)
                        eligible[cls].append((rank, g))
            self.tiers.append([[self.queues[c] for c in by_key[key]] for key in sorted(by_key)])
        for j, kiosk in enumerate(scn.kiosks):
            g = len(scn.counters) + j
            classes = [n_cls + services.index(name) for name in kiosk.services]
            self.tiers.append([[self.queues[c] for c in classes]])
            for c in classes:
                eligible[c].append((0, g))
        self.eligible = [[g for _, g in sorted(e)] for e in eligible]
        self.group_of = [
            inst.group + (len(scn.counters) if inst.kiosk else 0) for inst in self.instances
        ]
        self.idle: list[deque[int]] = [deque() for _ in self.tiers]

        # per-customer inputs as Python lists: the hot loop indexes them
        d = demand
        cls_arr = (d.service * n_seg + d.segment) * 2 + d.appointment.astype(int)
        cls_arr = np.where(d.kiosk, n_cls + d.service, cls_arr)
        self.arr: list[float] = d.arrival_s.tolist()
        self.cls: list[int] = cls_arr.tolist()
        self.work: list[float] = d.work_s.tolist()
        self.deadline: list[float] = np.where(d.kiosk, np.inf, d.arrival_s + d.patience_s).tolist()
        self.slot: list[int] = np.where(d.kiosk, n_svc, d.service).tolist()
        balk = np.array(
            [
                math.inf if (limit := scn.segments[s].balk_if_queue_over) is None else limit
                for s in segments
            ]
        )
        self.balk_at: list[float] = np.where(d.kiosk, math.inf, balk[d.segment]).tolist()
        self.waiting = [0] * (n_svc + 1)  # tickets not yet called, per service (+ kiosks)

        # outputs
        n = len(d)
        self.outcome = [UNSERVED] * n
        self.called = [math.nan] * n
        self.ended = [math.nan] * n
        self.left = [math.nan] * n
        self.counter_of = [_NONE] * n

        # counters
        n_ctr = len(self.instances)
        self.speed = [inst.speed for inst in self.instances]
        self.current = [_NONE] * n_ctr
        self.leaving = [False] * n_ctr
        self.draining = [False] * n_ctr
        self.opened_at = [math.nan] * n_ctr
        self.spans: list[tuple[int, float, float]] = []
        self.next_customer = 0
        self.skip_gone = scn.no_show_delay == 0
        self.done_events = [_Wakeup(self.env, self._on_done, k) for k in range(n_ctr)]
        self.arrival_event = _Wakeup(self.env, self._on_arrival, None)

    # -- scheduling helpers -------------------------------------------------
    def _at(self, t_s: float, callback: Callable[[simpy.Event], None], value: object) -> None:
        event = self.env.timeout(max(0.0, t_s - self.env.now), value)
        event.callbacks.append(callback)

    # -- arrivals -------------------------------------------------------------
    def _on_arrival(self, event: simpy.Event) -> None:
        now = self.env.now
        c = self.next_customer
        self.next_customer = c + 1
        arr = self.arr
        if c + 1 < len(arr):
            self.arrival_event.arm(arr[c + 1] - now)
        cls = self.cls[c]
        all_idle = self.idle
        for g in self.eligible[cls]:
            idle = all_idle[g]
            if idle:
                self._start(idle.popleft(), c, now)
                return
        # nobody free for them: they see the ticket display and may not wait
        slot = self.slot[c]
        if self.waiting[slot] > self.balk_at[c]:
            self.outcome[c] = BALKED
            self.left[c] = now
            return
        self.queues[cls].append(c)
        self.waiting[slot] += 1

    # -- counters -------------------------------------------------------------
    def _start(self, k: int, c: int, now: float) -> None:
        self.current[k] = c
        self.called[c] = now
        self.counter_of[c] = k
        self.outcome[c] = SERVED
        self.done_events[k].arm(self.work[c] / self.speed[k])

    def _call_next(self, k: int, now: float) -> bool:
        """Give free counter ``k`` its next ticket; False when there is none."""
        deadline = self.deadline
        arr = self.arr
        skip_gone = self.skip_gone
        for tier in self.tiers[self.group_of[k]]:
            best, best_t, best_q = _NONE, math.inf, None
            for q in tier:
                while q:
                    c = q[0]
                    if skip_gone and deadline[c] <= now:
                        q.popleft()
                        self._gone(c)
                        continue
                    if arr[c] < best_t:
                        best, best_t, best_q = c, arr[c], q
                    break
            if best_q is not None:
                best_q.popleft()
                self.waiting[self.slot[best]] -= 1
                if deadline[best] <= now:  # called, nobody comes: a no-show
                    self.current[k] = best
                    self.called[best] = now
                    self.counter_of[best] = k
                    self.outcome[best] = ABANDONED
                    self.left[best] = deadline[best]
                    self.done_events[k].arm(self.scn.no_show_delay)
                else:
                    self._start(k, best, now)
                return True
        return False

    def _gone(self, c: int) -> None:
        self.outcome[c] = ABANDONED
        self.left[c] = self.deadline[c]
        self.waiting[self.slot[c]] -= 1

    def _on_done(self, event: simpy.Event) -> None:
        k: int = event._value
        now = self.env.now
        c = self.current[k]
        self.ended[c] = now
        self.current[k] = _NONE
        self._free(k, now)

    def _free(self, k: int, now: float) -> None:
        if self.leaving[k]:
            self.leaving[k] = False
            self._shut(k, now)
        elif not self._call_next(k, now):
            if self.draining[k]:
                self._shut(k, now)
            else:
                self.idle[self.group_of[k]].append(k)

    def _shut(self, k: int, now: float) -> None:
        self.spans.append((k, self.opened_at[k], now))
        self.opened_at[k] = math.nan

    def _on_open(self, event: simpy.Event) -> None:
        k: int = event._value
        if self.current[k] != _NONE:  # still finishing a customer from before
            self.leaving[k] = False
            return
        self.opened_at[k] = self.env.now
        self._free(k, self.env.now)

    def _on_close(self, event: simpy.Event) -> None:
        k, drain = event._value
        now = self.env.now
        self.draining[k] = drain
        if self.current[k] != _NONE:
            self.leaving[k] = not drain
            return
        self.idle[self.group_of[k]].remove(k)
        if not (drain and self._call_next(k, now)):
            self._shut(k, now)

    def _on_turn_away(self, event: simpy.Event) -> None:
        now = self.env.now
        for q in self.queues:
            while q:
                c = q.popleft()
                if self.deadline[c] <= now:
                    self._gone(c)
                else:
                    self.left[c] = now
                    self.waiting[self.slot[c]] -= 1

    # -- the run --------------------------------------------------------------
    def run(self) -> Records:
        scn = self.scn
        serve_all = scn.closing == "serve_all"
        for k, inst in enumerate(self.instances):
            for start_s, end_s in inst.windows:
                self._at(start_s, self._on_open, k)
                if math.isfinite(end_s):
                    drain = serve_all and end_s >= scn.close
                    self._at(end_s, self._on_close, (k, drain))
        if not scn.stationary and not serve_all:
            self._at(scn.close, self._on_turn_away, None)
        if self.arr:
            self.arrival_event.arm(self.arr[0])
        self.env.run()
        end = self.env.now
        for q in self.queues:  # never called: gave up, or still waiting at the end
            for c in q:
                if math.isfinite(self.deadline[c]):
                    self.outcome[c] = ABANDONED
                    self.left[c] = self.deadline[c]
                else:
                    self.left[c] = end
        for k, opened in enumerate(self.opened_at):
            if not math.isnan(opened):
                self.spans.append((k, opened, end))
        return self._records()

    def _records(self) -> Records:
        scn, d = self.scn, self.demand
        spans = sorted(self.spans, key=lambda s: (s[1], s[0]))
        return Records(
            services=tuple(scn.services),
            segments=tuple(scn.segments),
            counters=tuple(inst.name for inst in self.instances),
            counter_group=np.array([inst.group for inst in self.instances], dtype=np.int64),
            counter_is_kiosk=np.array([inst.kiosk for inst in self.instances], dtype=bool),
            arrival_s=d.arrival_s,
            service=d.service,
            segment=d.segment,
            kiosk=d.kiosk,
            appointment=d.appointment,
            outcome=np.array(self.outcome, dtype=np.int8),
            called_s=np.array(self.called),
            ended_s=np.array(self.ended),
            left_s=np.array(self.left),
            counter=np.array(self.counter_of, dtype=np.int64),
            span_counter=np.array([s[0] for s in spans], dtype=np.int64),
            span_opened_s=np.array([s[1] for s in spans]),
            span_closed_s=np.array([s[2] for s in spans]),
            day_factor=d.day_factor,
        )


def simulate(
    scn: Scenario, seed: int = 1, replication: int = 0, demand: Demand | None = None
) -> Records:
    """Simulate one replication (one opening day, or the stationary horizon) of
    ``scn`` and return its records. ``demand`` overrides the customers drawn from
    ``(seed, replication)``; the run itself is deterministic."""
    return _Hall(scn, demand if demand is not None else draw_demand(scn, seed, replication)).run()
