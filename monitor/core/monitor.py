"""The exporter's core, apart from HTTP: authentication, durable ingest, the
live state of every hall and what each scrape publishes.

:class:`Monitor` owns the event store and one :class:`HallState` per hall. An
ingested batch is stored (and committed) first, then applied to the live state,
so whatever was acknowledged is in the store, and :meth:`Monitor.open` rebuilds
the state of each hall's current day from the store after a restart.

Events dated more than ``future_slack`` ahead of the wall clock are stored but
quarantined: never applied, so they move no clock and no day, and listed by
:meth:`Monitor.quarantined`. A batch the store cannot take is a 503 (nothing
stored, the client sends it again), and the monitor is not ready until a write
succeeds again.
"""

from __future__ import annotations

import math
import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from monitor.core.batches import BatchInvalid, other_halls, parse_batch, to_rows
from monitor.core.config import Hall, Settings, token_hash
from monitor.core.snapshot import BACKGROUND_JOBS, INGEST_RESULTS, ForecastNow, HallView, NowcastNow
from monitor.core.state import HallState
from monitor.core.store import EventStore, Row
from sim.eventlog.events import Event

if TYPE_CHECKING:
    from sim.live.forecast import DayForecast


class ApiError(Exception):
    """A request the exporter refuses: an HTTP status and the reason."""

    def __init__(self, status: int, detail: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status}: {detail}")
        self.status, self.detail, self.headers = status, detail, headers


@dataclass(frozen=True, slots=True)
class Ingested:
    accepted: int  # stored and applied
    duplicates: int  # stored before
    quarantined: int = 0  # stored, dated too far ahead: not applied


STORE_RETRY_S = 5  # Retry-After of a batch the store could not take
_PROBE_EVERY_S = 1.0  # while writes fail, /readyz tries one at most this often


