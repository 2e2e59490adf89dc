"""The Prometheus collector: every hall's live state, forecast and nowcast as
metric families, built at scrape time from immutable :class:`HallView`s.

Counted series get explicit zeros for every configured service, segment,
counter and ingest result (the snapshot mappings already hold them). Forecast
and nowcast series appear only when a value exists: no forecast yet, a time
outside opening hours, a missing nowcast horizon or a NaN give *no sample*,
because an absent series makes a PromQL comparison empty while a fake zero
would make it wrong (``hall_queue_length > 2 * hall_forecast_queue_length``
must not fire because no forecast is ready). ``hall_last_event_timestamp_seconds``
is absent until a hall has sent an event.

A scrape of thousands of halls renders hundreds of thousands of samples, and
``generate_latest`` already spends several microseconds on each; building them
must cost little next to that. So label dicts are built once per hall (keyed by
hall id, rebuilt when its :class:`HallInfo` changes) and shared by the samples
of every scrape, and samples are appended to ``Metric.samples`` directly as
:class:`~prometheus_client.samples.Sample` tuples. The collector emits no
``_created`` series; the app calls ``prometheus_client.disable_created_metrics()``
for the library's own metrics.

``describe()`` returns nothing, so registering does not call ``collect()``. A
registry built with ``support_collectors_without_names=True`` is needed for
``restricted_registry`` (``?name[]=`` queries) to reach this collector.
"""

from __future__ import annotations

import gc
import math
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.samples import Sample
from prometheus_client.utils import floatToGoString

from monitor.api.families import FAMILIES
from monitor.core.snapshot import (
    BACKGROUND_JOBS,
    HORIZONS,
    INGEST_RESULTS,
    LABEL_DIMENSIONS,
    HallInfo,
    HallView,
    Histogram,
)

__all__ = ["FAMILIES", "INGEST_RESULTS", "HallCollector"]

Labels = dict[str, str]
Pairs = tuple[tuple[Any, Labels], ...]  # (snapshot key, label dict) in configured order
# label names of a snapshot key (a key the configuration does not name gets fresh labels)
_SERVICE, _SEGMENT, _COUNTER, _RESULT, _JOB, _DIMENSION = (
    ("service",),
    ("service", "segment"),
    ("counter",),
    ("result",),
    ("job",),
    ("dimension",),
)

_tuple_new = tuple.__new__

