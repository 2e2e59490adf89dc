"""Back-test of ``hallsim fit``: fit a scenario on a log's first days, forecast
the following days with the fitted scenario, and score the forecast against
what the log says happened, next to the naive forecast "the same interval on
the same weekday last week".

Per interval (of the fitted scenario's opening hours) two KPIs are scored:
ticket arrivals and the mean wait of the customers served (called, not
no-shows). The actual values are those of each day's events replayed
(:func:`sim.eventlog.convert.replay`) and reduced with :func:`sim.model.kpis.replication_kpis`
against the fitted scenario, the same way as the forecast's replications.
The score is the mean absolute percentage error over (test day, interval)
pairs; pairs whose actual value is zero or undefined (no arrival, nobody
served) are left out, as are pairs where either forecast is undefined, so
both forecasts are scored on the same pairs.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any, NotRequired, TypedDict

import numpy as np

from sim.calibration.fit import collect, fit_log
from sim.calibration.fitted import fitted_scenario
from sim.eventlog.convert import replay
from sim.eventlog.events import Event, read_events
from sim.model.kpis import replication_kpis
from sim.model.scenario import Scenario
from sim.runs.experiment import run_experiment

KPIS = ("arrivals", "wait_mean_s")
NAIVE_LAG = timedelta(days=7)

# one KPI's scores: ``cells`` and ``excluded`` (ints), and per forecast by its name
# (``fitted``, ``naive``, ``reference``) its ``{"mape": %, "wmape": %}``; names and
# counts share one level of the JSON the back-test's readers know, so it stays open
Scores = dict[str, Any]


class Backtest(TypedDict):
    """What :func:`backtest` returns (JSON-ready)."""

    fit_days: list[str]
    test_days: list[str]
    replications: int
    intervals: int
    priorities: dict[str, int]
    mape: dict[str, Scores]  # by KPI
    against_reference: NotRequired[dict[str, Scores]]  # by KPI, with a reference


def _by_day(events: Sequence[Event]) -> dict[date, list[Event]]:
    """Events grouped by their local date (wall clock of their UTC offset)."""
    days: dict[date, list[Event]] = {}
    for e in events:
        days.setdefault(e.ts.date(), []).append(e)
    return days


def _interval_kpis(events: list[Event], scn: Scenario, day: date) -> dict[str, np.ndarray]:
    """Arrivals and mean wait (seconds, NaN without served customers) per
    interval of ``scn`` on one actual day."""
    by_interval = replication_kpis(replay(events, scn, day), scn).by_interval
    return {k: np.array([row[k] for row in by_interval]) for k in KPIS}


def mape(actual: np.ndarray, forecasts: dict[str, np.ndarray]) -> Scores:
    """Per forecast, in percent: ``mape`` (mean of |error| / actual) and
    ``wmape`` (sum of |error| / sum of actual), over the cells where ``actual``
    is positive and every forecast is finite; and how many cells were scored and
    left out. MAPE rewards forecasting too little where the actual value is
    near zero (a forecast of 0 never scores worse than 100%); wMAPE does not."""
    keep = np.isfinite(actual) & (actual > 0)
    for f in forecasts.values():
        keep &= np.isfinite(f)
    a = actual[keep]
    out: Scores = {"cells": int(keep.sum()), "excluded": int((~keep).sum())}
    for name, f in forecasts.items():
        err = np.abs(f[keep] - a)
        out[name] = {
            "mape": float(np.mean(err / a) * 100) if len(a) else math.nan,
            "wmape": float(err.sum() / a.sum() * 100) if len(a) else math.nan,
        }
    return out


def _forecast(scn: Scenario, replications: int, seed: int) -> dict[str, np.ndarray]:
    """Mean per interval over ``replications`` runs of ``scn`` (waits: over the
    runs that served someone in the interval)."""
    reps = run_experiment(scn, replications, seed).replications
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an interval nobody was served in
        return {
            k: np.nanmean(np.array([[row[k] for row in r.by_interval] for r in reps]), axis=0)
            for k in KPIS
        }


def backtest(
    log_path: str | Path,
    fit_days: int = 20,
    test_days: int = 10,
    replications: int = 20,
    seed: int = 1,
    *,
    timezone: str | None = None,
    reference: Scenario | None = None,
) -> Backtest:
    """Fit on the log's first ``fit_days`` dates, forecast the next ``test_days``
    with ``replications`` runs of the fitted scenario (the forecast is their
    mean per interval) and score it and the naive forecast (the actual value
    7 days earlier, which the log must hold) per the module docstring. Returns
    the dates, the fitted priorities and ``mape[kpi]`` (see :func:`mape`). A
    ``reference`` scenario (say, the one that made a simulated log) is forecast
    and scored alongside, as ``reference``, and the fitted forecast is scored
    against the reference's (``against_reference[kpi]``)."""
    with read_events(log_path) as stream:
        days = _by_day(list(stream))
    dates = sorted(days)
    if len(dates) < fit_days + test_days:
        raise ValueError(f"the log holds {len(dates)} days, not {fit_days} + {test_days}")
    fit_dates, test_dates = dates[:fit_days], dates[fit_days : fit_days + test_days]
    missing = [d - NAIVE_LAG for d in test_dates if d - NAIVE_LAG not in days]
    if missing:
        raise ValueError(f"no log for {missing[0]}, which the naive forecast needs")
    log = collect((e for d in fit_dates for e in days[d]), source=str(log_path))
    fit = fit_log(log, timezone=timezone)
    scn = fitted_scenario(fit, hall=sorted(log.halls)[0])

    forecasts = {"fitted": _forecast(scn, replications, seed)}
    if reference is not None:
        forecasts["reference"] = _forecast(reference, replications, seed)
    needed = sorted(set(test_dates) | {d - NAIVE_LAG for d in test_dates})
    actual_of = {d: _interval_kpis(days[d], scn, d) for d in needed}
    scores = {}
    for k in KPIS:
        actual = np.stack([actual_of[d][k] for d in test_dates])
        naive = np.stack([actual_of[d - NAIVE_LAG][k] for d in test_dates])
        mine = {name: np.broadcast_to(f[k], actual.shape) for name, f in forecasts.items()}
        scores[k] = mape(actual, mine | {"naive": naive})
    out: Backtest = {
        "fit_days": [d.isoformat() for d in fit_dates],
        "test_days": [d.isoformat() for d in test_dates],
        "replications": replications,
        "intervals": len(forecasts["fitted"]["arrivals"]),
        "priorities": fit.priorities,
        "mape": scores,
    }
    if reference is not None:  # the fitted hall's forecast against the truth's
        out["against_reference"] = {
            k: mape(forecasts["reference"][k][None, :], {"fitted": forecasts["fitted"][k][None, :]})
            for k in KPIS
        }
    return out
