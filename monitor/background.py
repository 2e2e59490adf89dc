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
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from concurrent.futures import Executor, ProcessPoolExecutor

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
        """Forecast every hall whose current local day has none; returns how many."""
        monitor = self.monitor
        conf = monitor.settings.forecast
        loop = asyncio.get_running_loop()
        due: dict[str, str] = {}
        for hall_id, state in monitor.states.items():
            day = state.local_day(state.now_s())
            found = monitor.forecasts.get(hall_id)
            if found is None or found[0] != day:
                due[hall_id] = day
        jobs = {
            hall_id: loop.run_in_executor(
                self._executor(),
                _forecast_job,
                monitor.halls[hall_id].scenario,
                conf.replications,
                conf.seed,
            )
            for hall_id in due
        }
        for hall_id, job in jobs.items():
            monitor.forecasts[hall_id] = (due[hall_id], await job)
        return len(jobs)

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
        """Nowcast every open hall from its live state; returns how many."""
        monitor = self.monitor
        conf = monitor.settings.nowcast
        loop = asyncio.get_running_loop()
        jobs = {}
        for hall_id, state in monitor.states.items():
            now_s = state.now_s()
            if not state.is_open(now_s):
                continue
            start = hall_start(state.picture(now_s), state)
            jobs[hall_id] = (
                now_s,
                loop.run_in_executor(
                    self._executor(),
                    _nowcast_job,
                    monitor.halls[hall_id].scenario,
                    start,
                    conf.replications,
                    conf.seed,
                ),
            )
        for hall_id, (now_s, job) in jobs.items():
            monitor.nowcasts[hall_id] = published(await job, now_s)
        return len(jobs)