_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = False


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic GC off while a scrape builds its samples (nestable, thread-safe).

    A scrape creates hundreds of thousands of sample tuples that live until it
    is rendered; each allocation burst would otherwise trigger full
    collections over the whole heap (most of the build time at 2,000 halls).
    The first young-generation pass after it untracks them (their contents are
    atomic), so they never reach the old generations."""
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


def _sample(name: str, labels: Labels, value: float) -> Sample:
    return _tuple_new(Sample, (name, labels, value, None, None, None))


def _single(family: Metric, labels: Labels, value: float) -> None:
    family.samples.append(_tuple_new(Sample, (family.name, labels, value, None, None, None)))


_CLASSES: dict[str, Callable[[str, str], Metric]] = {
    "gauge": GaugeMetricFamily,
    "counter": CounterMetricFamily,
    "histogram": HistogramMetricFamily,
}

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


class _HallLabels:
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
        self.segments: Pairs = tuple(
            ((s, g), {"hall": hall, "service": s, "segment": g})
            for s in info.services
            for g in info.segments
        )
        self.counters: Pairs = tuple((c, {"hall": hall, "counter": c}) for c in info.counters)
        self.results: Pairs = tuple((r, {"hall": hall, "result": r}) for r in INGEST_RESULTS)
        self.jobs: Pairs = tuple((j, {"hall": hall, "job": j}) for j in BACKGROUND_JOBS)
        self.dimensions: Pairs = tuple(
            (d, {"hall": hall, "dimension": d}) for d in LABEL_DIMENSIONS
        )
        self.horizons: Pairs = tuple((h, {"hall": hall, "horizon": h}) for h in HORIZONS)
        self.service_horizons: Pairs = tuple(
            ((s, h), {"hall": hall, "service": s, "horizon": h})
            for s in info.services
            for h in HORIZONS
        )
        self.buckets: dict[tuple[str, tuple[float, ...]], tuple[Labels, ...]] = {}

    def bucket_labels(
        self, service: str, bounds_s: tuple[float, ...], *, keep: bool = True
    ) -> tuple[Labels, ...]:
        """One label dict per bucket of ``service``'s histogram, ``+Inf`` last;
        kept for the next scrape when ``keep`` (a configured service: the ticket
        system may send any number of others)."""
        key = (service, bounds_s)
        found = self.buckets.get(key)
        if found is None:
            found = tuple(
                {"hall": self.info.id, "service": service, "le": le} for le in _le_values(bounds_s)
            )
            if keep:
                self.buckets[key] = found
        return found


class HallCollector:
    """A client_python collector over ``views()``, called once per scrape."""

    def __init__(self, views: Callable[[], Iterable[HallView]]) -> None:
        self._views = views
        self._labels: dict[str, _HallLabels] = {}

    def describe(self) -> list[Metric]:
        """Nothing: the series depend on the halls, known only at scrape time."""
        return []

    def _hall_labels(self, info: HallInfo) -> _HallLabels:
        cached = self._labels.get(info.id)
        if cached is None or (cached.info is not info and cached.info != info):
            cached = _HallLabels(info)
            self._labels[info.id] = cached
        return cached

    def collect(self) -> Iterator[Metric]:
        """Every family of :data:`FAMILIES`, with the samples of every hall."""
        families = {name: _CLASSES[kind](name, text) for name, (kind, text) in FAMILIES.items()}
        seen: list[str] = []
        with _gc_paused():
            for view in self._views():
                seen.append(view.info.id)
                self._add_hall(families, view)
        if len(self._labels) > len(seen):  # halls that left: drop their labels
            self._labels = {h: self._labels[h] for h in seen if h in self._labels}
        return iter(families.values())

    def _add_hall(self, f: dict[str, Metric], view: HallView) -> None:
        info, live = view.info, view.live
        lab = self._hall_labels(info)
        hall, hall_id = lab.hall, info.id
        _single(f["hall_info"], lab.info_labels, 1.0)
        _single(f["hall_open"], hall, live.open)
        _keyed(f["hall_queue_length"], lab.services, live.queue, _SERVICE, hall_id)
        _keyed(f["hall_oldest_wait_seconds"], lab.services, live.oldest_wait_s, _SERVICE, hall_id)
        _single(f["hall_counters_open"], hall, live.counters_open)
        _single(f["hall_counters_busy"], hall, live.counters_busy)
        if view.planned is not None:
            _single(f["hall_counters_planned"], hall, view.planned.total)
        _keyed(f["hall_tickets_issued"], lab.segments, live.issued, _SEGMENT, hall_id)
        _keyed(f["hall_tickets_served"], lab.segments, live.served, _SEGMENT, hall_id)
        _keyed(f["hall_tickets_abandoned"], lab.segments, live.abandoned, _SEGMENT, hall_id)
        _keyed(f["hall_counter_busy"], lab.counters, live.counter_busy, _COUNTER, hall_id)
        _keyed(f["hall_counter_served"], lab.counters, live.counter_served, _COUNTER, hall_id)
        _histograms(f["hall_wait_seconds"], lab, live.wait)
        _histograms(f["hall_service_seconds"], lab, live.service_time)
        _single(f["hall_slo_target_wait_seconds"], hall, info.target_wait_s)
        _single(f["hall_slo_objective_ratio"], hall, info.objective)
        forecast = view.forecast
        if forecast is not None:
            _available(f["hall_forecast_queue_length"], lab.services, forecast.queue_length)
            _available(f["hall_forecast_wait_seconds"], lab.services, forecast.wait_s)
            _available(
                f["hall_forecast_arrivals_per_hour"], lab.services, forecast.arrivals_per_hour
            )
            _available(
                f["hall_forecast_queue_length_ci95_half_width"],
                lab.services,
                forecast.queue_length_half,
            )
            _available(
                f["hall_forecast_wait_seconds_ci95_half_width"], lab.services, forecast.wait_half_s
            )
            _available(
                f["hall_forecast_arrivals_per_hour_ci95_half_width"],
                lab.services,
                forecast.arrivals_per_hour_half,
            )
        nowcast = view.nowcast
        if nowcast is not None:
            waits = lab.service_horizons
            _available(f["hall_nowcast_wait_seconds"], waits, nowcast.wait_s)
            _available(f["hall_nowcast_wait_median_seconds"], waits, nowcast.wait_median_s)
            _available(f["hall_nowcast_wait_p90_seconds"], waits, nowcast.wait_p90_s)
            _available(f["hall_nowcast_queue_length"], lab.services, nowcast.present_queue)
            _available(
                f["hall_nowcast_breach_probability"], lab.horizons, nowcast.breach_probability
            )
            _available(
                f["hall_nowcast_service_breach_probability"],
                waits,
                nowcast.service_breach_probability,
            )
            advice = nowcast.call_in
            if advice is not None:
                k = math.inf if advice.counters is None else float(advice.counters)
                labels = {"hall": hall_id, "group": advice.group or ""}
                _single(f["hall_nowcast_counters_to_open"], labels, k)
            _single(f["hall_nowcast_as_of_timestamp_seconds"], hall, nowcast.computed_s)
            if nowcast.computed_at_s is not None:
                _single(f["hall_nowcast_computed_timestamp_seconds"], hall, nowcast.computed_at_s)
        if live.last_event_s is not None:
            _single(f["hall_last_event_timestamp_seconds"], hall, live.last_event_s)
        heard = live.received_s if info.clock == "events" else live.last_event_s
        if heard is not None:
            _single(f["hall_last_heard_timestamp_seconds"], hall, heard)
        _single(f["hall_clock_timestamp_seconds"], hall, live.now_s)
        _keyed(f["hallmon_ingest_events"], lab.results, view.ingested, _RESULT, hall_id)
        _keyed(f["hallmon_background_failures"], lab.jobs, view.failures, _JOB, hall_id)
        _keyed(f["hallmon_label_overflow"], lab.dimensions, view.overflow, _DIMENSION, hall_id)


def _sample_name(family: Metric) -> str:
    return family.name + "_total" if family.type == "counter" else family.name


def _keyed(
    family: Metric, pairs: Pairs, values: Mapping[Any, Any], names: tuple[str, ...], hall: str
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


def _available(family: Metric, pairs: Pairs, values: Mapping[Any, float]) -> None:
    """One sample per configured key whose value exists and is not NaN."""
    name = family.name
    append = family.samples.append
    get = values.get
    new = _tuple_new
    for key, labels in pairs:
        value = get(key)
        if value is not None and value == value:  # NaN != NaN
            append(new(Sample, (name, labels, value, None, None, None)))


def _histograms(family: Metric, lab: _HallLabels, histograms: Mapping[str, Histogram]) -> None:
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


def _histogram(family: Metric, labels: Labels, les: tuple[Labels, ...], h: Histogram) -> None:
    base = family.name
    append = family.samples.append
    new = _tuple_new
    bucket = base + "_bucket"
    for le_labels, value in zip(les, h.buckets, strict=False):
        append(new(Sample, (bucket, le_labels, value, None, None, None)))
    append(new(Sample, (bucket, les[-1], h.count, None, None, None)))
    append(new(Sample, (base + "_count", labels, h.count, None, None, None)))
    append(new(Sample, (base + "_sum", labels, h.sum_s, None, None, None)))
