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
from functools import lru_cache

import numpy as np
import simpy

from sim.model.demand import Demand
from sim.model.dispatch import counter_class, tables
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


@dataclass(frozen=True)
class _ProbeParts:
    """A run's probes as every run with them puts them after its customers
    (:class:`HallState`): the same in every replication of a nowcast, so
    prepared once (:func:`_probe_parts`) and shared: the runs only read them
    (a run's lists are new lists, ``its own + these``)."""

    at_s: list[float]
    svc: list[int]
    cls: list[int]
    zeros: list[float]  # their work
    never: list[float]  # their patience and balking limit
    classes: np.ndarray  # the classes they take tickets of (a run's tiers keep these)
    # (time, the probes due then as offsets after the customers), in the order of
    # each time's first probe: one event each (see the hall's _pick_up)
    due: tuple[tuple[float, tuple[int, ...]], ...]


@lru_cache(maxsize=64)
def _probe_parts(n_segments: int, probes: tuple[tuple[float, int, int], ...]) -> _ProbeParts:
    """The parts of ``probes`` (see :class:`_ProbeParts`), for a hall of
    ``n_segments`` segments (all a probe's class depends on)."""
    at_s = np.array([at_s for at_s, _, _ in probes], dtype=float).tolist()
    svc = np.array([svc for _, svc, _ in probes], dtype=np.int64).tolist()
    seg = np.array([seg for _, _, seg in probes], dtype=np.int64).tolist()
    cls = [counter_class(n_segments, v, g) for v, g in zip(svc, seg, strict=True)]
    due: dict[float, list[int]] = {}
    for j, t_s in enumerate(at_s):
        due.setdefault(t_s, []).append(j)
    return _ProbeParts(
        at_s=at_s,
        svc=svc,
        cls=cls,
        zeros=[0.0] * len(probes),
        never=[math.inf] * len(probes),
        classes=_read_only(np.array(sorted(set(cls)), dtype=np.int64)),
        due=tuple((t_s, tuple(js)) for t_s, js in due.items()),
    )


def _read_only(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


@lru_cache(maxsize=256)
def _tiers_used(
    tiers: tuple[tuple[tuple[int, ...], ...], ...], used: bytes
) -> tuple[tuple[tuple[int, tuple[int, ...] | None], ...], ...]:
    """Per group of the dispatch ``tiers``, the tiers that keep a class marked in
    ``used`` (a boolean mask's bytes), each as its first used class and, for a
    tier of several, all its used classes (None for a tier of one)."""
    groups = []
    for group in tiers:
        kept = [tuple(c for c in tier if used[c]) for tier in group]
        groups.append(tuple((t[0], None if len(t) == 1 else t) for t in kept if t))
    return tuple(groups)


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
        probes = _probe_parts(table.n_segments, resume.probes if resume is not None else ())
        self.probes = probes
        self.n_real = len(d)
        self.probes_left = len(probes.at_s)
        self.stop = self.env.event()  # succeeds when the last probe is called
        classes = table.classes(d)
        # list + list: the same Python floats and ints as the lists of the arrays
        # concatenated, without the probes' part converted again in every run
        self.arr: list[float] = d.arrival_s.tolist() + probes.at_s
        self.cls: list[int] = classes.tolist() + probes.cls
        self.work: list[float] = d.work_s.tolist() + probes.zeros
        deadline = np.where(d.kiosk, np.inf, d.hall_s + d.patience_s)
        self.deadline: list[float] = deadline.tolist() + probes.never
        self._init_remote(d, probes.at_s)  # remote holders: when each is in the hall, the rule
        # tickets not yet called, per service (+ kiosks): kept only when someone may balk
        self.balking = bool(np.isfinite(table.balk_limit).any())
        self.waiting = [0] * (n_svc + 1)
        self.slot: list[int] = []
        self.balk_at: list[float] = []
        if self.balking:
            slot = np.where(d.kiosk, n_svc, d.service)
            balk_at = np.where(d.kiosk, np.inf, table.balk_limit[d.segment])
            self.slot = slot.tolist() + probes.svc
            self.balk_at = balk_at.tolist() + probes.never

        # the run's queues and their ghosts (see _call_in_turn), arranged as the
        # scenario's tables say; a group's tiers keep only the classes someone in
        # this run belongs to (the others' queues stay empty: skipping them
        # changes no call, and spares the hot loop a look at each)
        self.queues: list[deque[int]] = [deque() for _ in range(table.n_queues)]
        self.ghosts: list[deque[int]] = [deque() for _ in self.queues]
        used = np.bincount(classes, minlength=table.n_queues) > 0
        used[probes.classes] = True
        queues, ghosts = self.queues, self.ghosts
        shape = _tiers_used(table.tiers, used.tobytes())
        self.idle: list[deque[int]] = [deque() for _ in shape]
        # per counter, its group's tiers as (queue, ghosts, None) for a tier of one
        # queue (the common case, taken in short) or (_, _, [(queue, ghosts), ...])
        tiers = [
            [
                (
                    queues[first],
                    ghosts[first],
                    None if rest is None else [(queues[c], ghosts[c]) for c in rest],
                )
                for first, rest in group
            ]
            for group in shape
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
