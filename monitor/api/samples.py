"""One hall's samples, appended fast: the label dicts of a hall built once
(:class:`HallLabels`), a sample per configured key with explicit zeros
(:func:`keyed`), values only where they exist (:func:`available`), and
histograms as client_python writes them (:func:`histograms`,
:func:`hall_histogram`). :mod:`monitor.api.collector` builds its families
with these.

A scrape of thousands of halls builds hundreds of thousands of samples, so
each is appended to ``family.samples`` directly as a
:class:`~prometheus_client.samples.Sample` tuple, sharing the hall's label
dicts, with the cyclic garbage collector paused meanwhile (:func:`gc_paused`).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

from prometheus_client.samples import Sample
from prometheus_client.utils import floatToGoString

from monitor.core.snapshot import (
    BACKGROUND_JOBS,
    HALL_LIMITS,
    HORIZONS,
    INGEST_RESULTS,
    LABEL_DIMENSIONS,
    HallInfo,
    Histogram,
)

Labels = dict[str, str]
Pairs = tuple[tuple[Any, Labels], ...]  # (snapshot key, label dict) in configured order
# label names of a snapshot key (a key the configuration does not name gets fresh labels)
SERVICE, SEGMENT, COUNTER, RESULT, TASK, DIMENSION, LIMIT = (
    ("service",),
    ("service", "segment"),
    ("counter",),
    ("result",),
    ("task",),  # not "job": Prometheus keeps that for the scrape's target
    ("dimension",),
    ("limit",),
)

_tuple_new = tuple.__new__

_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic GC off while a scrape builds its samples (nestable, thread-safe).

    A scrape creates hundreds of thousands of sample tuples that live until it
    is rendered; each allocation burst would otherwise trigger full
    collections over the whole heap (most of the build time at 2,000 halls).
    A :class:`Sample` holds its label dict, so the collector never untracks
    it: the samples a scrape does not keep are freed before it resumes
    (:meth:`monitor.api.exposition.HallBlocks.render`)."""
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()


class Family(Protocol):
    """What :meth:`HallCollector.add_hall` appends to: a client_python
    :class:`~prometheus_client.metrics_core.Metric`, or one hall's share of it."""

    name: str
    type: str
    samples: list[Sample]


def _sample(name: str, labels: Labels, value: float) -> Sample:
    return _tuple_new(Sample, (name, labels, value, None, None, None))


def single(family: Family, labels: Labels, value: float) -> None:
    family.samples.append(_tuple_new(Sample, (family.name, labels, value, None, None, None)))


# client_python's own float formatting (untyped there): ``le`` must read as it writes it
_go_float: Callable[[float], str] = floatToGoString
_LE_CACHE: dict[tuple[float, ...], tuple[str, ...]] = {}


def _le_values(bounds_s: tuple[float, ...]) -> tuple[str, ...]:
    """``le`` label values as client_python writes them (``900.0``, ``+Inf``)."""
    les = _LE_CACHE.get(bounds_s)
    if les is None:
        les = (*(_go_float(b) for b in bounds_s), "+Inf")
        if len(_LE_CACHE) < 64:
            _LE_CACHE[bounds_s] = les
    return les


class HallLabels:
    """Every label dict one hall's samples use, built once per :class:`HallInfo`."""

    __slots__ = (
        "buckets",
        "counters",
        "dimensions",
        "hall",
        "horizons",
        "info",
        "info_labels",
        "jobs",
        "limits",
        "offered",
        "results",
        "segments",
        "service_horizons",
        "services",
    )

    def __init__(self, info: HallInfo) -> None:
        hall = info.id
        self.info = info
        self.hall: Labels = {"hall": hall}
        self.info_labels: Labels = {
            "hall": hall,
            "name": info.name,
            "district": info.district,
            "city": info.city,
        }
        self.services: Pairs = tuple((s, {"hall": hall, "service": s}) for s in info.services)
        self.offered: dict[str, float] = {s: float(s in info.offered) for s in info.services}
        self.segments: Pairs = tuple(
            ((s, g), {"hall": hall, "service": s, "segment": g})
            for s in info.services
            for g in info.segments
        )
        self.counters: Pairs = tuple((c, {"hall": hall, "counter": c}) for c in info.counters)
        self.results: Pairs = tuple((r, {"hall": hall, "result": r}) for r in INGEST_RESULTS)
        self.jobs: Pairs = tuple((j, {"hall": hall, "task": j}) for j in BACKGROUND_JOBS)
        self.dimensions: Pairs = tuple(
            (d, {"hall": hall, "dimension": d}) for d in LABEL_DIMENSIONS
        )
        self.limits: Pairs = tuple((k, {"hall": hall, "limit": k}) for k in HALL_LIMITS)
        self.horizons: Pairs = tuple((h, {"hall": hall, "horizon": h}) for h in HORIZONS)
        self.service_horizons: Pairs = tuple(
            ((s, h), {"hall": hall, "service": s, "horizon": h})
            for s in info.services
            for h in HORIZONS
        )
        self.buckets: dict[tuple[str | None, tuple[float, ...]], tuple[Labels, ...]] = {}

    def bucket_labels(
        self, service: str | None, bounds_s: tuple[float, ...], *, keep: bool = True
    ) -> tuple[Labels, ...]:
        """One label dict per bucket of ``service``'s histogram (None: the
        hall's), ``+Inf`` last; kept for the next scrape when ``keep`` (a
        configured service: the ticket system may send any number of others)."""
        key = (service, bounds_s)
        found = self.buckets.get(key)
        if found is None:
            base = self.hall if service is None else {"hall": self.info.id, "service": service}
            found = tuple(base | {"le": le} for le in _le_values(bounds_s))
            if keep:
                self.buckets[key] = found
        return found


