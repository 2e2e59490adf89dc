"""The exporter's core, apart from HTTP: authentication, durable ingest, the
live state of every hall and what each scrape publishes.

:class:`Monitor` owns the event store and one :class:`HallState` per hall. An
ingested batch is stored (and committed) first, then applied to the live state,
so whatever was acknowledged is in the store, and :meth:`Monitor.open` rebuilds
the state of each hall's current day from the store after a restart.

Events dated more than ``future_slack`` ahead of the wall clock are stored but
quarantined: never applied, so they move no clock and no day, and listed by
:meth:`Monitor.quarantined`. A batch the store cannot take is refused
(:class:`~monitor.core.errors.StorageUnavailable`: nothing stored, the client
sends it again), and the monitor is not ready until a write succeeds again.
What the exporter refuses, it refuses with a domain error of
:mod:`monitor.core.errors`; the HTTP edge gives each its status.
"""

from __future__ import annotations

import math
import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from monitor.core.batches import BatchInvalid, other_halls, parse_batch, to_rows
from monitor.core.config import Hall, Settings, token_hash
from monitor.core.errors import (
    Forbidden,
    HallNotServed,
    InvalidEvents,
    NotAuthenticated,
    StorageUnavailable,
)
from monitor.core.plan import HallPlan
from monitor.core.snapshot import (
    BACKGROUND_JOBS,
    INGEST_RESULTS,
    ForecastNow,
    HallView,
    NowcastNow,
    QueuePicture,
)
from monitor.core.state import HallState
from monitor.core.store import EventStore, Row
from sim.eventlog.events import Event

if TYPE_CHECKING:
    from sim.live.forecast import DayForecast

DayForecastOf = tuple[str, "DayForecast"]  # (the local day, its forecast)


@dataclass(frozen=True, slots=True)
class Ingested:
    accepted: int  # stored and applied
    duplicates: int  # stored before
    quarantined: int = 0  # stored, dated too far ahead: not applied


@dataclass(frozen=True, slots=True)
class Readiness:
    """Whether the exporter can take events, and what it has published."""

    ready: bool  # the store is open, every hall rebuilt, and writes succeed
    halls: int
    forecasts: int  # halls with today's forecast
    nowcasts: int  # halls with a nowcast
    store_error: str | None  # why the last write failed, until one succeeds


STORE_RETRY_S = 5  # Retry-After of a batch the store could not take
_PROBE_EVERY_S = 1.0  # while writes fail, /readyz tries one at most this often