class Monitor:
    """Every configured hall's state, store and published numbers."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.halls: dict[str, Hall] = {h.id: h for h in settings.halls}
        self.states = {
            h.id: HallState(
                h,
                future_slack_s=settings.future_slack,
                max_label_values=settings.max_label_values,
            )
            for h in settings.halls
        }
        self._by_token = {h.token_sha256: h.id for h in settings.halls}
        self.store: EventStore | None = None
        self.ingested = {h.id: dict.fromkeys(INGEST_RESULTS, 0) for h in settings.halls}
        self.failures = {h.id: dict.fromkeys(BACKGROUND_JOBS, 0) for h in settings.halls}
        self.forecasts: dict[str, tuple[str, DayForecast]] = {}  # hall -> (local day, DayForecast)
        # hall -> (the next local day, its forecast), computed ahead for a new day
        self.forecast_ahead: dict[str, tuple[str, DayForecast]] = {}
        self.nowcasts: dict[str, NowcastNow] = {}
        self.ready = False
        self.write_error: str | None = None  # why the last write failed, until one succeeds
        self._failed_s = self._probed_s = float("-inf")  # time.monotonic() of each
        self._count_lock = threading.Lock()

    # -- life cycle -----------------------------------------------------------
    def open(self) -> None:
        """Open the store and rebuild every hall's current day from it. Stored
        events dated too far ahead (by a ticket system's wrong clock, or stored
        by a version without quarantine) are quarantined first."""
        self.store = EventStore(self.settings.store, self.settings.synchronous)
        for hall_id, state in self.states.items():
            limit_us = state.future_limit_us()
            self.store.quarantine_after(hall_id, limit_us, state.local_day(limit_us / 1e6))
            self.rebuild(hall_id, state)
        self.ready = True

    def rebuild(self, hall_id: str, state: HallState) -> None:
        """Apply the stored events of the hall's current day to ``state``: the
        latest day with applicable (not quarantined) events (event clock), or
        today and, within the future slack of midnight, tomorrow (wall clock).
        The hall's last event is the latest applicable one."""
        assert self.store is not None
        found = self.store.latest_applied(hall_id)
        if found is None:
            return
        latest, last_us = found
        if state.events_clock:
            days = [latest]
        else:
            now_s = state.now_s()
            days = sorted({state.local_day(now_s), state.local_day(now_s + state.future_slack_s)})
        for day in days:
            state.apply(self.store.day_rows(hall_id, day))
        if state.last_event_us is None:  # a new day: nothing to count yet, but its time is known
            state.last_event_us = last_us

    def close(self) -> None:
        self.ready = False
        if self.store is not None:
            self.store.close()
            self.store = None

    # -- ingest ---------------------------------------------------------------
    def hall(self, hall_id: str) -> Hall:
        hall = self.halls.get(hall_id)
        if hall is None:
            raise ApiError(404, f"hall {hall_id!r} is not served here")
        return hall

    def authenticate(self, authorization: str | None, hall_id: str) -> Hall:
        """The hall a request may post to, or 401 (no or unknown token), 404
        (unknown hall) or 403 (another hall's token)."""
        challenge = {"WWW-Authenticate": "Bearer"}
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "missing bearer token (Authorization: Bearer <token>)", challenge)
        # a dict lookup of the token's SHA-256: timing can reveal at most bits of
        # a digest, which say nothing about the token
        owner = self._by_token.get(token_hash(token.strip()))
        if owner is None:
            raise ApiError(401, "unknown token", challenge)
        hall = self.hall(hall_id)
        if owner != hall_id:
            raise ApiError(403, f"this token may not post events for hall {hall_id!r}")
        return hall

    def count(self, hall_id: str, result: str, n: int) -> None:
        """Count ``n`` ingested events of ``result`` (one of INGEST_RESULTS)."""
        with self._count_lock:
            self.ingested[hall_id][result] += n

    def count_failure(self, hall_id: str, job: str) -> None:
        """Count one failed background ``job`` (one of BACKGROUND_JOBS) of the hall."""
        with self._count_lock:
            self.failures[hall_id][job] += 1

    def receive(self, hall: Hall, body: bytes, content_type: str) -> Ingested:
        """Parse, validate, store and apply one request body: 422 listing every
        bad event, 403 for events of another hall; nothing is stored unless all
        is well."""
        try:
            events = parse_batch(body, content_type)
        except BatchInvalid as exc:
            self.count(hall.id, "rejected", exc.size)
            raise ApiError(422, exc.errors) from None
        return self.ingest(hall, events)

    def ingest(self, hall: Hall, events: Sequence[Event]) -> Ingested:
        """Store a validated batch, then apply the new events; 403 if an event
        names another hall (nothing stored)."""
        wrong = other_halls(events, hall.id)
        if wrong:
            self.count(hall.id, "rejected", len(events))
            raise ApiError(403, wrong)
        assert self.store is not None, "the monitor is not open"
        state = self.states[hall.id]
        rows = to_rows(events, state.days)
        future_us = state.future_limit_us()
        try:
            fresh = self.store.append(hall.id, rows, future_us)
        except sqlite3.Error as exc:
            self.count(hall.id, "error", len(rows))
            self.write_error = str(exc)
            self._failed_s = time.monotonic()
            raise ApiError(
                503,
                f"the event store cannot take the batch ({exc}); nothing was stored, "
                "send it again later",
                {"Retry-After": str(STORE_RETRY_S)},
            ) from exc
        self.write_error = None
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
        if self.write_error is None:
            return True
        now = time.monotonic()
        if self.store is None or now - self._failed_s < STORE_RETRY_S:
            return False  # batches are failing now: a small probe would say little
        if now - self._probed_s < _PROBE_EVERY_S:
            return False
        self._probed_s = now
        try:
            self.store.probe()
        except sqlite3.Error as exc:
            self.write_error = str(exc)
            return False
        self.write_error = None
        return True

    def quarantined(self, hall_id: str, limit: int) -> tuple[int, list[tuple[Row, int]]]:
        """The hall's quarantined events: how many, and the latest ``limit`` with
        the Unix microseconds each was quarantined."""
        assert self.store is not None, "the monitor is not open"
        return self.store.quarantined(hall_id, limit)

    # -- publishing -----------------------------------------------------------
    def published_version(self) -> tuple[int, ...]:
        """Changes when a forecast or nowcast is published (a new scrape must show
        it; live counts may be a second old)."""
        return (*map(id, self.forecasts.values()), -1, *map(id, self.nowcasts.values()))

    def current_forecast(self, hall_id: str, day: str) -> DayForecast | None:
        """The hall's forecast of the local ``day``; None while there is none
        (not computed yet, or the ones held, today's and the next day's, are of
        other days)."""
        for found in (self.forecasts.get(hall_id), self.forecast_ahead.get(hall_id)):
            if found is not None and found[0] == day:
                return found[1]
        return None

    def forecast_now(self, hall_id: str, now_s: float, day: str) -> ForecastNow | None:
        """The day forecast read at ``now_s``, when there is one for ``day``."""
        forecast = self.current_forecast(hall_id, day)
        if forecast is None:
            return None
        values = forecast.at(self.states[hall_id].local_seconds(now_s))
        if not values:
            return None
        return ForecastNow(
            queue_length={svc: v[0] for svc, v in values.items()},
            wait_s={svc: v[1] for svc, v in values.items() if math.isfinite(v[1])},
            arrivals_per_hour={svc: v[2] for svc, v in values.items()},
        )

    def view(self, hall_id: str, *, tickets: bool = False) -> HallView:
        """What is published of the hall now (``tickets``: with today's tickets,
        for the JSON views that need them)."""
        state = self.states[hall_id]
        live = state.snapshot(tickets=tickets)
        nowcast = self.nowcasts.get(hall_id)
        if nowcast is not None and state.local_day(nowcast.computed_s) != live.day:
            nowcast = None
        with self._count_lock:
            ingested = dict(self.ingested[hall_id])
            failures = dict(self.failures[hall_id])
        return HallView(
            info=state.info,
            live=live,
            forecast=self.forecast_now(hall_id, live.now_s, live.day),
            nowcast=nowcast if live.open else None,
            ingested=ingested,
            failures=failures,
            overflow=state.overflow_counts(),
        )

    def views(self) -> list[HallView]:
        return [self.view(hall_id) for hall_id in self.states]
