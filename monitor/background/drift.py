"""The drift test of every open hall's live stream against its model in use
(:mod:`sim.live.drift`), every ``drift.every`` seconds, published through
:meth:`Monitor.publish_drift` for the metrics, ``/model``, the page and the
nowcast's demand level.

A day's reference (its 5-minute bins, expected tickets and thresholds) is
computed once per model version and day plan in the worker pool (its
arrivals threshold is calibrated on simulated days, about half a second); the
test itself reads the day's tickets from the live state and takes a few
milliseconds, in a thread, so the event loop stays free for ingest.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import numpy as np

from monitor.background.rounds import every
from monitor.core.monitor import Monitor
from monitor.core.observed import Observed
from sim.live.drift import DayObservations, DriftReference, HallDrift, day_drift, drift_reference
from sim.live.forecast import forecast_key
from sim.model.days import day_scenario
from sim.model.scenario import Scenario

log = logging.getLogger("hallmon")
REFERENCES_KEPT = 8  # per hall: day plans × model versions


def local_observations(seen: Observed, day: date, zone: ZoneInfo) -> DayObservations:
    """The day's tickets in seconds after the hall's local midnight."""
    midnight = datetime.combine(day, time(), tzinfo=zone).timestamp()

    def local(values: tuple[float, ...]) -> np.ndarray:
        return np.asarray(values, dtype=float) - midnight

    return DayObservations(
        issued_s=local(seen.issued_s),
        served_end_s=local(seen.served_end_s),
        served_service=seen.served_service,
        served_counter=seen.served_counter,
        served_duration_s=np.asarray(seen.served_duration_s, dtype=float),
        call_known_s=local(seen.call_known_s),
        call_segment=seen.call_segment,
        call_waited_s=np.asarray(seen.call_waited_s, dtype=float),
        call_no_show=np.asarray(seen.call_no_show, dtype=bool),
    )


def _reference_job(scn: Scenario, alpha: float) -> DriftReference:
    return drift_reference(scn, alpha)


class DriftWatch:
    """The drift loop of one :class:`Monitor`, on the executor ``pool()`` gives."""

    def __init__(self, monitor: Monitor, pool: Callable[[], Executor]) -> None:
        self.monitor = monitor
        self._pool = pool
        self._references: dict[str, dict[tuple[int, str], DriftReference]] = {}

    async def loop(self) -> None:
        await every(self.monitor.settings.drift.every, self.refresh, "drift refresh failed", log)

    async def _reference(self, hall_id: str, scn: Scenario, day: str) -> DriftReference | None:
        """The day's reference (None: the hall is closed that day)."""
        model = self.monitor.model(hall_id)
        key = (model.version, forecast_key(model.scenario, day))
        held = self._references.setdefault(hall_id, {})
        found = held.get(key)
        if found is not None:
            return found
        one_day = day_scenario(scn, date.fromisoformat(day))
        if one_day is None or one_day.stationary:
            return None
        alpha = self.monitor.settings.drift.false_alarm
        loop = asyncio.get_running_loop()
        found = await loop.run_in_executor(self._pool(), _reference_job, one_day, alpha)
        if len(held) >= REFERENCES_KEPT:
            del held[next(iter(held))]
        held[key] = found
        return found

    async def refresh(self) -> int:
        """Test every open hall's day so far; returns how many were tested. A
        hall whose test fails is logged and counted; the others go on."""
        monitor = self.monitor
        done = 0
        for hall_id in monitor.hall_ids():
            try:
                now_s = monitor.now_s(hall_id)
                if not monitor.is_open(hall_id, now_s):
                    continue
                day = monitor.local_day(hall_id, now_s)
                ref = await self._reference(hall_id, monitor.model(hall_id).scenario, day)
                if ref is None:
                    continue
                result = await asyncio.to_thread(self._test, hall_id, ref, now_s)
            except Exception as exc:
                log.error("drift of hall %s failed: %s", hall_id, exc, exc_info=exc)
                monitor.count_failure(hall_id, "drift")
                continue
            if result is not None:
                monitor.publish_drift(hall_id, result)
                done += 1
        return done

    def _test(self, hall_id: str, ref: DriftReference, now_s: float) -> HallDrift | None:
        monitor = self.monitor
        day, seen = monitor.observations(hall_id, now_s)
        if day != monitor.local_day(hall_id, now_s):
            return None  # the state is of another day (a clock between days)
        observations = local_observations(seen, date.fromisoformat(day), monitor.zone(hall_id))
        local_now_s = monitor.local_seconds(hall_id, now_s)
        return day_drift(ref, observations, local_now_s, day=day, as_of_s=now_s)
