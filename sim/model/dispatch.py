"""A scenario's dispatch tables (叫号): which queues each counter group calls
from and in what order, which groups may take an arriving customer, and how
each customer maps to a queue. Built once per scenario by :func:`tables` and
shared by every replication that scenario runs.

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

import numpy as np

from sim.model.calendar import CounterInstance, counter_instances
from sim.model.demand import Demand
from sim.model.scenario import Scenario

_CACHE_SIZE = 32


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
        return (service * self.n_segments + segment) * 2 + int(booked)

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


_cache: OrderedDict[int, tuple[Scenario, Dispatch]] = OrderedDict()
_lock = threading.Lock()


def tables(scn: Scenario) -> Dispatch:
    """The dispatch tables of ``scn``, built on first use and kept for the last
    few scenarios (keyed by identity: a scenario is immutable, and the cache
    holds it, so its id cannot be reused while cached)."""
    with _lock:
        found = _cache.get(id(scn))
        if found is not None and found[0] is scn:
            _cache.move_to_end(id(scn))
            return found[1]
    built = build(scn)
    with _lock:
        _cache[id(scn)] = (scn, built)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return built
