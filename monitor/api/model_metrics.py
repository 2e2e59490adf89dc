"""The Prometheus families of each hall's model: which version is in use, how
old it is, whether ops pinned it, whether it opens the hall today, its
back-test against the model it replaced, the learning's progress, and today's
drift of the live stream from it. A collector of its own beside
:class:`~monitor.api.collector.HallCollector`, registered by the app; built at
scrape time from the monitor's memory (no store read)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator

from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from monitor.core.monitor import Monitor

QUANTITIES = ("arrivals", "queue", "wait")  # back-tested
DRIFTS = ("arrivals", "service", "no_show")  # drift-tested

# name -> help, in the order of the exposition (all gauges)
FAMILIES: dict[str, str] = {
    "hall_model_version": "Version of the hall's model in use (source: configured, "
    "cold_start or fitted); always that number.",
    "hall_model_age_seconds": "Seconds since the model in use was made (fitted or configured).",
    "hall_model_pinned": "1 while ops keep the model in use (hallmon model pin/rollback), else 0.",
    "hall_model_day_open": "1 when the model in use opens the hall on its current local day, 0 "
    "when its week or holidays keep it closed (no nowcast, forecast or drift test that day).",
    "hall_model_backtest_wmape_ratio": "Back-test wMAPE of the model in use (model=in_use) and "
    "of the one it replaced (model=replaced) on the same held-out days, by quantity.",
    "hall_model_learning_days": "Days with events the hall's latest night had for a fit.",
    "hall_model_learning_days_needed": "Days with events a hall needs before its first fit.",
    "hall_model_drift_score": "Today's drift test of the live stream against the model, "
    "by quantity: 1 or more is a drift.",
    "hall_model_drift_ratio": "Seen over what the model expects, by quantity, since the drift "
    "began (or since opening while there is none).",
    "hall_model_drift_since_timestamp_seconds": "Unix time the drift of a quantity began "
    "(only while drifting).",
}


LABELS: dict[str, list[str]] = {  # the families not labelled by the hall alone
    "hall_model_version": ["hall", "source"],
    "hall_model_backtest_wmape_ratio": ["hall", "quantity", "model"],
    "hall_model_drift_score": ["hall", "quantity"],
    "hall_model_drift_ratio": ["hall", "quantity"],
    "hall_model_drift_since_timestamp_seconds": ["hall", "quantity"],
}


class ModelCollector:
    """Every hall's model families, from ``monitor`` (nothing before it is open)."""

    def __init__(self, monitor: Monitor, clock: Callable[[], float] = time.time) -> None:
        self._monitor = monitor
        self._clock = clock

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        families = {
            name: GaugeMetricFamily(name, text, labels=LABELS.get(name, ["hall"]))
            for name, text in FAMILIES.items()
        }
        monitor = self._monitor
        if monitor.ready:
            now = self._clock()
            for hall_id in monitor.hall_ids():
                self._hall(families, hall_id, now)
        return iter(families.values())

    def _hall(self, f: dict[str, GaugeMetricFamily], hall_id: str, now: float) -> None:
        monitor = self._monitor
        in_use = monitor.model(hall_id).in_use
        model = in_use.model
        hall = [hall_id]
        f["hall_model_version"].add_metric([hall_id, model.source], model.version)
        f["hall_model_age_seconds"].add_metric(hall, max(0.0, now - model.created_s))
        f["hall_model_pinned"].add_metric(hall, float(in_use.pinned))
        f["hall_model_day_open"].add_metric(hall, float(monitor.model_opens_today(hall_id)))
        for role, key in (("in_use", "candidate"), ("replaced", "current")):
            score = model.scores.get(key) or {}
            for quantity in QUANTITIES:
                value = score.get(f"{quantity}_wmape")
                if value is not None and math.isfinite(float(value)):
                    f["hall_model_backtest_wmape_ratio"].add_metric(
                        [hall_id, quantity, role], float(value) / 100.0
                    )
        status = monitor.learning(hall_id)
        if status is not None:
            f["hall_model_learning_days"].add_metric(hall, status.days)
            f["hall_model_learning_days_needed"].add_metric(hall, status.needed)
        drift = monitor.drift(hall_id)
        if drift is None:
            return
        midnight = drift.as_of_s - drift.local_now_s
        for quantity in DRIFTS:
            q = drift.quantities.get(quantity)
            if q is None:
                continue
            labels = [hall_id, quantity]
            if math.isfinite(q.score):
                f["hall_model_drift_score"].add_metric(labels, q.score)
            if math.isfinite(q.ratio):
                f["hall_model_drift_ratio"].add_metric(labels, q.ratio)
            if q.drifting:
                f["hall_model_drift_since_timestamp_seconds"].add_metric(
                    labels, midnight + q.since_s
                )
