"""The day forecast: per statistics interval and counter service, what a hall's
queue should look like, from replications of its scenario.

Per replication, interval and service (counter customers only: kiosk users
take no ticket and are left out):

* ``arrivals_per_hour``: tickets issued in the interval over its length in
  hours. Balked customers take no ticket (a real hall's system never sees
  them), so they are not counted: the number compares with the monitor's
  ``hall_tickets_issued_total``.
* ``wait_s``: mean of ``called_s - arrival_s`` over the tickets issued in the
  interval that were called (no-shows included: their ticket was called). A
  replication without such a ticket has no value for that cell and is left out
  of the mean and interval, so cells can rest on fewer replications
  (:attr:`DayForecast.wait_n`).
* ``queue``: time-average number of tickets waiting in the interval. A ticket
  waits from issue until called, or until its customer left if never called; a
  no-show's ticket waits until it is called, as the ticket system sees it.

Over replications: the mean and the 95% Student-t half width (NaN with fewer
than two values). A stationary scenario (``horizon``) has no opening hours, so
its forecast has one interval, the statistics window after the warm-up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple, TypedDict

import numpy as np

from sim.model.calendar import intervals
from sim.model.days import day_key, day_scenario
from sim.model.hall import simulate
from sim.model.records import BALKED, Records
from sim.model.scenario import Scenario
from sim.model.summary import t_quantile_975
from sim.model.units import format_clock
from sim.runs.executor import Executor, SerialExecutor
from sim.runs.experiment import Job

Grid = tuple[tuple[float, ...], ...]  # [interval][service]


class ForecastPoint(NamedTuple):
    """The forecast for one service in one interval (means over replications)."""

    queue: float  # tickets waiting, time average
    wait_s: float  # mean wait of called tickets; NaN when no replication had one
    arrivals_per_hour: float


class StatJson(TypedDict):
    mean: float | None
    ci95_half_width: float | None


class WaitJson(StatJson):
    n: int


class CellJson(TypedDict):
    queue_length: StatJson
    wait_s: WaitJson
    arrivals_per_hour: StatJson


class IntervalJson(TypedDict):
    start: str
    end: str
    start_s: float
    end_s: float
    services: dict[str, CellJson]


class ForecastJson(TypedDict):
    """:meth:`DayForecast.to_json`: one row per interval, per service."""

    hall: str
    seed: int
    replications: int
    services: list[str]
    intervals: list[IntervalJson]


@dataclass(frozen=True)
class ReplicationForecast:
    """One replication reduced where it ran: ``[interval, service]`` arrays."""

    arrivals_per_hour: np.ndarray
    wait_s: np.ndarray  # NaN where no ticket issued in the interval was called
    queue: np.ndarray


@dataclass(frozen=True)
class DayForecast:
    """Means and 95% half widths per interval and counter service, indexed
    ``[interval][service]``; times are seconds after local midnight."""

    hall: str
    seed: int
    replications: int
    intervals: tuple[tuple[float, float], ...]
    services: tuple[str, ...]
    queue: Grid
    queue_half: Grid
    wait_s: Grid
    wait_half_s: Grid
    wait_n: tuple[tuple[int, ...], ...]  # replications with a called ticket
    arrivals_per_hour: Grid
    arrivals_half: Grid

    def interval_index(self, t_s: float) -> int | None:
        """The interval ``[start_s, end_s)`` holding ``t_s``, or None outside them."""
        for i, (start_s, end_s) in enumerate(self.intervals):
            if start_s <= t_s < end_s:
                return i
        return None

    def at(self, t_s: float) -> dict[str, ForecastPoint]:
        """Per service, the forecast of the interval holding ``t_s`` (seconds
        after local midnight); empty outside opening hours."""
        i = self.interval_index(t_s)
        if i is None:
            return {}
        return {
            name: ForecastPoint(self.queue[i][j], self.wait_s[i][j], self.arrivals_per_hour[i][j])
            for j, name in enumerate(self.services)
        }

    def to_json(self) -> ForecastJson:
        """A JSON-ready dict: times as ``HH:MM`` and seconds, NaN as null."""

        def stat(mean: Grid, half: Grid, i: int, j: int) -> StatJson:
            return {"mean": _finite(mean[i][j]), "ci95_half_width": _finite(half[i][j])}

        rows: list[IntervalJson] = []
        for i, (start_s, end_s) in enumerate(self.intervals):
            per_service: dict[str, CellJson] = {
                name: {
                    "queue_length": stat(self.queue, self.queue_half, i, j),
                    "wait_s": {**stat(self.wait_s, self.wait_half_s, i, j), "n": self.wait_n[i][j]},
                    "arrivals_per_hour": stat(self.arrivals_per_hour, self.arrivals_half, i, j),
                }
                for j, name in enumerate(self.services)
            }
            rows.append(
                {
                    "start": format_clock(start_s),
                    "end": format_clock(end_s),
                    "start_s": start_s,
                    "end_s": end_s,
                    "services": per_service,
                }
            )
        return {
            "hall": self.hall,
            "seed": self.seed,
            "replications": self.replications,
            "services": list(self.services),
            "intervals": rows,
        }


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def forecast_intervals(scn: Scenario) -> list[tuple[float, float]]:
    """The forecast's intervals: the scenario's statistics intervals, or for a
    stationary scenario the one window after the warm-up."""
    return intervals(scn) or [(scn.stats_start_s, scn.end_s)]


def counter_services(scn: Scenario) -> tuple[str, ...]:
    """Services customers queue for: those some counter group serves, in the
    scenario's order (a service only kiosks handle has no ticket queue)."""
    served = {name for group in scn.counters for name in group.services}
    return tuple(name for name in scn.services if name in served)


