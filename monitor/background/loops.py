"""The exporter's background work: the day forecast and the nowcast, simulated
in a pool of worker processes while the app keeps answering.

* Forecast: every hall has the forecast of its local day (the hall's own
  date: with ``clock: events`` the date of its latest event) and of the next
  day, computed ahead so that a new day starts with its forecast in place.
  The scenario's day is simulated (:func:`sim.live.forecast.forecast_day`)
  once per calendar (:func:`sim.live.forecast.forecast_key`): days alike share
  one forecast, so the next day's usually costs nothing.
* Nowcast: every ``nowcast.every`` seconds, for every open hall, the current
  real state (waiting tickets with their waits, busy counters with their
  elapsed service, open counters) is simulated forward
  (:func:`sim.live.nowcast.nowcast`). One refresh of all halls runs as one batch of
  jobs on the pool. A nowcast is published with its as-of time (the hall's
  clock at the state it started from) and the wall time it was computed; for
  a hall it predicts to breach, the call-in advice follows as a second batch
  and an update of that nowcast (:mod:`monitor.background.callin`).

Each hall's job stands alone: one that fails is logged with its traceback and
counted (``hallmon_background_failures_total{hall,job}``), and the other halls'
results of the same round are still published.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from datetime import date, timedelta
from typing import TypeVar

from monitor.background.callin import (
    NONE_NEEDED,
    advice_needed,
    advice_now,
    call_in_job,
    nowcast_job,
    with_call_in,
)
from monitor.background.pool import new_pool, stop_pool
from monitor.core.monitor import Monitor
from monitor.core.snapshot import HORIZON_S, CallInNow, NowcastNow, QueuePicture
from sim.live.callin import CallIn
from sim.live.forecast import DayForecast, forecast_day, forecast_key
from sim.live.nowcast import Nowcast
from sim.live.warmstart import BusyCounter, HallStart, WaitingTicket
from sim.model.scenario import Scenario

log = logging.getLogger("hallmon")
_LABEL = {seconds: label for label, seconds in HORIZON_S.items()}
FORECAST_CHECK_S = 5.0  # cheap when nothing is due: a date and a lookup per hall
K = TypeVar("K")
R = TypeVar("R")


def hall_start(picture: QueuePicture, scn: Scenario, local_now_s: float) -> HallStart:
    """The simulation's starting point for a live queue picture taken at
    ``local_now_s`` (seconds after the hall's local midnight). Tickets and
    customers of services or segments the scenario does not know are left out:
    the model cannot say how long they take."""
    return HallStart(
        now_s=local_now_s,
        waiting=tuple(
            WaitingTicket(s, g, w)
            for s, g, w in picture.waiting
            if s in scn.services and g in scn.segments
        ),
        busy=tuple(
            # the wait before the call tells how likely a no-show is only for a
            # segment whose patience the scenario knows
            BusyCounter(c, s, e, segment=g, waited_s=w)
            if g in scn.segments
            else BusyCounter(c, s, e, segment=None)
            for (c, s, g, e), w in zip(picture.busy, _waited(picture), strict=True)
            if s in scn.services
        ),
        open_counters=picture.open_counters,
        issued=None
        if picture.issued is None
        else sum(n for s, n in picture.issued.items() if s in scn.services),
    )


def _waited(picture: QueuePicture) -> tuple[float | None, ...]:
    """Per busy counter, how long its ticket waited before the call (None: unknown)."""
    waited = picture.busy_waited
    if len(waited) != len(picture.busy):
        return (None,) * len(picture.busy)
    return waited


def next_day(day: str) -> str:
    """The local date (ISO) after ``day``."""
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


def _forecast_job(scn: Scenario, replications: int, seed: int) -> DayForecast:
    return forecast_day(scn, replications=replications, seed=seed)


def published(result: Nowcast, computed_s: float, computed_at_s: float | None = None) -> NowcastNow:
    """A nowcast as the collector publishes it (horizons as labels), as of
    ``computed_s`` (Unix seconds of the state it started from), computed at the
    wall time ``computed_at_s``."""

    def by_label(table: dict[tuple[str, float], float]) -> dict[tuple[str, str], float]:
        return {(svc, _LABEL[h]): v for (svc, h), v in table.items() if h in _LABEL}

    return NowcastNow(
        computed_s=computed_s,
        wait_s=by_label(result.wait_s),
        breach_probability={
            _LABEL[h]: p for h, p in result.breach_probability.items() if h in _LABEL
        },
        present_queue=dict(result.present_queue),
        computed_at_s=computed_at_s,
        wait_median_s=by_label(result.wait_median_s),
        wait_p90_s=by_label(result.wait_p90_s),
        service_breach_probability=by_label(result.service_breach_probability),
    )


class Background:
    """Runs the forecast and nowcast loops of one :class:`Monitor`."""

    def __init__(self, monitor: Monitor, pool: Executor | None = None) -> None:
        self.monitor = monitor
        self._pool = pool
        self._own_pool = pool is None
        self._tasks: list[asyncio.Task[None]] = []
        self._advice: dict[str, CallInNow] = {}  # hall -> its latest call-in advice

    def _executor(self) -> Executor:
        if self._pool is None:
            self._pool = new_pool(self.monitor.settings.workers or os.cpu_count() or 1)
        return self._pool

    def start(self) -> None:
        settings = self.monitor.settings
        if settings.forecast.replications > 0:
            self._tasks.append(asyncio.create_task(self._forecast_loop()))
        if settings.nowcast.every > 0:
            self._tasks.append(asyncio.create_task(self._nowcast_loop()))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        pool, self._pool = self._pool, None
        if self._own_pool and isinstance(pool, ProcessPoolExecutor):
            await asyncio.to_thread(stop_pool, pool)  # terminates running jobs' workers

    # -- forecast -------------------------------------------------------------
    async def _forecast_loop(self) -> None:
        while True:
            try:
                await self.refresh_forecasts()
            except Exception:  # a failed forecast must not stop the exporter
                log.exception("forecast refresh failed")
            await asyncio.sleep(FORECAST_CHECK_S)

    async def refresh_forecasts(self) -> int:
        """Give every hall the forecast of its local day and of the next day;
        returns how many forecasts were simulated. A day whose calendar matches
        that of a day the hall already has a forecast of gets that forecast at
        once; otherwise the first such day is simulated (today's before the
        next day's). A hall whose forecast fails is logged and counted, and is
        due again at the next check; the others are not held up."""
        monitor = self.monitor
        conf = monitor.settings.forecast
        loop = asyncio.get_running_loop()
        jobs: dict[str, tuple[str, asyncio.Future[DayForecast]]] = {}
        for hall_id in monitor.hall_ids():
            try:
                missing = self._install(hall_id)
                if missing is None:
                    continue
                scn = monitor.hall(hall_id).scenario
                job = loop.run_in_executor(
                    self._executor(), _forecast_job, scn, conf.replications, conf.seed
                )
            except Exception as exc:
                self._failed(hall_id, "forecast", exc)
                continue
            jobs[hall_id] = (missing, job)
        done = 0
        for hall_id, (day, result) in await _settled(jobs):
            if isinstance(result, Exception):
                self._failed(hall_id, "forecast", result)
            else:
                self._install(hall_id, (day, result))
                done += 1
        return done

    def _install(self, hall_id: str, new: tuple[str, DayForecast] | None = None) -> str | None:
        """Publish the forecasts of the hall's local day and the next day from
        those it holds (and ``new``, the forecast of a day): each day takes a
        forecast of a day with the same calendar. Returns the first of the two
        days left without one (None: both have one)."""
        monitor = self.monitor
        scn = monitor.hall(hall_id).scenario
        held = [*monitor.held_forecasts(hall_id), new]
        by_key = {forecast_key(scn, day): fc for day, fc in filter(None, held)}
        today = monitor.local_day(hall_id, monitor.now_s(hall_id))
        ahead = next_day(today)
        fc_today, fc_ahead = (
            by_key.get(forecast_key(scn, today)),
            by_key.get(forecast_key(scn, ahead)),
        )
        monitor.publish_forecasts(
            hall_id,
            None if fc_today is None else (today, fc_today),
            None if fc_ahead is None else (ahead, fc_ahead),
        )
        return today if fc_today is None else ahead if fc_ahead is None else None

    # -- nowcast --------------------------------------------------------------
    async def _nowcast_loop(self) -> None:
        every = self.monitor.settings.nowcast.every
        while True:
            try:
                await self.refresh_nowcasts()
            except Exception:
                log.exception("nowcast refresh failed")
            await asyncio.sleep(every)

    async def refresh_nowcasts(self) -> int:
        """Nowcast every open hall from its live state; returns how many were
        done. A hall whose nowcast fails is logged and counted; the others are
        not held up."""
        monitor = self.monitor
        conf = monitor.settings.nowcast
        loop = asyncio.get_running_loop()
        jobs: dict[str, tuple[tuple[float, HallStart], asyncio.Future[Nowcast]]] = {}
        for hall_id in monitor.hall_ids():
            try:
                now_s = monitor.now_s(hall_id)
                if not monitor.is_open(hall_id, now_s):
                    continue
                scn = monitor.hall(hall_id).scenario
                local_now_s = monitor.local_seconds(hall_id, now_s)
                start = hall_start(monitor.picture(hall_id, now_s), scn, local_now_s)
                job = loop.run_in_executor(
                    self._executor(), nowcast_job, scn, start, conf.replications, conf.seed
                )
            except Exception as exc:
                self._failed(hall_id, "nowcast", exc)
                continue
            jobs[hall_id] = ((now_s, start), job)
        done = 0
        advised: dict[str, tuple[tuple[NowcastNow, Nowcast], asyncio.Future[CallIn]]] = {}
        for hall_id, ((now_s, start), result) in await _settled(jobs):
            if isinstance(result, Exception):
                self._failed(hall_id, "nowcast", result)
                continue
            hall = monitor.hall(hall_id)
            shown = published(result, now_s, time.time())
            if advice_needed(result, hall.objective):
                # the nowcast now, with the advice it had; the new advice follows
                monitor.publish_nowcast(
                    hall_id, with_call_in(shown, result, self._advice.get(hall_id))
                )
                advising = loop.run_in_executor(
                    self._executor(),
                    call_in_job,
                    hall.scenario,
                    start,
                    result,
                    conf.seed,
                    hall.objective,
                )
                advised[hall_id] = ((shown, result), advising)
            else:
                self._advice[hall_id] = NONE_NEEDED
                monitor.publish_nowcast(hall_id, with_call_in(shown, result, NONE_NEEDED))
            done += 1
        for hall_id, ((shown, result), advice) in await _settled(advised):
            if isinstance(advice, Exception):
                self._failed(hall_id, "nowcast", advice)
                continue
            self._advice[hall_id] = advice_now(advice)
            monitor.publish_nowcast(hall_id, with_call_in(shown, result, self._advice[hall_id]))
        return done

    def _failed(self, hall_id: str, job: str, exc: Exception) -> None:
        log.error("%s of hall %s failed: %s", job, hall_id, exc, exc_info=exc)
        self.monitor.count_failure(hall_id, job)


async def _settled(
    jobs: dict[str, tuple[K, asyncio.Future[R]]],
) -> list[tuple[str, tuple[K, R | Exception]]]:
    """Every job's result or exception, once all have finished: one failing
    job must not abandon the others' results (cancellation still propagates)."""
    results = await asyncio.gather(*(job for _, job in jobs.values()), return_exceptions=True)
    out: list[tuple[str, tuple[K, R | Exception]]] = []
    for (hall_id, (key, _)), result in zip(jobs.items(), results, strict=True):
        if isinstance(result, BaseException) and not isinstance(result, Exception):
            raise result  # CancelledError, KeyboardInterrupt: not a job's failure
        out.append((hall_id, (key, result)))
    return out
