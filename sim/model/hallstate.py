"""The state of one run of the hall (:mod:`sim.model.hall`): the per-customer and
per-counter lists its event callbacks read and change, arranged once from the
scenario's dispatch tables and the drawn customers, and the :class:`Records`
made of them when the run ends. A :class:`Resume` says where a run picks up.

The lists are plain Python lists, not arrays: the hall's callbacks index them
one customer at a time, which lists do fastest."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np
import simpy

from sim.model.demand import Demand
from sim.model.dispatch import tables
from sim.model.records import SERVED, UNSERVED, Records
from sim.model.remote_calls import RemoteCalls
from sim.model.scenario import Scenario

NONE = -1
"""No customer (a counter's ``current``), no counter (a customer's ``counter_of``)."""

Windows = tuple[tuple[float, float], ...]
Queue = deque[int]
Tier = tuple[Queue, Queue, list[tuple[Queue, Queue]] | None]


@dataclass(frozen=True)
class Resume:
    """A run that picks up at ``now_s``. The first ``present`` customers of the
    demand (in arrival order) are in the hall: those in ``serving`` (customer,
    counter, remaining wall seconds) at a counter, which closes after them unless
    a window says otherwise; the others hold tickets. ``windows`` are every
    counter's staffed windows from now on (one starting by ``now_s`` is open
    now). ``probes`` are ``(at_s, service, segment)``; unless ``to_end`` the run
    stops when the last of them is called."""

    now_s: float
    present: int
    serving: tuple[tuple[int, int, float], ...]
    windows: tuple[Windows, ...]
    probes: tuple[tuple[float, int, int], ...] = ()
    to_end: bool = False


class HallState(RemoteCalls):
    """One run's customers, queues and counters, before the first event."""

    # What the event callbacks read per customer lives in slots: a run holds about
    # fifty attributes, past the thirty CPython (3.11) keeps in an instance's
    # fast layout, and an attribute in a dict lookup costs the hot loop more
    # (slots, the rest stay in the instance's dict).
    __slots__ = (
        "arr",
        "arrived_s",
        "balk_at",
        "balking",
        "called",
        "cls",
        "counter_of",
        "current",
        "deadline",
        "draining",
        "eligible",
        "ended",
        "env",
        "group_of",
        "hall_at",
        "idle",
        "leaving",
        "left",
        "n_real",
        "next_customer",
        "outcome",
        "queues",
        "remote",
        "slot",
        "speed",
        "tiers_of",
        "waiting",
        "work",
    )

    def __init__(self, scn: Scenario, demand: Demand, resume: Resume | None = None) -> None:
        self.scn = scn
        self.demand = demand
        self.resume = resume
        self.env = simpy.Environment(resume.now_s if resume is not None else 0.0)
        table = tables(scn)
        self.instances = table.instances
        self.eligible = table.eligible
        self.group_of = table.group_of

        # per-customer inputs as Python lists (the hot loop indexes them); probes
        # follow the real customers: virtual counter tickets, no work, endless patience
        d = demand
        n_svc = table.n_services
        probes = resume.probes if resume is not None else ()
        self.n_real = len(d)
        self.probes_left = len(probes)
        self.stop = self.env.event()  # succeeds when the last probe is called
        probe_at = np.array([at_s for at_s, _, _ in probes], dtype=float)
        probe_svc = np.array([svc for _, svc, _ in probes], dtype=np.int64)
        probe_cls = [table.counter_class(svc, seg) for _, svc, seg in probes]
        classes = np.concatenate([table.classes(d), np.array(probe_cls, dtype=np.int64)])
        never = np.full(len(probes), np.inf)
        self.arr: list[float] = np.concatenate([d.arrival_s, probe_at]).tolist()
        self.cls: list[int] = classes.tolist()
        self.work: list[float] = np.concatenate([d.work_s, np.zeros(len(probes))]).tolist()
        deadline = np.where(d.kiosk, np.inf, d.hall_s + d.patience_s)
        self.deadline: list[float] = np.concatenate([deadline, never]).tolist()
        self._init_remote(d, probe_at)  # remote holders: when each is in the hall, the rule
        # tickets not yet called, per service (+ kiosks): kept only when someone may balk
        self.balking = bool(np.isfinite(table.balk_limit).any())
        self.waiting = [0] * (n_svc + 1)
        self.slot: list[int] = []
        self.balk_at: list[float] = []
        if self.balking:
            slot = np.where(d.kiosk, n_svc, d.service)
            balk_at = np.where(d.kiosk, np.inf, table.balk_limit[d.segment])
            self.slot = np.concatenate([slot, probe_svc]).tolist()
            self.balk_at = np.concatenate([balk_at, never]).tolist()

        # the run's queues and their ghosts (see _call_in_turn), arranged as the
        # scenario's tables say; a group's tiers keep only the classes someone in
        # this run belongs to (the others' queues stay empty: skipping them
        # changes no call, and spares the hot loop a look at each)
        self.queues: list[deque[int]] = [deque() for _ in range(table.n_queues)]
        self.ghosts: list[deque[int]] = [deque() for _ in self.queues]
        used = np.bincount(classes, minlength=table.n_queues) > 0
        pairs = list(zip(self.queues, self.ghosts, strict=True))
        groups = [
            [[pairs[c] for c in tier if used[c]] for tier in group if used[list(tier)].any()]
            for group in table.tiers
        ]
        self.idle: list[deque[int]] = [deque() for _ in groups]
        # per counter, its group's tiers as (queue, ghosts, None) for a tier of one
        # queue (the common case, taken in short) or (_, _, [(queue, ghosts), ...])
        tiers = [
            [(*tier[0], None if len(tier) == 1 else tier) for tier in group] for group in groups
        ]
        self.tiers_of: list[list[Tier]] = [tiers[g] for g in table.group_of]
        self.skip_gone = scn.no_show_delay == 0

        n = len(self.arr)
        self.outcome = [UNSERVED] * n
        self.called = [math.nan] * n
        self.ended = [math.nan] * n
        self.left = [math.nan] * n
        self.counter_of = [NONE] * n
        self._init_in_vain()

        # counters
        n_ctr = len(self.instances)
        self.speed = [inst.speed for inst in self.instances]
        self.current = [NONE] * n_ctr
        self.leaving = [False] * n_ctr
        self.draining = [False] * n_ctr
        self.opened_at = [math.nan] * n_ctr
        self.spans: list[tuple[int, float, float]] = []
        self.next_customer = resume.present if resume is not None else 0
        self.arrived_s = -math.inf  # when the last customer so far arrived
        self.end_s = math.nan  # when the run ended

    def records(self) -> Records:
        n = self.n_real
        scn, d = self.scn, self.demand

        def real(values: list[float] | list[int], dtype: type) -> np.ndarray:
            # the first n (the customers, not the probes after them); fromiter with
            # dtype and count: np.array would look at every element to find the dtype
            return np.fromiter(values, dtype, n)

        counter = real(self.counter_of, np.int64)
        outcome = real(self.outcome, np.int8)
        outcome[(outcome == UNSERVED) & (counter != NONE)] = SERVED  # called, not gone
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
            outcome=outcome,
            called_s=real(self.called, np.float64),
            ended_s=real(self.ended, np.float64),
            left_s=real(self.left, np.float64),
            counter=counter,
            span_counter=np.array([s[0] for s in spans], dtype=np.int64),
            span_opened_s=np.array([s[1] for s in spans]),
            span_closed_s=np.array([s[2] for s in spans]),
            day_factor=d.day_factor,
            travel_s=d.travel_s,
            **self._remote_records(n),
        )