def _cumulative_waiting(start_s: np.ndarray, end_s: np.ndarray, t_s: np.ndarray) -> np.ndarray:
    """∫_{-∞}^{t} (number of spans ``[start, end)`` covering u) du at each ``t_s``."""
    starts, ends = np.sort(start_s), np.sort(end_s)
    zero = np.zeros(1)
    s_cum, e_cum = (
        np.concatenate([zero, np.cumsum(starts)]),
        np.concatenate([zero, np.cumsum(ends)]),
    )
    ks = np.searchsorted(starts, t_s, side="right")
    ke = np.searchsorted(ends, t_s, side="right")
    out: np.ndarray = (ks * t_s - s_cum[ks]) - (ke * t_s - e_cum[ke])
    return out


def reduce_replication(
    r: Records, bounds: list[tuple[float, float]], services: tuple[str, ...]
) -> ReplicationForecast:
    """One replication's ``[interval, service]`` arrays (see the module docstring)."""
    n_int, n_svc = len(bounds), len(services)
    lo = np.array([b[0] for b in bounds])
    hi = np.array([b[1] for b in bounds])
    hours = (hi - lo) / 3600.0
    ticket = ~r.kiosk & (r.outcome != BALKED)
    arrival = r.arrival_s[ticket]
    called = r.called_s[ticket]
    left = r.left_s[ticket]
    svc_index = {name: i for i, name in enumerate(r.services)}
    service = r.service[ticket]
    # intervals are contiguous for a day and single for a stationary run
    which = np.searchsorted(lo, arrival, side="right") - 1
    inside = (which >= 0) & (arrival < hi[np.maximum(which, 0)])
    was_called = ~np.isnan(called)
    wait_end = np.where(was_called, called, left)
    edges = np.concatenate([lo, hi])

    arrivals = np.zeros((n_int, n_svc))
    wait_sum = np.zeros((n_int, n_svc))
    wait_count = np.zeros((n_int, n_svc))
    queue = np.zeros((n_int, n_svc))
    for j, name in enumerate(services):
        mine = service == svc_index[name]
        cell = which[mine & inside]
        arrivals[:, j] = np.bincount(cell, minlength=n_int)
        done = mine & inside & was_called
        wait_sum[:, j] = np.bincount(
            which[done], weights=called[done] - arrival[done], minlength=n_int
        )
        wait_count[:, j] = np.bincount(which[done], minlength=n_int)
        area = _cumulative_waiting(arrival[mine], wait_end[mine], edges)
        queue[:, j] = (area[n_int:] - area[:n_int]) / (hi - lo)
    with np.errstate(invalid="ignore", divide="ignore"):
        wait = np.where(wait_count > 0, wait_sum / wait_count, np.nan)
    return ReplicationForecast(arrivals / hours[:, None], wait, queue)


