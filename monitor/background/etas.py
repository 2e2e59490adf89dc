"""Every waiting ticket's predicted call time, simulated on request.

A hall's ETAs (:class:`HallEtas`) come from one simulation of its live state
(:func:`sim.live.eta.call_times`): the same starting point the nowcast takes
(:func:`monitor.background.nowcasting.hall_start`: the waiting tickets, the busy
and open counters, the day's demand level from the drift test), run forward
``eta.replications`` times in the background's pool of simulation processes
(in a thread without one), so the event loop never simulates. One simulation
answers for every ticket of the hall; it is kept until an event changes the
hall, the model in use changes, or it is ``eta.max_age`` old (never, on the
events' clock: nothing ages between events), and concurrent
requests for a hall wait for the same one. A request waits at most
``eta.timeout`` (:class:`~monitor.core.errors.EtaPending`, retried later).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import date

from monitor.background.nowcasting import hall_start
from monitor.background.usage import PoolUsage
from monitor.core.errors import EtaFailed, EtaPending, TicketNotFound
from monitor.core.monitor import Monitor
from monitor.core.snapshot import QueuePicture, TicketNow
from sim.live.eta import CallTimes, TicketEta, call_times, ticket_eta
from sim.live.warmstart import HallStart
from sim.model.days import day_scenario
from sim.model.scenario import Scenario

log = logging.getLogger("hallmon")
ETA_RETRY_S = 5
Key = tuple[float | None, int, str]  # the hall's last change, its model version, its day


@dataclass(frozen=True)
class HallEtas:
    """A hall's waiting tickets ``ids`` and their simulated call times, from its
    state at ``as_of_s`` (Unix seconds; ``times.now_s`` on the hall's local
    clock), computed at the wall time ``computed_at_s``."""

    key: Key
    as_of_s: float
    computed_at_s: float
    ids: tuple[str, ...]
    times: CallTimes

    def unix_s(self, hall_clock_s: float) -> float:
        """Unix seconds of a time on the hall's local clock (seconds after midnight)."""
        return self.as_of_s + (hall_clock_s - self.times.now_s)

    def eta(self, ticket: str) -> TicketEta | None:
        """The ticket's prediction (None: it was not waiting in this state)."""
        try:
            return ticket_eta(self.times, self.ids.index(ticket))
        except ValueError:
            return None


@dataclass(frozen=True)
class EtaAnswer:
    """A ticket as it is now and, while it waits, its prediction (``why``
    says why there is none: the model does not know its service, the hall is
    closed today)."""

    ticket: TicketNow
    etas: HallEtas | None = None
    eta: TicketEta | None = None
    why: str | None = None


def eta_job(scn: Scenario, start: HallStart, replications: int, seed: int) -> CallTimes:
    """The simulation a hall's ETAs come from (run in a worker process)."""
    return call_times(scn, start, replications=replications, seed=seed)


def known_waiting(picture: QueuePicture, scn: Scenario) -> tuple[str, ...]:
    """The waiting tickets :func:`hall_start` keeps (services and segments the
    model knows), in its order."""
    return tuple(
        ticket
        for (svc, seg, _), ticket in zip(picture.waiting, picture.waiting_ids, strict=True)
        if svc in scn.services and seg in scn.segments
    )


