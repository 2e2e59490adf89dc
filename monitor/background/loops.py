"""The exporter's background work: the day forecast and the nowcast, simulated
in a pool of worker processes while the app keeps answering.

* Forecast: every hall has the forecast of its local day (the hall's own
  date: with ``clock: events`` the date of its latest event) and of the next
  day, computed ahead so that a new day starts with its forecast in place.
  The day of the hall's model in use (:meth:`Monitor.model`) is simulated
  (:func:`sim.live.forecast.forecast_date`: the date's weekday plan or
  holiday) once per model version and plan
  (:func:`sim.live.forecast.forecast_key`): days alike share one forecast, and
  a new model (a nightly fit adopted, a rollback) gets new forecasts.
* Nowcast: every open hall's current real state (waiting tickets with their
  waits, busy counters with their elapsed service, open counters) is
  simulated forward (:func:`sim.live.nowcast.nowcast`, stopping early once
  ``nowcast.precision`` is met) with the model of the hall's date, at the
  day's demand level the drift test reads from the tickets issued so far
  (:attr:`sim.live.drift.HallDrift.level`), before its nowcast is
  ``nowcast.every`` old. The loop looks every :data:`NOWCAST_CHECK_S` (a
  quarter of the limit, if less) for halls that are due (no nowcast of
  today, or one that would age past the limit before the next look and the
  time a nowcast takes), oldest first, and keeps two of them under way per
  worker, each pictured as it is sent: a stream, not rounds, so that no
  worker waits for a round's slowest hall and each hall comes round about
  every ``nowcast.every``, not every round plus a wait. A hall with
  ``clock: events`` and no event applied since its last picture is never
  due: its nowcast would come out the same (before its first event its
  clock is the wall clock, and it comes round as a wall-clock hall does). A
  nowcast is published with its as-of time (the hall's clock at the state it
  started from) and the wall time it was computed; for a hall it predicts to
  breach, the call-in advice follows as an update of that nowcast
  (:mod:`monitor.background.callin`).
* Learning and drift: :mod:`monitor.background.learn` (the nightly re-fit)
  and :mod:`monitor.background.drift` (the live stream against the model),
  on the same pool.

Each hall's job stands alone: one that fails is logged with its traceback and
counted (``hallmon_background_failures_total{hall,task}``), and the other halls'
results of the same round are still published.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import time
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Executor, ProcessPoolExecutor
from datetime import date

from monitor.background.callin import (
    NONE_NEEDED,
    advice_needed,
    advice_now,
    call_in_job,
    nowcast_job,
    with_call_in,
)
from monitor.background.drift import DriftWatch
from monitor.background.learn import Learning
from monitor.background.nowcasting import hall_start as hall_start  # re-exported
from monitor.background.nowcasting import precision_of as precision_of
from monitor.background.nowcasting import published as published
from monitor.background.pool import new_pool, stop_pool
from monitor.background.rounds import LongestRecent, every, settled
from monitor.background.usage import PoolUsage
from monitor.core.localdays import next_day
from monitor.core.monitor import Monitor
from monitor.core.snapshot import CallInNow
from sim.live.forecast import DayForecast, forecast_date, forecast_key
from sim.model.days import day_scenario
from sim.model.scenario import Scenario

log = logging.getLogger("hallmon")
FORECAST_CHECK_S = 5.0  # cheap when nothing is due: a date and a lookup per hall
NOWCAST_CHECK_S = 2.0  # cheap too: a clock, a date and two lookups per hall
IN_FLIGHT_PER_WORKER = 2  # nowcasts sent a worker: one running, the next waiting with its picture
FORECASTS_KEPT = 16  # per hall: days' plans × model versions


def _forecast_job(scn: Scenario, day: str, replications: int, seed: int) -> DayForecast:
    return forecast_date(scn, day, replications=replications, seed=seed)


class Background:
    """Runs the forecast and nowcast loops of one :class:`Monitor`."""

    def __init__(self, monitor: Monitor, pool: Executor | None = None) -> None:
        self.monitor = monitor
        self._pool = pool
        self._own_pool = pool is None
        self._tasks: list[asyncio.Task[None]] = []
        # hall -> (wall clock of the picture its nowcast started from, its last
        # change then, day, model version)
        self._pictured: dict[str, tuple[float, float | None, str, int]] = {}
        # over the last nowcast.every: the longest a nowcast took from the look that
        # found it due (or its picture) to its publication, and the latest a look came
        self._took = LongestRecent(monitor.settings.nowcast.every)
        self._late = LongestRecent(monitor.settings.nowcast.every)
        self._in_flight: set[str] = set()  # the halls with a nowcast under way
        # per hall, the forecasts computed, by (model version, the day's plan)
        self._computed: dict[str, dict[tuple[int, str], DayForecast]] = {}
        self.usage = PoolUsage()  # the pool's CPU by job, for /metrics
        self.learning = Learning(monitor, self._executor, self.usage)
        self.drift = DriftWatch(monitor, self._executor, self.usage)
        self._advice: dict[str, CallInNow] = {}  # hall -> its latest call-in advice

    def executor(self) -> Executor:
        """The pool of simulation processes (started when first needed)."""
        return self._executor()

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
        self._tasks.append(asyncio.create_task(self.learning.loop()))
        if settings.drift.every > 0:
            self._tasks.append(asyncio.create_task(self.drift.loop()))

    async def stop(self) -> None:
        self.learning.cancel()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        pool, self._pool = self._pool, None
        if self._own_pool and isinstance(pool, ProcessPoolExecutor):
            await asyncio.to_thread(stop_pool, pool)  # terminates running jobs' workers

    # -- forecast -------------------------------------------------------------
    async def _forecast_loop(self) -> None:
        await every(FORECAST_CHECK_S, self.refresh_forecasts, "forecast refresh failed", log)

    async def refresh_forecasts(self) -> int:
        """Give every hall the forecast of its local day and of the next day
        with its model in use; returns how many forecasts were simulated. A day
        whose plan matches that of a day already forecast with the same model
        gets that forecast at once; otherwise the first such day is simulated
        (today's before the next day's). A hall whose forecast fails is logged
        and counted, and is due again at the next check; the others are not
        held up."""
        done = 0
        failed: set[str] = set()  # not tried again before the next check
        for _ in ("today", "the next day"):  # a round each, at most: the first may fill both
            simulated = await self._forecast_round(failed)
            done += simulated
            if not simulated:
                break
        return done

    async def _forecast_round(self, failed: set[str]) -> int:
        """One forecast job for every hall missing one (and not in ``failed``,
        to which the halls that fail are added); returns how many succeeded."""
        monitor = self.monitor
        conf = monitor.settings.forecast
        jobs: dict[str, tuple[tuple[int, str], asyncio.Future[DayForecast]]] = {}
        for hall_id in monitor.hall_ids():
            if hall_id in failed:
                continue
            try:
                missing = self._install(hall_id)
                if missing is None:
                    continue
                model = monitor.model(hall_id)
                key = (model.version, forecast_key(model.scenario, missing))
                job = asyncio.ensure_future(
                    self.usage.run(
                        self._executor(),
                        "forecast",
                        _forecast_job,
                        model.scenario,
                        missing,
                        conf.replications,
                        conf.seed,
                    )
                )
            except Exception as exc:
                self._failed(hall_id, "forecast", exc)
                failed.add(hall_id)
                continue
            jobs[hall_id] = (key, job)
        done = 0
        for hall_id, (key, result) in await settled(jobs):
            if isinstance(result, Exception):
                self._failed(hall_id, "forecast", result)
                failed.add(hall_id)
            else:
                computed = self._computed.setdefault(hall_id, {})
                if len(computed) >= FORECASTS_KEPT:  # the oldest first: dicts keep order
                    del computed[next(iter(computed))]
                computed[key] = result
                self._install(hall_id)
                done += 1
        return done

    def _install(self, hall_id: str) -> str | None:
        """Publish the forecasts of the hall's local day and the next day from
        those computed with its model in use (a day takes the forecast of a day
        with the same plan). Returns the first of the two days left without one
        (None: both have one)."""
        monitor = self.monitor
        model = monitor.model(hall_id)
        computed = self._computed.get(hall_id, {})
        today = monitor.local_day(hall_id, monitor.now_s(hall_id))
        ahead = next_day(today)
        fc_today, fc_ahead = (
            computed.get((model.version, forecast_key(model.scenario, day)))
            for day in (today, ahead)
        )
        monitor.publish_forecasts(
            hall_id,
            None if fc_today is None else (today, fc_today),
            None if fc_ahead is None else (ahead, fc_ahead),
        )
        return today if fc_today is None else ahead if fc_ahead is None else None

    # -- nowcast --------------------------------------------------------------
    async def _nowcast_loop(self) -> None:
        """Keep ``IN_FLIGHT_PER_WORKER`` nowcasts a worker under way, the due
        halls oldest first, each pictured when it is sent: a worker never waits
        for a batch's slowest hall or for the loop, and no picture is older than
        the job ahead of it. The due halls are looked for again every
        :func:`_check_s` (a look costs a few lookups per hall)."""
        settings = self.monitor.settings
        check_s = _check_s(settings.nowcast.every)
        depth = IN_FLIGHT_PER_WORKER * (settings.workers or os.cpu_count() or 1)
        running: set[asyncio.Task[bool]] = set()
        due: deque[str] = deque()
        looked, found_s = -math.inf, 0.0  # the last look, on the monotonic and the wall clock
        try:
            while True:
                try:
                    now = time.monotonic()
                    if now - looked >= check_s:
                        if math.isfinite(looked):  # a busy event loop makes the looks late
                            self._late.add(now - looked - check_s)
                        found_s = time.time()
                        due = deque(self.due_nowcasts(found_s))  # those in flight are pictured
                        looked = now
                    while due and len(running) < depth:
                        nowcast = self.nowcast_hall(due.popleft(), found_s)
                        running.add(asyncio.create_task(nowcast))
                except Exception:
                    log.exception("nowcast refresh failed")
                wait_s = max(0.0, looked + check_s - time.monotonic())
                if running:
                    done, _ = await asyncio.wait(
                        running, timeout=wait_s, return_when=asyncio.FIRST_COMPLETED
                    )
                    running -= done
                else:
                    await asyncio.sleep(wait_s)
        finally:  # stopped: the nowcasts under way go with the loop, not as failures
            for task in running:
                task.cancel()

    def due_nowcasts(self, wall_s: float | None = None) -> list[str]:
        """The open halls whose nowcast is due at the wall time ``wall_s``
        (default: now), oldest first, none with a nowcast under way: those
        without a nowcast of their current day and model in use, and those
        whose nowcast would be ``nowcast.every`` old before a new one could be
        out (the limit less the time between looks, the latest a look came and
        the longest a nowcast took from the look that found it due to its
        publication, a wait for a free worker included, both over the last
        ``nowcast.every``; at most a quarter of the limit), except a hall with
        ``clock: events`` that has not changed since (its nowcast would come
        out the same) and has had an event (before its first its clock is the
        wall clock, which moves on)."""
        monitor = self.monitor
        every = monitor.settings.nowcast.every
        wall_s = time.time() if wall_s is None else wall_s
        # The worst delays of a nowcast's lifetime, not typical ones: a scrape of a
        # province's exposition slows the event loop for seconds every 15 s, and a
        # hall whose nowcast expires then must be sent before it (with the 90th
        # percentile of the last 64 nowcasts the soak's oldest was 61.6 s). A longer
        # lead cannot make a saturated pool's oldest older: the oldest go first, so
        # it is as old as every hall takes to come round, whatever the lead.
        lead_s = min(_check_s(every) + self._late.longest() + self._took.longest(), every / 4)
        due: list[tuple[float, str]] = []
        for hall_id in monitor.hall_ids():
            if hall_id in self._in_flight:
                continue  # one nowcast of a hall at a time, however long it takes
            now_s = monitor.now_s(hall_id)
            if not monitor.is_open(hall_id, now_s):
                continue
            pictured = self._pictured.get(hall_id)
            if (
                pictured is None
                or pictured[2] != monitor.local_day(hall_id, now_s)
                or pictured[3] != monitor.model(hall_id).version
            ):  # none of its day, or of the model it now uses
                due.append((-math.inf, hall_id))
                continue
            taken_s, changed_s, _, _ = pictured
            # a clock: events hall stands still between events, but before its
            # first one its clock is the wall clock (changed_s None), which moves on
            stands_still = changed_s is not None and monitor.changed_s(hall_id) == changed_s
            if monitor.hall(hall_id).clock == "events" and stands_still:
                continue
            if wall_s - taken_s + lead_s >= every:
                due.append((taken_s, hall_id))
        return [hall_id for _, hall_id in sorted(due)]

    async def refresh_nowcasts(self, hall_ids: Iterable[str] | None = None) -> int:
        """Nowcast every open hall of ``hall_ids`` (default: every hall) from
        its live state, all at once; returns how many were done. A hall whose
        nowcast fails is logged and counted; the others are not held up."""
        halls = self.monitor.hall_ids() if hall_ids is None else hall_ids
        return sum(await asyncio.gather(*(self.nowcast_hall(h) for h in halls)))

    async def nowcast_hall(self, hall_id: str, found_s: float | None = None) -> bool:
        """Nowcast the hall from its live state now and publish it, then, when
        it predicts a breach, the call-in advice as an update; False when it
        was not done (closed, closed today by the model's week, or failed:
        logged and counted). ``found_s``: the wall time of the look that found
        the hall due (default: now); the time from it to the publication is
        what the due time reads (:meth:`due_nowcasts`)."""
        self._in_flight.add(hall_id)
        try:
            return await self._nowcast_hall(hall_id, found_s)
        finally:
            self._in_flight.discard(hall_id)

    async def _nowcast_hall(self, hall_id: str, found_s: float | None) -> bool:
        monitor = self.monitor
        conf = monitor.settings.nowcast
        try:
            now_s = monitor.now_s(hall_id)
            if not monitor.is_open(hall_id, now_s):
                return False
            day = monitor.local_day(hall_id, now_s)
            model = monitor.model(hall_id)
            scn = day_scenario(model.scenario, date.fromisoformat(day))
            if scn is None:
                return False  # closed today by the model's week
            drift = monitor.drift(hall_id)
            level = None if drift is None else drift.level
            local_now_s = monitor.local_seconds(hall_id, now_s)
            start = hall_start(monitor.picture(hall_id, now_s), scn, local_now_s, level)
            taken_s = time.time()
            self._pictured[hall_id] = (taken_s, monitor.changed_s(hall_id), day, model.version)
            result = await self.usage.run(
                self._executor(),
                "nowcast",
                nowcast_job,
                scn,
                start,
                conf.replications,
                conf.seed,
                precision_of(conf),
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._failed(hall_id, "nowcast", exc)
            return False
        objective = monitor.hall(hall_id).objective
        shown = published(result, now_s, time.time())
        # from the look that found it due: the wait for a free worker counts too
        self._took.add(time.time() - (taken_s if found_s is None else min(found_s, taken_s)))
        if not advice_needed(result, objective):
            self._advice[hall_id] = NONE_NEEDED
            monitor.publish_nowcast(hall_id, with_call_in(shown, result, NONE_NEEDED))
            return True
        # the nowcast now, with the advice it had; the new advice follows
        monitor.publish_nowcast(hall_id, with_call_in(shown, result, self._advice.get(hall_id)))
        try:
            advice = await self.usage.run(
                self._executor(), "call_in", call_in_job, scn, start, result, conf.seed, objective
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._failed(hall_id, "nowcast", exc)
            return True
        self._advice[hall_id] = advice_now(advice)
        monitor.publish_nowcast(hall_id, with_call_in(shown, result, self._advice[hall_id]))
        return True

    def _failed(self, hall_id: str, job: str, exc: Exception) -> None:
        log.error("%s of hall %s failed: %s", job, hall_id, exc, exc_info=exc)
        self.monitor.count_failure(hall_id, job)


def _check_s(every_s: float) -> float:
    """Seconds between two looks for due nowcasts."""
    return min(NOWCAST_CHECK_S, every_s / 4)
