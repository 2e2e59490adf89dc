"""Back-test of hall models on days they were not fitted on: how far each
model's day forecast was from what the hall's log says happened. The nightly
learning scores the model in use and a candidate on the same held-out days and
switches only to a better one.

Per held-out day and model, the forecast (:func:`sim.live.forecast.forecast_date`:
the day's own scenario, its weekday's profile and hours) is compared interval
by interval with the day's events replayed (:func:`sim.eventlog.convert.replay`)
and reduced by the very function that reduces each forecast replication
(:func:`sim.live.forecast.reduce_replication`), for the hall as a whole (the
counter services summed; a service's tickets in a quarter hour are too few to
tell models apart): tickets issued per hour, the time-average queue, and the
mean wait of the tickets issued in the interval that were called (services
weighted by their tickets). Models are scored on the same cells (the day's
intervals every model forecasts). The score of each quantity is the weighted
mean absolute percentage error, ``wMAPE = Σ|forecast − actual| / Σ actual``
in percent: unlike the plain MAPE it does not reward forecasting too little
where the actual value is near zero. Waits are scored over the intervals
with a called ticket in the actual day and a forecast wait in every model.

A model's overall score (:attr:`Score.total`) is the mean of its three
wMAPEs; :func:`better` says whether a candidate beats the model in use.
Forecasts use common random numbers (one seed for every model), so two models
differ by their parameters, not their draws.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypedDict

import numpy as np

from sim.eventlog.convert import replay
from sim.eventlog.events import Event
from sim.live.forecast import DayForecast, forecast_date, forecast_key, reduce_replication
from sim.model.days import day_scenario
from sim.model.scenario import Scenario

QUANTITIES = ("arrivals", "queue", "wait")
Cell = tuple[date, float]  # (day, interval start)


class ScoreJson(TypedDict):
    """A :class:`Score` as the model registry records it (percent; None: NaN)."""

    arrivals_wmape: float | None
    queue_wmape: float | None
    wait_wmape: float | None
    total: float | None
    cells: int
    days: list[str]


@dataclass(frozen=True)
class Score:
    """A model's wMAPE (percent) per quantity over the held-out ``cells``; NaN
    for a quantity without a scored cell."""

    arrivals_wmape: float
    queue_wmape: float
    wait_wmape: float
    cells: int
    days: tuple[date, ...]

    @property
    def total(self) -> float:
        """The mean of the finite wMAPEs (NaN when there is none)."""
        values = [v for v in self.values() if math.isfinite(v)]
        return math.fsum(values) / len(values) if values else math.nan

    def values(self) -> tuple[float, float, float]:
        return self.arrivals_wmape, self.queue_wmape, self.wait_wmape

    def to_json(self) -> ScoreJson:
        def pct(v: float) -> float | None:
            return round(v, 2) if math.isfinite(v) else None

        return {
            "arrivals_wmape": pct(self.arrivals_wmape),
            "queue_wmape": pct(self.queue_wmape),
            "wait_wmape": pct(self.wait_wmape),
            "total": pct(self.total),
            "cells": self.cells,
            "days": [d.isoformat() for d in self.days],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Score:
        def value(key: str) -> float:
            v = data.get(key)
            return math.nan if v is None else float(v)

        return cls(
            value("arrivals_wmape"),
            value("queue_wmape"),
            value("wait_wmape"),
            int(data.get("cells", 0)),
            tuple(date.fromisoformat(d) for d in data.get("days", ())),
        )


def better(candidate: Score, current: Score) -> bool:
    """Whether ``candidate`` beats ``current``: a lower overall score (a model
    that cannot be scored never wins; any scored one beats one that cannot)."""
    if not math.isfinite(candidate.total):
        return False
    return not math.isfinite(current.total) or candidate.total < current.total


Values = dict[Cell, tuple[float, float, float]]  # arrivals per hour, queue, wait


def _cells(day: date, forecast: DayForecast, grid: Sequence[np.ndarray]) -> Values:
    """Per interval of the day: tickets per hour and queue summed over the
    services, the mean wait with services weighted by their tickets."""
    arrivals, queue, wait = (np.asarray(g, dtype=float) for g in grid)
    out: Values = {}
    for i, (start_s, _) in enumerate(forecast.intervals):
        called = np.isfinite(wait[i])
        weight = float(arrivals[i][called].sum())
        mean_wait = (
            float(wait[i][called] @ arrivals[i][called]) / weight if weight > 0 else math.nan
        )
        out[(day, start_s)] = (float(arrivals[i].sum()), float(queue[i].sum()), mean_wait)
    return out


def _actual(events: Sequence[Event], scn: Scenario, day: date, forecast: DayForecast) -> Values:
    """The day's log reduced on the forecast's grid (per the module docstring)."""
    records = replay(events, scn, day)
    got = reduce_replication(records, list(forecast.intervals), forecast.services)
    return _cells(day, forecast, (got.arrivals_per_hour, got.queue, got.wait_s))


def _wmape(pairs: list[tuple[float, float]]) -> float:
    actual = math.fsum(a for _, a in pairs)
    if not pairs or actual <= 0:
        return math.nan
    return 100.0 * math.fsum(abs(f - a) for f, a in pairs) / actual


def backtest_models(
    models: Mapping[str, Scenario],
    days: Sequence[tuple[date, Sequence[Event]]],
    *,
    replications: int = 10,
    seed: int = 1,
) -> dict[str, Score]:
    """Each model's :class:`Score` on the held-out ``days`` (each a local date
    with its events), on the cells every model forecasts (see the module
    docstring). A day a model has closed gives it no cell (and so no cell to
    any model)."""
    forecasts: dict[str, Values] = {}
    actuals: dict[str, Values] = {}
    for name, model in models.items():
        by_key: dict[str, DayForecast] = {}
        predicted: Values = {}
        actual: Values = {}
        for day, events in days:
            one_day = day_scenario(model, day)
            if one_day is None:
                continue
            key = forecast_key(model, day.isoformat())
            fc = by_key.get(key)
            if fc is None:
                fc = by_key[key] = forecast_date(model, day.isoformat(), replications, seed)
            grid = (
                np.array(fc.arrivals_per_hour),
                np.array(fc.queue),
                np.array(fc.wait_s),
            )
            predicted |= _cells(day, fc, grid)
            actual |= _actual(events, one_day, day, fc)
        forecasts[name], actuals[name] = predicted, actual
    common = set.intersection(*(set(v) for v in forecasts.values())) if forecasts else set()
    cells = sorted(common)
    waits_ok = [
        c
        for c in cells
        if all(
            math.isfinite(forecasts[n][c][2]) and math.isfinite(actuals[n][c][2]) for n in models
        )
        and all(actuals[n][c][2] >= 0 for n in models)
    ]
    scored_days = tuple(sorted({c[0] for c in cells}))
    out: dict[str, Score] = {}
    for name in models:
        f, a = forecasts[name], actuals[name]
        out[name] = Score(
            _wmape([(f[c][0], a[c][0]) for c in cells]),
            _wmape([(f[c][1], a[c][1]) for c in cells]),
            _wmape([(f[c][2], a[c][2]) for c in waits_ok]),
            len(cells),
            scored_days,
        )
    return out