class Etas:
    """The ETAs of one :class:`Monitor`'s halls, computed on ``executor()``
    (None: a thread of its own) and counted by hall and result."""

    def __init__(
        self,
        monitor: Monitor,
        executor: Callable[[], Executor] | None = None,
        usage: PoolUsage | None = None,
    ) -> None:
        self.monitor = monitor
        self._executor = executor
        self._usage = PoolUsage() if usage is None else usage
        self._held: dict[str, HallEtas] = {}
        self._running: dict[str, tuple[Key, asyncio.Task[HallEtas]]] = {}
        self.requests: dict[tuple[str, str], int] = {}  # (hall, result) -> requests
        self.simulations: dict[str, int] = {}  # hall -> simulations run

    def count(self, hall_id: str, result: str) -> None:
        key = (hall_id, result)
        self.requests[key] = self.requests.get(key, 0) + 1

    def _key(self, hall_id: str, now_s: float) -> Key:
        monitor = self.monitor
        version = monitor.model(hall_id).version
        return (monitor.changed_s(hall_id), version, monitor.local_day(hall_id, now_s))

    async def hall_etas(self, hall_id: str) -> HallEtas | None:
        """The hall's ETAs of its current state (None: closed today by its
        model's week); simulated when none is held for it, waiting at most
        ``eta.timeout``."""
        monitor = self.monitor
        now_s = monitor.now_s(hall_id)
        key = self._key(hall_id, now_s)
        held = self._held.get(hall_id)
        max_age_s = monitor.settings.eta.max_age
        # on the events' clock nothing ages between events: the same state would
        # simulate to the same answer (as the nowcast loop skips such halls)
        fresh = held is not None and (
            monitor.hall(hall_id).clock == "events" or time.time() - held.computed_at_s < max_age_s
        )
        if held is not None and fresh and held.key == key:
            return held
        today = date.fromisoformat(monitor.local_day(hall_id, now_s))
        scn = day_scenario(monitor.model(hall_id).scenario, today)
        if scn is None:
            return None
        running = self._running.get(hall_id)
        if running is None or running[0] != key or running[1].done():
            task = asyncio.create_task(self._simulate(hall_id, scn, now_s, key))
            running = (key, task)
            self._running[hall_id] = running
        try:
            return await asyncio.wait_for(asyncio.shield(running[1]), monitor.settings.eta.timeout)
        except TimeoutError:
            raise EtaPending(
                f"the ETAs of hall {hall_id} are being simulated", retry_after_s=ETA_RETRY_S
            ) from None
        except Exception as exc:  # a failed simulation must not fail the request with a 500
            log.error("ETA simulation of hall %s failed: %s", hall_id, exc, exc_info=exc)
            raise EtaFailed(
                f"the ETAs of hall {hall_id} could not be simulated: {exc}",
                retry_after_s=ETA_RETRY_S,
            ) from None

    async def _simulate(self, hall_id: str, scn: Scenario, now_s: float, key: Key) -> HallEtas:
        monitor = self.monitor
        conf = monitor.settings.eta
        picture = monitor.picture(hall_id, now_s)
        drift = monitor.drift(hall_id)
        level = None if drift is None else drift.level
        start = hall_start(picture, scn, monitor.local_seconds(hall_id, now_s), level)
        args = (scn, start, conf.replications, conf.seed)
        if self._executor is None:
            times = await asyncio.to_thread(eta_job, *args)
        else:
            times = await self._usage.run(self._executor(), "eta", eta_job, *args)
        self.simulations[hall_id] = self.simulations.get(hall_id, 0) + 1
        etas = HallEtas(key, now_s, time.time(), known_waiting(picture, scn), times)
        self._held[hall_id] = etas
        return etas

    async def answer(self, hall_id: str, ticket: str) -> EtaAnswer:
        """The ticket now and, if it waits, its prediction;
        :class:`TicketNotFound` for a ticket not issued today."""
        found = self.monitor.ticket(hall_id, ticket)
        if found is None:
            raise TicketNotFound(f"hall {hall_id} has no ticket {ticket!r} today")
        if found.state != "waiting":
            return EtaAnswer(found)
        etas = await self.hall_etas(hall_id)
        if etas is None:
            return EtaAnswer(found, why="the hall is closed today by its model's week")
        eta = etas.eta(ticket)
        if eta is None:
            why = f"the hall's model has no service {found.service!r} or segment {found.segment!r}"
            return EtaAnswer(found, etas, why=why)
        return EtaAnswer(found, etas, eta)
