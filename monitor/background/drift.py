"""The drift test of every open hall's live stream against its model in use
(:mod:`sim.live.drift`), every ``drift.every`` seconds, published through
:meth:`Monitor.publish_drift` for the metrics, ``/model``, the page and the
nowcast's demand level.

A day's reference (its 5-minute bins, expected tickets and thresholds) is
computed once per model version and day plan in the worker pool (its
arrivals threshold is calibrated on simulated days, under a tenth of a
second), and once for all the halls whose day is the same model but for the
hall's id, name and time zone (:func:`reference_key`): a province of halls
started from one template scenario computes one reference a day plan, not
one a hall. The test itself reads the day's tickets from the live state and
takes a few milliseconds, in a thread, so the event loop stays free for
ingest.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import replace
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import numpy as np

from monitor.background.rounds import every
from monitor.background.usage import PoolUsage
from monitor.core.localdays import next_day
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


def reference_key(one_day: Scenario) -> str:
    """A digest of everything a day's reference depends on: the one-day
    scenario but its hall's id, display name and time zone (the reference
    reads local seconds after midnight, never a date or an instant)."""
    text = one_day.model_dump_json(exclude={"hall", "name", "timezone"})
    return hashlib.sha256(text.encode()).hexdigest()


class DriftWatch:
    """The drift loop of one :class:`Monitor`, on the executor ``pool()`` gives."""

    def __init__(
        self, monitor: Monitor, pool: Callable[[], Executor], usage: PoolUsage | None = None
    ) -> None:
        self.monitor = monitor
        self._pool = pool
        self._usage = PoolUsage() if usage is None else usage
        self._references: dict[str, dict[tuple[int, str], DriftReference]] = {}
        # by reference_key, the latest first out: as many as the halls may hold
        self._shared: OrderedDict[str, DriftReference] = OrderedDict()

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
        shared = await self._shared_reference(one_day)
        found = replace(shared, scenario=one_day)  # the hall's own, the same but for its names
        if len(held) >= REFERENCES_KEPT:
            del held[next(iter(held))]
        held[key] = found
        return found

    async def _shared_reference(self, one_day: Scenario) -> DriftReference:
        """The reference of ``one_day`` or of a hall's day the same but for its
        names (:func:`reference_key`), computed in the pool when none is held."""
        key = reference_key(one_day)
        found = self._shared.get(key)
        if found is not None:
            self._shared.move_to_end(key)
            return found
        alpha = self.monitor.settings.drift.false_alarm
        found = await self._usage.run(self._pool(), "drift", _reference_job, one_day, alpha)
        self._shared[key] = found
        while len(self._shared) > REFERENCES_KEPT * max(1, len(self.monitor.hall_ids())):
            self._shared.popitem(last=False)
        return found

    async def refresh(self) -> int:
        """Test every open hall's day so far; returns how many were tested. A
        hall whose test fails is logged and counted; the others go on. A hall
        closed now gets the references of its day and the next day computed
        ahead, so that they are in place when it opens (:meth:`_ahead`)."""
        monitor = self.monitor
        done = 0
        for hall_id in monitor.hall_ids():
            try:
                now_s = monitor.now_s(hall_id)
                day = monitor.local_day(hall_id, now_s)
                if not monitor.is_open(hall_id, now_s):
                    await self._ahead(hall_id, day)
                    continue
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

    async def _ahead(self, hall_id: str, day: str) -> None:
        """The references of a closed hall's local ``day`` and the next day
        with its model in use. At night every hall is closed and the pool has
        no nowcast to run: the references of the coming day (and of a model
        adopted overnight) are computed then, one at a time, not at opening,
        when every hall would need its own at once while the nowcasts start
        (a province of halls with models of their own: some 2,000 references
        of up to a tenth of a second each)."""
        scn = self.monitor.model(hall_id).scenario
        for one in (day, next_day(day)):
            await self._reference(hall_id, scn, one)

    def _test(self, hall_id: str, ref: DriftReference, now_s: float) -> HallDrift | None:
        monitor = self.monitor
        day, seen = monitor.observations(hall_id, now_s)
        if day != monitor.local_day(hall_id, now_s):
            return None  # the state is of another day (a clock between days)
        observations = local_observations(seen, date.fromisoformat(day), monitor.zone(hall_id))
        local_now_s = monitor.local_seconds(hall_id, now_s)
        return day_drift(ref, observations, local_now_s, day=day, as_of_s=now_s)
