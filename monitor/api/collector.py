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

A scrape of thousands of halls builds hundreds of thousands of samples, so
they must cost little: label dicts are built once per hall (keyed by hall id,
rebuilt when its :class:`HallInfo` changes) and shared by the samples of every
scrape, and samples are appended as tuples (:mod:`monitor.api.samples`). The
collector emits no ``_created`` series; the app calls
``prometheus_client.disable_created_metrics()`` for the library's own metrics.

``describe()`` returns nothing, so registering does not call ``collect()``. A
registry built with ``support_collectors_without_names=True`` is needed for
``restricted_registry`` (``?name[]=`` queries) to reach this collector.

Every sample of a hall comes from :meth:`HallCollector.add_hall`, whichever
family it belongs to: ``collect()`` (the reference, read with client_python's
``generate_latest``) and the exporter's cached ``/metrics``
(:class:`monitor.api.exposition.HallBlocks`, one block per hall) both call it,
so a family added there (and to :data:`FAMILIES`) is published by both.

The metric set (``metrics:`` in the config): ``full`` publishes the wait and
service-time histograms per service; ``compact``, for very large deployments,
one of each per hall (the services' buckets added up), which keeps every
recording rule and alert working at hall, district and city level and drops
the per-service panels of the hall dashboard.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Literal

from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from monitor.api.families import FAMILIES
from monitor.api.samples import (
    COUNTER,
    DIMENSION,
    LIMIT,
    RESULT,
    SEGMENT,
    SERVICE,
    TASK,
    Family,
    HallLabels,
    available,
    gc_paused,
    hall_histogram,
    histograms,
    keyed,
    single,
)
from monitor.core.snapshot import INGEST_RESULTS, HallInfo, HallView

__all__ = ["FAMILIES", "INGEST_RESULTS", "METRIC_SETS", "HallCollector", "MetricSet"]

MetricSet = Literal["full", "compact"]
METRIC_SETS: tuple[MetricSet, ...] = ("full", "compact")

_CLASSES: dict[str, Callable[[str, str], Metric]] = {
    "gauge": GaugeMetricFamily,
    "counter": CounterMetricFamily,
    "histogram": HistogramMetricFamily,
}


class HallCollector:
    """A client_python collector over ``views()``, called once per scrape;
    ``metric_set`` is ``full`` or ``compact`` (see the module's docstring)."""

    def __init__(
        self, views: Callable[[], Iterable[HallView]], *, metric_set: MetricSet = "full"
    ) -> None:
        if metric_set not in METRIC_SETS:
            raise ValueError(f"metric set {metric_set!r} is not one of {', '.join(METRIC_SETS)}")
        self.views = views
        self.metric_set = metric_set
        self._labels: dict[str, HallLabels] = {}

    def describe(self) -> list[Metric]:
        """Nothing: the series depend on the halls, known only at scrape time."""
        return []

    def _hall_labels(self, info: HallInfo) -> HallLabels:
        cached = self._labels.get(info.id)
        if cached is None or (cached.info is not info and cached.info != info):
            cached = HallLabels(info)
            self._labels[info.id] = cached
        return cached

    def forget_others(self, halls: Iterable[str]) -> None:
        """Drop the labels of halls not in ``halls`` (halls that left)."""
        keep = set(halls)
        if len(self._labels) > len(keep) or not keep.issuperset(self._labels):
            self._labels = {h: lab for h, lab in self._labels.items() if h in keep}

    @staticmethod
    def new_families() -> dict[str, Metric]:
        """One empty family per entry of :data:`FAMILIES`, in exposition order."""
        return {name: _CLASSES[kind](name, text) for name, (kind, text) in FAMILIES.items()}

    def collect(self) -> Iterator[Metric]:
        """Every family of :data:`FAMILIES`, with the samples of every hall."""
        families = self.new_families()
        seen: list[str] = []
        with gc_paused():
            for view in self.views():
                seen.append(view.info.id)
                self.add_hall(families, view)
        self.forget_others(seen)
        return iter(families.values())

    def add_hall(self, f: Mapping[str, Family], view: HallView) -> None:
        """Append the samples of ``view``'s hall to the families ``f`` (keyed
        by the names of :data:`FAMILIES`): the one place a family's samples
        are built."""
        info, live = view.info, view.live
        lab = self._hall_labels(info)
        hall, hall_id = lab.hall, info.id
        single(f["hall_info"], lab.info_labels, 1.0)
        single(f["hall_open"], hall, live.open)
        if info.location is not None:
            single(f["hall_latitude_degrees"], hall, info.location[0])
            single(f["hall_longitude_degrees"], hall, info.location[1])
        keyed(f["hall_service_offered"], lab.services, lab.offered, SERVICE, hall_id)
        keyed(f["hall_queue_length"], lab.services, live.queue, SERVICE, hall_id)
        keyed(f["hall_remote_tickets_on_the_way"], lab.services, live.away, SERVICE, hall_id)
        keyed(f["hall_oldest_wait_seconds"], lab.services, live.oldest_wait_s, SERVICE, hall_id)
        single(f["hall_counters_open"], hall, live.counters_open)
        single(f["hall_counters_busy"], hall, live.counters_busy)
        if view.planned is not None:
            single(f["hall_counters_planned"], hall, view.planned.total)
        keyed(f["hall_tickets_issued"], lab.segments, live.issued, SEGMENT, hall_id)
        keyed(f["hall_tickets_served"], lab.segments, live.served, SEGMENT, hall_id)
        keyed(f["hall_tickets_abandoned"], lab.segments, live.abandoned, SEGMENT, hall_id)
        keyed(f["hall_counter_busy"], lab.counters, live.counter_busy, COUNTER, hall_id)
        keyed(f["hall_counter_served"], lab.counters, live.counter_served, COUNTER, hall_id)
        if self.metric_set == "full":
            histograms(f["hall_wait_seconds"], lab, live.wait)
            histograms(f["hall_service_seconds"], lab, live.service_time)
        else:
            hall_histogram(f["hall_wait_seconds"], lab, live.wait)
            hall_histogram(f["hall_service_seconds"], lab, live.service_time)
        single(f["hall_slo_target_wait_seconds"], hall, info.target_wait_s)
        single(f["hall_slo_objective_ratio"], hall, info.objective)
        forecast = view.forecast
        if forecast is not None:
            available(f["hall_forecast_queue_length"], lab.services, forecast.queue_length)
            available(f["hall_forecast_wait_seconds"], lab.services, forecast.wait_s)
            available(
                f["hall_forecast_arrivals_per_hour"], lab.services, forecast.arrivals_per_hour
            )
            available(
                f["hall_forecast_queue_length_ci95_half_width"],
                lab.services,
                forecast.queue_length_half,
            )
            available(
                f["hall_forecast_wait_seconds_ci95_half_width"], lab.services, forecast.wait_half_s
            )
            available(
                f["hall_forecast_arrivals_per_hour_ci95_half_width"],
                lab.services,
                forecast.arrivals_per_hour_half,
            )
        nowcast = view.nowcast
        if nowcast is not None:
            waits = lab.service_horizons
            available(f["hall_nowcast_wait_seconds"], waits, nowcast.wait_s)
            available(f["hall_nowcast_wait_median_seconds"], waits, nowcast.wait_median_s)
            available(f["hall_nowcast_wait_p90_seconds"], waits, nowcast.wait_p90_s)
            available(f["hall_nowcast_queue_length"], lab.services, nowcast.present_queue)
            available(
                f["hall_nowcast_breach_probability"], lab.horizons, nowcast.breach_probability
            )
            available(
                f["hall_nowcast_service_breach_probability"],
                waits,
                nowcast.service_breach_probability,
            )
            advice = nowcast.call_in
            if advice is not None:
                k = math.inf if advice.counters is None else float(advice.counters)
                labels = {"hall": hall_id, "group": advice.group or ""}
                single(f["hall_nowcast_counters_to_open"], labels, k)
            single(f["hall_nowcast_as_of_timestamp_seconds"], hall, nowcast.computed_s)
            if nowcast.computed_at_s is not None:
                single(f["hall_nowcast_computed_timestamp_seconds"], hall, nowcast.computed_at_s)
        if live.last_event_s is not None:
            single(f["hall_last_event_timestamp_seconds"], hall, live.last_event_s)
        heard = live.received_s if info.clock == "events" else live.last_event_s
        if heard is not None:
            single(f["hall_last_heard_timestamp_seconds"], hall, heard)
        single(f["hall_clock_timestamp_seconds"], hall, live.now_s)
        keyed(f["hallmon_ingest_events"], lab.results, view.ingested, RESULT, hall_id)
        keyed(f["hallmon_background_failures"], lab.jobs, view.failures, TASK, hall_id)
        keyed(f["hallmon_label_overflow"], lab.dimensions, view.overflow, DIMENSION, hall_id)
        keyed(f["hallmon_limited_requests"], lab.limits, view.limited, LIMIT, hall_id)