@dataclass(frozen=True)
class ForecastJob:
    """One replication and what to reduce it to: picklable, for any executor."""

    job: Job
    bounds: list[tuple[float, float]]
    services: tuple[str, ...]


def run_forecast_job(item: ForecastJob) -> ReplicationForecast:
    """Simulate one replication and reduce it to small arrays where it ran."""
    job = item.job
    records = simulate(job.scenario, job.seed, job.replication)
    return reduce_replication(records, item.bounds, item.services)


def _mean_half(stack: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, 95% half width and count over axis 0, NaNs left out."""
    valid = ~np.isnan(stack)
    n = valid.sum(axis=0)
    filled = np.where(valid, stack, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = filled.sum(axis=0) / n
        var = np.where(valid, (stack - mean) ** 2, 0.0).sum(axis=0) / (n - 1)
    t_by_n = {int(k): t_quantile_975(int(k) - 1) if k >= 2 else math.nan for k in np.unique(n)}
    t = np.vectorize(t_by_n.__getitem__, otypes=[float])(n)
    half = t * np.sqrt(np.where(n >= 2, var, np.nan) / np.maximum(n, 1))
    return np.where(n > 0, mean, np.nan), half, n


def _grid(values: np.ndarray) -> Grid:
    return tuple(tuple(float(v) for v in row) for row in values)


def forecast_key(scn: Scenario, day: str) -> str:
    """What the forecast of the local ``day`` (ISO date) depends on besides the
    scenario, the replications and the seed: the plan the day follows
    (:func:`sim.model.days.day_key`: its weekday under a ``week``, the date of
    a holiday, ``""`` when every day is alike). Days with one key share one
    forecast."""
    return day_key(scn, date.fromisoformat(day))


def closed_forecast(scn: Scenario, seed: int, replications: int) -> DayForecast:
    """The forecast of a day the hall does not open: no interval, so it has
    nothing to say at any time of the day."""
    services = counter_services(scn)
    return DayForecast(scn.hall, seed, replications, (), services, (), (), (), (), (), (), ())


def forecast_date(
    scn: Scenario,
    day: str,
    replications: int = 20,
    seed: int = 1,
    executor: Executor | None = None,
) -> DayForecast:
    """The forecast of the local ``day`` (ISO date): its one-day scenario
    (:func:`sim.model.days.day_scenario`, the weekday's profile, hours and
    staffing, or a holiday's) simulated by :func:`forecast_day`; a closed day
    has an empty forecast."""
    one_day = day_scenario(scn, date.fromisoformat(day))
    if one_day is None:
        return closed_forecast(scn, seed, replications)
    return forecast_day(one_day, replications, seed, executor)


def forecast_day(
    scn: Scenario, replications: int = 20, seed: int = 1, executor: Executor | None = None
) -> DayForecast:
    """Simulate ``replications`` days of ``scn`` on ``executor`` (default: this
    process) and summarise them per interval and counter service. Replication
    ``r`` is :func:`sim.model.hall.simulate` ``(scn, seed, r)``, so the result does
    not depend on the executor."""
    if replications < 1:
        raise ValueError(f"replications must be at least 1, not {replications}")
    bounds = forecast_intervals(scn)
    services = counter_services(scn)
    items = [ForecastJob(Job(scn, seed, r), bounds, services) for r in range(replications)]
    results: list[ReplicationForecast | None] = [None] * replications
    for index, result in (executor or SerialExecutor()).map(run_forecast_job, items):
        results[index] = result
    reps = [r for r in results if r is not None]
    arrivals, arrivals_half, _ = _mean_half(np.stack([r.arrivals_per_hour for r in reps]))
    wait, wait_half, wait_n = _mean_half(np.stack([r.wait_s for r in reps]))
    queue, queue_half, _ = _mean_half(np.stack([r.queue for r in reps]))
    return DayForecast(
        hall=scn.hall,
        seed=seed,
        replications=len(reps),
        intervals=tuple(bounds),
        services=services,
        queue=_grid(queue),
        queue_half=_grid(queue_half),
        wait_s=_grid(wait),
        wait_half_s=_grid(wait_half),
        wait_n=tuple(tuple(int(k) for k in row) for row in wait_n),
        arrivals_per_hour=_grid(arrivals),
        arrivals_half=_grid(arrivals_half),
    )