def _sample_name(family: Family) -> str:
    return family.name + "_total" if family.type == "counter" else family.name


def keyed(
    family: Family, pairs: Pairs, values: Mapping[Any, Any], names: tuple[str, ...], hall: str
) -> None:
    """One sample per configured key (0 when the snapshot lacks it), then any
    key the snapshot holds beyond the configuration (labelled ``names``), in
    sorted order."""
    name = _sample_name(family)
    append = family.samples.append
    get = values.get
    new = _tuple_new
    present = 0
    for key, labels in pairs:
        v = get(key)
        if v is None:
            v = 0
        else:
            present += 1
        append(new(Sample, (name, labels, v, None, None, None)))
    if len(values) > present:  # keys beyond the configured ones
        known = {key for key, _ in pairs}
        for key in sorted(k for k in values if k not in known):
            parts = key if isinstance(key, tuple) else (key,)
            labels = {"hall": hall, **dict(zip(names, parts, strict=True))}
            append(_sample(name, labels, values[key]))


def available(family: Family, pairs: Pairs, values: Mapping[Any, float]) -> None:
    """One sample per configured key whose value exists and is not NaN."""
    name = family.name
    append = family.samples.append
    get = values.get
    new = _tuple_new
    for key, labels in pairs:
        value = get(key)
        if value is not None and value == value:  # NaN != NaN
            append(new(Sample, (name, labels, value, None, None, None)))


def histograms(family: Family, lab: HallLabels, histograms: Mapping[str, Histogram]) -> None:
    """``_bucket`` per bound and ``+Inf``, then ``_count`` and ``_sum``, per
    configured service, then per other service the snapshot holds (sorted):
    its tickets are in ``hall_tickets_served_total``, so their waits must be
    here too."""
    present = 0
    for service, labels in lab.services:
        h = histograms.get(service)
        if h is not None:
            present += 1
            _histogram(family, labels, lab.bucket_labels(service, h.bounds_s), h)
    if len(histograms) > present:
        known = set(lab.info.services)
        for service in sorted(s for s in histograms if s not in known):
            h = histograms[service]
            les = lab.bucket_labels(service, h.bounds_s, keep=False)
            _histogram(family, {"hall": lab.info.id, "service": service}, les, h)


def hall_histogram(family: Family, lab: HallLabels, histograms: Mapping[str, Histogram]) -> None:
    """One histogram for the hall (no ``service`` label): every service's
    observations added up, bucket by bucket (a hall's services share its wait
    bounds, and every service the service-time bounds)."""
    if not histograms:
        return
    bounds_s = next(iter(histograms.values())).bounds_s
    buckets = [0] * len(bounds_s)
    count, sum_s = 0, 0.0
    for h in histograms.values():
        if h.bounds_s != bounds_s:  # cannot happen with the state's histograms; never a wrong sum
            raise ValueError(f"histograms of hall {lab.info.id!r} differ in their bounds")
        for i, n in enumerate(h.buckets):
            buckets[i] += n
        count += h.count
        sum_s += h.sum_s
    merged = Histogram(bounds_s, tuple(buckets), count, sum_s)
    _histogram(family, lab.hall, lab.bucket_labels(None, bounds_s), merged)


def _histogram(family: Family, labels: Labels, les: tuple[Labels, ...], h: Histogram) -> None:
    base = family.name
    append = family.samples.append
    new = _tuple_new
    bucket = base + "_bucket"
    for le_labels, value in zip(les, h.buckets, strict=False):
        append(new(Sample, (bucket, le_labels, value, None, None, None)))
    append(new(Sample, (bucket, les[-1], h.count, None, None, None)))
    append(new(Sample, (base + "_count", labels, h.count, None, None, None)))
    append(new(Sample, (base + "_sum", labels, h.sum_s, None, None, None)))
