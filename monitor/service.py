"""The exporter's core, apart from HTTP: authentication, durable ingest, the
live state of every hall and what each scrape publishes.

:class:`Monitor` owns the event store and one :class:`HallState` per hall. An
ingested batch is stored (and committed) first, then applied to the live state,
so whatever was acknowledged is in the store, and :meth:`Monitor.open` rebuilds
the state of each hall's current day from the store after a restart.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from monitor.config import Hall, Settings, token_hash
from monitor.ingest import BatchInvalid, other_halls, parse_batch, to_rows
from monitor.snapshot import BACKGROUND_JOBS, INGEST_RESULTS, ForecastNow, HallView, NowcastNow
from monitor.state import HallState
from monitor.store import EventStore
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
    accepted: int
    duplicates: int


class Monitor:
    """Every configured hall's state, store and published numbers."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.halls: dict[str, Hall] = {h.id: h for h in settings.halls}
        self.states = {h.id: HallState(h) for h in settings.halls}
        self._by_token = {h.token_sha256: h.id for h in settings.halls}
        self.store: EventStore | None = None
        self.ingested = {h.id: dict.fromkeys(INGEST_RESULTS, 0) for h in settings.halls}
        self.failures = {h.id: dict.fromkeys(BACKGROUND_JOBS, 0) for h in settings.halls}
        self.forecasts: dict[str, tuple[str, DayForecast]] = {}  # hall -> (local day, DayForecast)
        self.nowcasts: dict[str, NowcastNow] = {}
        self.ready = False
        self._count_lock = threading.Lock()

    # -- life cycle -----------------------------------------------------------
    def open(self) -> None:
        """Open the store and rebuild every hall's current day from it."""
        self.store = EventStore(self.settings.store, self.settings.synchronous)
        for hall_id, state in self.states.items():
            self.rebuild(hall_id, state)
        self.ready = True

    def rebuild(self, hall_id: str, state: HallState) -> None:
        """Apply the stored events of the hall's current day to ``state``: the
        latest day in the store (event clock), or today (wall clock)."""
        assert self.store is not None
        latest = self.store.latest_day(hall_id)
        if latest is None:
            return
        day = latest if state.events_clock else state.local_day(state.now_s())
        rows = self.store.day_rows(hall_id, day)
        state.apply(rows)
        if not rows:  # a new day: nothing to count yet, but the last event's time is known
            state.last_event_us = self.store.last_ts_us(hall_id, latest)

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
        fresh = self.store.append(hall.id, rows)
        state.apply(fresh)
        duplicates = len(rows) - len(fresh)
        self.count(hall.id, "accepted", len(fresh))
        self.count(hall.id, "duplicate", duplicates)
        return Ingested(len(fresh), duplicates)

    # -- publishing -----------------------------------------------------------
    def current_forecast(self, hall_id: str, day: str) -> DayForecast | None:
        """The hall's forecast of the local ``day``; None while there is none
        (not computed yet, or the one held is of another day)."""
        found = self.forecasts.get(hall_id)
        if found is None or found[0] != day:
            return None
        return found[1]

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

    def view(self, hall_id: str) -> HallView:
        state = self.states[hall_id]
        live = state.snapshot()
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
        )

    def views(self) -> list[HallView]:
        return [self.view(hall_id) for hall_id in self.states]