class Monitor:
    """Every configured hall's state, store and published numbers. Its state
    changes only through its methods: ingest (:meth:`receive`, :meth:`ingest`),
    the background's publications (:meth:`publish_forecasts`,
    :meth:`publish_nowcast`, :meth:`count_failure`) and the life cycle."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._halls: dict[str, Hall] = {h.id: h for h in settings.halls}
        self._states = {
            h.id: HallState(
                h,
                future_slack_s=settings.future_slack,
                max_label_values=settings.max_label_values,
            )
            for h in settings.halls
        }
        self._plans = {h.id: HallPlan(h.scenario, h.roster) for h in settings.halls}
        self._by_token = {h.token_sha256: h.id for h in settings.halls}
        self._store: EventStore | None = None
        self._ingested = {h.id: dict.fromkeys(INGEST_RESULTS, 0) for h in settings.halls}
        self._failures = {h.id: dict.fromkeys(BACKGROUND_JOBS, 0) for h in settings.halls}
        self._forecasts: dict[str, DayForecastOf] = {}  # hall -> its local day's
        self._forecast_ahead: dict[str, DayForecastOf] = {}  # hall -> the next day's
        self._nowcasts: dict[str, NowcastNow] = {}
        self._ready = False
        self._write_error: str | None = None  # why the last write failed, until one succeeds
        self._failed_s = self._probed_s = float("-inf")  # time.monotonic() of each
        self._count_lock = threading.Lock()

    # -- life cycle -----------------------------------------------------------
    def open(self) -> None:
        """Open the store and rebuild every hall's current day from it. Stored
        events dated too far ahead (by a ticket system's wrong clock, or stored
        by a version without quarantine) are quarantined first."""
        self._store = store = EventStore(self.settings.store, self.settings.synchronous)
        for hall_id, state in self._states.items():
            limit_us = state.future_limit_us()
            store.quarantine_after(hall_id, limit_us, state.local_day(limit_us / 1e6))
            self._rebuild(hall_id, state)
        self._ready = True

    def _rebuild(self, hall_id: str, state: HallState) -> None:
        """Apply the stored events of the hall's current day to ``state``: the
        latest day with applicable (not quarantined) events (event clock), or
        today and, within the future slack of midnight, tomorrow (wall clock).
        The hall's last event is the latest applicable one."""
        assert self._store is not None
        found = self._store.latest_applied(hall_id)
        if found is None:
            return
        latest, last_us = found
        if state.events_clock:
            days = [latest]
        else:
            now_s = state.now_s()
            days = sorted({state.local_day(now_s), state.local_day(now_s + state.future_slack_s)})
        for day in days:
            state.apply(self._store.day_rows(hall_id, day))
        if state.last_event_us is None:  # a new day: nothing to count yet, but its time is known
            state.last_event_us = last_us

    def close(self) -> None:
        self._ready = False
        if self._store is not None:
            self._store.close()
            self._store = None

    def _opened(self) -> EventStore:
        assert self._store is not None, "the monitor is not open"
        return self._store

    # -- the halls served ------------------------------------------------------
    def hall_ids(self) -> list[str]:
        """The halls served here, in configuration order."""
        return list(self._halls)

    def halls(self) -> list[Hall]:
        return list(self._halls.values())

    def hall(self, hall_id: str) -> Hall:
        """The configured hall; :class:`HallNotServed` when not served here."""
        hall = self._halls.get(hall_id)
        if hall is None:
            raise HallNotServed(f"hall {hall_id!r} is not served here")
        return hall

    def zone(self, hall_id: str) -> ZoneInfo:
        """The hall's time zone."""
        return self._states[hall_id].zone

    def now_s(self, hall_id: str) -> float:
        """The hall's clock (Unix seconds): the wall clock, or with ``clock:
        events`` its latest event."""
        return self._states[hall_id].now_s()

    def local_day(self, hall_id: str, unix_s: float) -> str:
        """The hall's local date (ISO) at ``unix_s``."""
        return self._states[hall_id].local_day(unix_s)

    def local_seconds(self, hall_id: str, unix_s: float) -> float:
        """Seconds after the hall's local midnight at ``unix_s``."""
        return self._states[hall_id].local_seconds(unix_s)

    def day(self, hall_id: str) -> str:
        """The local date (ISO) of the hall's current day."""
        return self._states[hall_id].snapshot().day

    def is_open(self, hall_id: str, now_s: float) -> bool:
        """Whether the hall is open at ``now_s`` by its scenario's hours."""
        return self._states[hall_id].is_open(now_s)

    def picture(self, hall_id: str, now_s: float) -> QueuePicture:
        """The hall's queue at ``now_s``, as the nowcast starts from it."""
        return self._states[hall_id].picture(now_s)

    def authenticate(self, authorization: str | None, hall_id: str) -> Hall:
        """The hall a request may post to: else :class:`NotAuthenticated` (no or
        unknown token), :class:`HallNotServed` or :class:`Forbidden` (another
        hall's token)."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated("missing bearer token (Authorization: Bearer <token>)")
        # a dict lookup of the token's SHA-256: timing can reveal at most bits of
        # a digest, which say nothing about the token
        owner = self._by_token.get(token_hash(token.strip()))
        if owner is None:
            raise NotAuthenticated("unknown token")
        hall = self.hall(hall_id)
        if owner != hall_id:
            raise Forbidden(f"this token may not post events for hall {hall_id!r}")
        return hall

    # -- ingest ---------------------------------------------------------------
    def count(self, hall_id: str, result: str, n: int) -> None:
        """Count ``n`` ingested events of ``result`` (one of INGEST_RESULTS)."""
        with self._count_lock:
            self._ingested[hall_id][result] += n

    def count_failure(self, hall_id: str, job: str) -> None:
        """Count one failed background ``job`` (one of BACKGROUND_JOBS) of the hall."""
        with self._count_lock:
            self._failures[hall_id][job] += 1

    def receive(self, hall: Hall, body: bytes, content_type: str) -> Ingested:
        """Parse, validate, store and apply one request body:
        :class:`InvalidEvents` listing every bad event, :class:`Forbidden` for
        events of another hall; nothing is stored unless all is well."""
        try:
            events = parse_batch(body, content_type)
        except BatchInvalid as exc:
            self.count(hall.id, "rejected", exc.size)
            raise InvalidEvents(exc.errors) from None
        return self.ingest(hall, events)

    def ingest(self, hall: Hall, events: Sequence[Event]) -> Ingested:
        """Store a validated batch, then apply the new events; :class:`Forbidden`
        if an event names another hall, :class:`StorageUnavailable` if the store
        cannot take it (nothing stored either way)."""
        wrong = other_halls(events, hall.id)
        if wrong:
            self.count(hall.id, "rejected", len(events))
            raise Forbidden(wrong)
        store = self._opened()
        state = self._states[hall.id]
        rows = to_rows(events, state.days)
        future_us = state.future_limit_us()
        try:
            fresh = store.append(hall.id, rows, future_us)
        except sqlite3.Error as exc:
            self.count(hall.id, "error", len(rows))
            self._write_error = str(exc)
            self._failed_s = time.monotonic()
            raise StorageUnavailable(
                f"the event store cannot take the batch ({exc}); nothing was stored, "
                "send it again later",
                retry_after_s=STORE_RETRY_S,
            ) from exc
        self._write_error = None
        applied = [r for r in fresh if r.ts_us <= future_us]
        state.apply(applied)
        duplicates = len(rows) - len(fresh)
        quarantined = len(fresh) - len(applied)
        self.count(hall.id, "accepted", len(applied))
        self.count(hall.id, "duplicate", duplicates)
        if quarantined:
            self.count(hall.id, "future", quarantined)
        return Ingested(len(applied), duplicates, quarantined)

    def writable(self) -> bool:
        """Whether the store takes writes: not after a failed write until a
        write succeeds again, an ingested batch or, once no batch has failed for
        :data:`STORE_RETRY_S`, a probe write (at most one a second)."""
        if self._write_error is None:
            return True
        now = time.monotonic()
        if self._store is None or now - self._failed_s < STORE_RETRY_S:
            return False  # batches are failing now: a small probe would say little
        if now - self._probed_s < _PROBE_EVERY_S:
            return False
        self._probed_s = now
        try:
            self._store.probe()
        except sqlite3.Error as exc:
            self._write_error = str(exc)
            return False
        self._write_error = None
        return True

    @property
    def ready(self) -> bool:
        """The store is open and every hall's day rebuilt."""
        return self._ready

    @property
    def write_error(self) -> str | None:
        """Why the last write failed, until one succeeds (None: writes succeed)."""
        return self._write_error

    def readiness(self) -> Readiness:
        """Ready once open, while the store takes writes; with what is published."""
        ready = self._ready and self.writable()
        return Readiness(
            ready=ready,
            halls=len(self._halls),
            forecasts=sum(1 for h in self._halls if h in self._forecasts),
            nowcasts=len(self._nowcasts),
            store_error=self._write_error,
        )

    def stored(self, hall_id: str | None = None) -> int:
        """Events in the store (of ``hall_id``, or of every hall), quarantined too."""
        return self._opened().count(hall_id)

    def quarantined(self, hall_id: str, limit: int) -> tuple[int, list[tuple[Row, int]]]:
        """The hall's quarantined events: how many, and the latest ``limit`` with
        the Unix microseconds each was quarantined."""
        return self._opened().quarantined(hall_id, limit)

    # -- publishing -----------------------------------------------------------
    def held_forecasts(self, hall_id: str) -> list[DayForecastOf]:
        """The forecasts the hall holds: of its local day and of the next day."""
        return [f for f in (self._forecasts.get(hall_id), self._forecast_ahead.get(hall_id)) if f]

    def publish_forecasts(
        self, hall_id: str, today: DayForecastOf | None, ahead: DayForecastOf | None
    ) -> None:
        """Publish the forecast of the hall's local day and of the next day
        (None: keep the one held)."""
        if today is not None:
            self._forecasts[hall_id] = today
        if ahead is not None:
            self._forecast_ahead[hall_id] = ahead

    def publish_nowcast(self, hall_id: str, nowcast: NowcastNow) -> None:
        """Publish the hall's latest nowcast."""
        self._nowcasts[hall_id] = nowcast

    def published_version(self) -> tuple[int, ...]:
        """Changes when a forecast or nowcast is published (a new scrape must show
        it; live counts may be a second old)."""
        return (*map(id, self._forecasts.values()), -1, *map(id, self._nowcasts.values()))

    def current_forecast(self, hall_id: str, day: str) -> DayForecast | None:
        """The hall's forecast of the local ``day``; None while there is none
        (not computed yet, or the ones held, today's and the next day's, are of
        other days)."""
        for held_day, forecast in self.held_forecasts(hall_id):
            if held_day == day:
                return forecast
        return None

    def forecast_now(self, hall_id: str, now_s: float, day: str) -> ForecastNow | None:
        """The day forecast read at ``now_s``, when there is one for ``day``."""
        forecast = self.current_forecast(hall_id, day)
        if forecast is None:
            return None
        i = forecast.interval_index(self._states[hall_id].local_seconds(now_s))
        if i is None:
            return None

        def finite(grid: tuple[tuple[float, ...], ...]) -> dict[str, float]:
            row = grid[i]
            return {svc: row[j] for j, svc in enumerate(forecast.services) if math.isfinite(row[j])}

        return ForecastNow(
            queue_length=dict(zip(forecast.services, forecast.queue[i], strict=True)),
            wait_s=finite(forecast.wait_s),
            arrivals_per_hour=dict(
                zip(forecast.services, forecast.arrivals_per_hour[i], strict=True)
            ),
            queue_length_half=finite(forecast.queue_half),
            wait_half_s=finite(forecast.wait_half_s),
            arrivals_per_hour_half=finite(forecast.arrivals_half),
        )

    def view(self, hall_id: str, *, tickets: bool = False) -> HallView:
        """What is published of the hall now (``tickets``: with today's tickets,
        for the JSON views that need them)."""
        state = self._states[hall_id]
        live = state.snapshot(tickets=tickets)
        nowcast = self._nowcasts.get(hall_id)
        if nowcast is not None and state.local_day(nowcast.computed_s) != live.day:
            nowcast = None
        with self._count_lock:
            ingested = dict(self._ingested[hall_id])
            failures = dict(self._failures[hall_id])
        return HallView(
            info=state.info,
            live=live,
            forecast=self.forecast_now(hall_id, live.now_s, live.day),
            nowcast=nowcast if live.open else None,
            ingested=ingested,
            failures=failures,
            overflow=state.overflow_counts(),
            planned=self._plans[hall_id].at(
                date.fromisoformat(live.day), state.local_seconds(live.now_s)
            ),
        )

    def views(self) -> list[HallView]:
        return [self.view(hall_id) for hall_id in self._states]
