"""The exporter's background work: the day forecast and the nowcast, simulated
in a pool of worker processes while the app keeps answering.

* Forecast: for every hall whose local day has no forecast yet (at start, and
  after each local midnight), the scenario's day is simulated
  (:func:`sim.live.forecast.forecast_day`).
* Nowcast: every ``nowcast.every`` seconds, for every open hall, the current
  real state (waiting tickets with their waits, busy counters with their
  elapsed service, open counters) is simulated forward
  (:func:`sim.live.nowcast.nowcast`). One refresh of all halls runs as one batch of
  jobs on the pool.

Each hall's job stands alone: one that fails is logged with its traceback and
counted (``hallmon_background_failures_total{hall,job}``), and the other halls'
results of the same round are still published.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import TypeVar

from monitor.service import Monitor
from monitor.snapshot import HORIZON_S, NowcastNow
from monitor.state import HallState, QueuePicture
from sim.live.forecast import DayForecast, forecast_day
from sim.live.nowcast import Nowcast, nowcast
from sim.live.warmstart import BusyCounter, HallStart, WaitingTicket
from sim.model.scenario import Scenario

log = logging.getLogger("hallmon")
_LABEL = {seconds: label for label, seconds in HORIZON_S.items()}
FORECAST_CHECK_S = 30.0
K = TypeVar("K")
R = TypeVar("R")


def hall_start(picture: QueuePicture, state: HallState) -> HallStart:
    """The simulation's starting point for a live queue picture. Tickets and
    customers of services or segments the scenario does not know are left out:
    the model cannot say how long they take."""
    scn = state.hall.scenario
    return HallStart(
        now_s=state.local_seconds(picture.now_s),
        waiting=tuple(
            WaitingTicket(s, g, w)
            for s, g, w in picture.waiting
            if s in scn.services and g in scn.segments
        ),
        busy=tuple(
            BusyCounter(c, s, e, segment=g if g in scn.segments else None)
            for c, s, g, e in picture.busy
            if s in scn.services
        ),
        open_counters=picture.open_counters,
    )


def _forecast_job(scn: Scenario, replications: int, seed: int) -> DayForecast:
    return forecast_day(scn, replications=replications, seed=seed)


def _nowcast_job(scn: Scenario, start: HallStart, replications: int, seed: int) -> Nowcast:
    return nowcast(
        scn, start, horizons_s=tuple(HORIZON_S.values()), replications=replications, seed=seed
    )


def published(result: Nowcast, computed_s: float) -> NowcastNow:
    """A nowcast as the collector publishes it (horizons as labels)."""
    return NowcastNow(
        computed_s=computed_s,
        wait_s={(svc, _LABEL[h]): w for (svc, h), w in result.wait_s.items() if h in _LABEL},
        breach_probability={
            _LABEL[h]: p for h, p in result.breach_probability.items() if h in _LABEL
        },
        present_queue=dict(result.present_queue),
    )


class Background:
    """Runs the forecast and nowcast loops of one :class:`Monitor`."""

    def __init__(self, monitor: Monitor, pool: Executor | None = None) -> None:
        self.monitor = monitor
        self._pool = pool
        self._own_pool = pool is None
        self._tasks: list[asyncio.Task[None]] = []

    def _executor(self) -> Executor:
        if self._pool is None:
            workers = self.monitor.settings.workers or os.cpu_count() or 1
            # forkserver: forking a process whose threads may hold locks is unsafe
            context = multiprocessing.get_context("forkserver")
            self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
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
        if self._own_pool and self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    # -- forecast -------------------------------------------------------------
    async def _forecast_loop(self) -> None:
        while True:
            try:
                await self.refresh_forecasts()
            except Exception:  # a failed forecast must not stop the exporter
                log.exception("forecast refresh failed")
            await asyncio.sleep(FORECAST_CHECK_S)

    async def refresh_forecasts(self) -> int:
        """Forecast every hall whose current local day has none; returns how
        many were done. A hall whose forecast fails is logged and counted, and
        is due again at the next check; the others are not held up."""
        monitor = self.monitor
        conf = monitor.settings.forecast
        loop = asyncio.get_running_loop()
        jobs: dict[str, tuple[str, asyncio.Future[DayForecast]]] = {}
        for hall_id, state in monitor.states.items():
            try:
                day = state.local_day(state.now_s())
                if monitor.current_forecast(hall_id, day) is not None:
                    continue
                scn = monitor.halls[hall_id].scenario
                job = loop.run_in_executor(
                    self._executor(), _forecast_job, scn, conf.replications, conf.seed
                )
            except Exception as exc:
                self._failed(hall_id, "forecast", exc)
                continue
            jobs[hall_id] = (day, job)
        done = 0
        for hall_id, (day, result) in await _settled(jobs):
            if isinstance(result, Exception):
                self._failed(hall_id, "forecast", result)
            else:
                monitor.forecasts[hall_id] = (day, result)
                done += 1
        return done

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
        jobs: dict[str, tuple[float, asyncio.Future[Nowcast]]] = {}
        for hall_id, state in monitor.states.items():
            try:
                now_s = state.now_s()
                if not state.is_open(now_s):
                    continue
                start = hall_start(state.picture(now_s), state)
                scn = monitor.halls[hall_id].scenario
                job = loop.run_in_executor(
                    self._executor(), _nowcast_job, scn, start, conf.replications, conf.seed
                )
            except Exception as exc:
                self._failed(hall_id, "nowcast", exc)
                continue
            jobs[hall_id] = (now_s, job)
        done = 0
        for hall_id, (now_s, result) in await _settled(jobs):
            if isinstance(result, Exception):
                self._failed(hall_id, "nowcast", result)
            else:
                monitor.nowcasts[hall_id] = published(result, now_s)
                done += 1
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
