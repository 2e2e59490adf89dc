"""A scenario's dispatch tables (叫号): which queues each counter group calls
from and in what order, which groups may take an arriving customer, and how
each customer maps to a queue. Built once per scenario and process by
:func:`tables` and shared by every replication of that scenario the process
runs, however many copies of the scenario its jobs bring.

Queue classes: counter customers by (service, segment, booked), then one class
per service for kiosk users. A counter group's *tiers* list its classes by
(priority, rank of the service in the group's skill list), best first; within
a tier the earliest ticket is called. A class's *eligible* groups are those
that serve it, the group where its service ranks highest first.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from sim.model.calendar import CounterInstance, counter_instances
from sim.model.demand import Demand
from sim.model.scenario import Scenario

_CACHE_SIZE = 32


def counter_class(n_segments: int, service: int, segment: int, booked: bool = False) -> int:
    """The queue class of a counter customer in a hall of ``n_segments`` segments
    (:meth:`Dispatch.counter_class`; it reads nothing else of the tables)."""
    return (service * n_segments + segment) * 2 + int(booked)


@dataclass(frozen=True)
class Dispatch:
    """The dispatch tables of one scenario (see the module docstring)."""

    n_services: int
    n_segments: int
    n_classes: int  # counter classes; kiosk classes follow them
    tiers: tuple[tuple[tuple[int, ...], ...], ...]  # group -> tiers of classes, best first
    eligible: tuple[tuple[int, ...], ...]  # class -> groups that serve it, best first
    instances: tuple[CounterInstance, ...]  # every staffed position, counters then kiosks
    group_of: tuple[int, ...]  # position -> its group (kiosk groups after counter groups)
    balk_limit: np.ndarray  # segment -> tickets waiting above which a customer balks

    @property
    def n_queues(self) -> int:
        return self.n_classes + self.n_services

    def counter_class(self, service: int, segment: int, booked: bool = False) -> int:
        """The queue class of a counter customer."""
        return counter_class(self.n_segments, service, segment, booked)

    def called_alike(self, cls: int) -> tuple[tuple[int, int], ...]:
        """Which groups serve class ``cls`` and in which of their tiers: two
        classes with the same answer sit in the same tier of every counter that
        calls either, so two tickets of them taken at the same time, neither
        holding a counter (probes), are called at the same time."""
        return tuple(
            (g, next(i for i, tier in enumerate(self.tiers[g]) if cls in tier))
            for g in self.eligible[cls]
        )

    def classes(self, demand: Demand) -> np.ndarray:
        """Each customer's queue class."""
        cls = (demand.service * self.n_segments + demand.segment) * 2
        cls = cls + demand.appointment.astype(int)
        return np.where(demand.kiosk, self.n_classes + demand.service, cls)


def build(scn: Scenario) -> Dispatch:
    """The dispatch tables of ``scn`` (use :func:`tables`, which caches them)."""
    services, segments = list(scn.services), list(scn.segments)
    n_svc, n_seg = len(services), len(segments)
    n_cls = n_svc * n_seg * 2
    appts = scn.arrivals.appointments

    def priority(cls: int) -> int:
        booked = cls % 2
        seg = (cls // 2) % n_seg
        if booked and appts is not None:
            return appts.priority
        return scn.segments[segments[seg]].priority

    tiers: list[tuple[tuple[int, ...], ...]] = []
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
        tiers.append(tuple(tuple(by_key[key]) for key in sorted(by_key)))
    for j, kiosk in enumerate(scn.kiosks):
        g = len(scn.counters) + j
        classes = tuple(n_cls + services.index(name) for name in kiosk.services)
        tiers.append((classes,))
        for c in classes:
            eligible[c].append((0, g))
    instances = tuple(counter_instances(scn))
    limits = [scn.segments[s].balk_if_queue_over for s in segments]
    return Dispatch(
        n_services=n_svc,
        n_segments=n_seg,
        n_classes=n_cls,
        tiers=tuple(tiers),
        eligible=tuple(tuple(g for _, g in sorted(e)) for e in eligible),
        instances=instances,
        group_of=tuple(i.group + (len(scn.counters) if i.kiosk else 0) for i in instances),
        balk_limit=np.array([math.inf if limit is None else limit for limit in limits]),
    )


class CacheInfo(NamedTuple):
    """How :func:`tables` has done in this process: lookups answered from the
    cache, tables built, and scenarios held."""

    hits: int
    misses: int
    size: int


def content_key(scn: Scenario) -> str:
    """What ``scn`` says, field by field in order, as one exact string (``repr``
    keeps every float, infinity and None apart): equal for a copy of the same
    scenario, such as the one a worker process unpickles from a job."""
    return repr(scn.model_dump())


# the last few scenarios by content, and the objects last seen by identity (held,
# so that an id cannot be reused while cached) with their content key
_by_content: OrderedDict[str, Dispatch] = OrderedDict()
_by_identity: OrderedDict[int, tuple[Scenario, str]] = OrderedDict()
_counts = {"hits": 0, "misses": 0}
_lock = threading.Lock()


def _remember(cache: OrderedDict[Any, Any], key: Any, value: Any) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > _CACHE_SIZE:
        cache.popitem(last=False)


def tables(scn: Scenario) -> Dispatch:
    """The dispatch tables of ``scn``, built on first use in this process and
    kept for the last few scenarios. Keyed by content (:func:`content_key`), so
    that the copies of one scenario that every job brings to a worker process
    share one set of tables; the same object is recognised without reading it."""
    with _lock:
        seen = _by_identity.get(id(scn))
        key = seen[1] if seen is not None and seen[0] is scn else None
    if key is None:
        key = content_key(scn)
    with _lock:
        _remember(_by_identity, id(scn), (scn, key))
        found = _by_content.get(key)
        if found is not None:
            _by_content.move_to_end(key)
            _counts["hits"] += 1
            return found
    built = build(scn)
    with _lock:
        _counts["misses"] += 1
        _remember(_by_content, key, built)
    return built


def cache_info() -> CacheInfo:
    """Hits, misses and size of this process's :func:`tables` cache."""
    with _lock:
        return CacheInfo(_counts["hits"], _counts["misses"], len(_by_content))


def cache_clear() -> None:
    """Forget every cached table and the counts (for tests and benchmarks)."""
    with _lock:
        _by_content.clear()
        _by_identity.clear()
        _counts.update(hits=0, misses=0)
