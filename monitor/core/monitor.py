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

import sqlite3
import threading
import time
from collections.abc import Sequence
from datetime import date
from typing import NoReturn
from zoneinfo import ZoneInfo

from monitor.core.batches import BatchInvalid, OtherHalls, read_batch, to_rows
from monitor.core.config import Hall, Settings, token_hash
from monitor.core.countbook import CountBook
from monitor.core.errors import (
    Forbidden,
    HallNotServed,
    InvalidEvents,
    NotAuthenticated,
    Problem,
    RateLimited,
    StorageUnavailable,
)
from monitor.core.forecastbook import ForecastBook
from monitor.core.health import STORE_RETRY_S, StoreHealth
from monitor.core.intake import HallIntake
from monitor.core.modelbook import ModelBook
from monitor.core.observed import Observed
from monitor.core.plan import HallPlan
from monitor.core.rows import stored_bytes
from monitor.core.snapshot import HallView, Ingested, QueuePicture, Readiness, TicketNow
from monitor.core.state import HallState
from monitor.core.store import EventStore, Row
from monitor.core.storing import Pending, rebuild, store_batch
from sim.eventlog.events import Event
from sim.model.days import day_plan


class Monitor(CountBook, ModelBook, ForecastBook):
    """Every configured hall's state, store and published numbers. Its state
    changes only through its methods: ingest (:meth:`receive`, :meth:`ingest`),
    the background's publications (:meth:`publish_forecasts`,
    :meth:`publish_nowcast` of :class:`ForecastBook`, :meth:`count_failure` of
    :class:`CountBook`, and those of :class:`ModelBook`: models, drift,
    learning) and the life cycle."""

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
        self._intake = {h.id: HallIntake(h.id, h.limits) for h in settings.halls}
        # one batch of a hall at a time is decided and stored: what is decided
        # (labels, events running backwards) reads what the batches before it left
        self._hall_locks = {h.id: threading.Lock() for h in settings.halls}
        self._pending = {h.id: Pending() for h in settings.halls}
        self._ready = False
        self._health = StoreHealth(settings.max_body_bytes)
        CountBook.__init__(self, self._halls)
        ModelBook.__init__(self)
        ForecastBook.__init__(self)

    # -- life cycle -----------------------------------------------------------
    def open(self) -> None:
        """Open the store and rebuild every hall's current day from it. Stored
        events dated too far ahead (by a ticket system's wrong clock, or stored
        by a version without quarantine) are quarantined first. The store's file
        system must have room for a few full batches, or the monitor is not
        ready until a write succeeds (:meth:`room_problem` says why)."""
        self._store = store = EventStore(self.settings.store, self.settings.synchronous)
        for hall_id, state in self._states.items():
            limit_us = state.future_limit_us()
            store.quarantine_after(hall_id, limit_us, state.local_day(limit_us / 1e6))
            rebuild(store, state, hall_id)
            today = state.local_day(time.time())
            self._intake[hall_id].stored(today, store.intake(hall_id, today)[0])
        self._open_models(self.settings.store, self._halls.values())
        self._ready = True
        problem = self.room_problem()
        if problem is not None:
            self._health.failed(problem)

    def room_problem(self) -> str | None:
        """Why the store's file system cannot take a few full batches, or None
        (:mod:`monitor.core.health`)."""
        return self._health.room_problem(self._opened())

    @property
    def opened(self) -> bool:
        """Whether :meth:`open` has opened the store (and :meth:`close` not yet)."""
        return self._store is not None

    def close(self) -> None:
        self._ready = False
        self._close_models()
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

    def changed_s(self, hall_id: str) -> float | None:
        """Wall clock (Unix s) when an event was last applied to the hall's
        state (None: never): what tells the nowcast the hall has moved."""
        return self._states[hall_id].received_s

    def local_day(self, hall_id: str, unix_s: float) -> str:
        """The hall's local date (ISO) at ``unix_s``."""
        return self._states[hall_id].local_day(unix_s)

    def model_opens_today(self, hall_id: str) -> bool:
        """Whether the model in use opens the hall on its current local day (its
        week and holidays): when not, nothing is simulated for it today."""
        day = date.fromisoformat(self.local_day(hall_id, self.now_s(hall_id)))
        return not day_plan(self.model(hall_id).scenario, day).closed

    def local_seconds(self, hall_id: str, unix_s: float) -> float:
        """Seconds after the hall's local midnight at ``unix_s``."""
        return self._states[hall_id].local_seconds(unix_s)

    def day(self, hall_id: str) -> str:
        """The local date (ISO) of the hall's current day."""
        return self._states[hall_id].snapshot().day

    def is_open(self, hall_id: str, now_s: float) -> bool:
        """Whether the hall is open at ``now_s`` by its scenario's hours."""
        return self._states[hall_id].is_open(now_s)

    def observations(self, hall_id: str, now_s: float) -> tuple[str, Observed]:
        """The hall's current day (ISO) and its tickets, for the drift test."""
        return self._states[hall_id].observations(now_s)

    def picture(self, hall_id: str, now_s: float) -> QueuePicture:
        """The hall's queue at ``now_s``, as the nowcast starts from it."""
        return self._states[hall_id].picture(now_s)

    def ticket(self, hall_id: str, ticket: str) -> TicketNow | None:
        """One of the hall's tickets today (None: not issued today)."""
        return self._states[hall_id].ticket(ticket)

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

    def knows_token(self, token: str) -> bool:
        """Whether ``token`` is a hall's ingest token or the read token."""
        digest = token_hash(token)
        return digest in self._by_token or digest == self.settings.read_token_sha256

    # -- ingest ---------------------------------------------------------------
    def receive(self, hall: Hall, body: bytes, media: str) -> Ingested:
        """Parse, validate, store and apply one request body of media type
        ``media``: :class:`InvalidEvents` listing every bad event,
        :class:`Forbidden` for events of another hall, :class:`RateLimited`
        past the hall's limits; nothing is stored unless all is well."""
        state = self._states[hall.id]
        try:
            rows = read_batch(body, media, hall.id, state.days)
        except BatchInvalid as exc:
            self.count(hall.id, "rejected", exc.size)
            raise InvalidEvents(exc.errors) from None
        except OtherHalls as exc:
            self.count(hall.id, "rejected", exc.size)
            raise Forbidden(exc.errors) from None
        return self._store_rows(hall, rows, len(body))

    def ingest(self, hall: Hall, events: Sequence[Event]) -> Ingested:
        """Store validated events (of the simulator, or a file), then apply the
        new ones; :class:`Forbidden` if an event names another hall,
        :class:`StorageUnavailable` if the store cannot take them (nothing
        stored either way)."""
        wrong: list[Problem] = [
            {"index": i, "field": "hall", "reason": f"names hall {e.hall!r}, not {hall.id!r}"}
            for i, e in enumerate(events)
            if e.hall != hall.id
        ]
        if wrong:
            self.count(hall.id, "rejected", len(events))
            raise Forbidden(wrong[:100])
        rows = to_rows(events, self._states[hall.id].days)
        return self._store_rows(hall, rows, sum(stored_bytes(hall.id, r) for r in rows))

    def refuse_early(self, hall: Hall) -> None:
        """:class:`RateLimited` for a hall whose next batch would be refused by
        its limits whatever it holds (before its body is read)."""
        state = self._states[hall.id]
        refusal = self._intake[hall.id].refuse_early(*self._wall_day(state))
        if refusal is not None:
            self._count_limited(hall.id, refusal)
            raise refusal

    def _wall_day(self, state: HallState) -> tuple[str, float]:
        """The hall's local date on the wall clock, and the seconds to its end."""
        now_s = time.time()
        return state.local_day(now_s), 86400.0 - state.local_seconds(now_s)

    def _store_rows(self, hall: Hall, rows: list[Row], size_bytes: int) -> Ingested:
        """Store a batch of ``size_bytes`` (its request body) and apply its new
        rows (see :meth:`receive` and :mod:`monitor.core.storing`)."""
        state = self._states[hall.id]
        intake = self._intake[hall.id]
        try:
            intake.take(len(rows))
        except RateLimited as refusal:
            self._count_limited(hall.id, refusal)
            raise
        lock, pending = self._hall_locks[hall.id], self._pending[hall.id]
        with lock:
            today, to_midnight_s = self._wall_day(state)
            try:
                done = store_batch(
                    self._opened(), state, intake, hall.id, rows, size_bytes,
                    pending=pending, today=today, to_midnight_s=to_midnight_s,
                )  # fmt: skip
            except RateLimited as refusal:
                self._count_limited(hall.id, refusal)
                raise
            except sqlite3.Error as exc:
                self._failed(hall.id, len(rows), exc)
            self._health.succeeded()
        try:  # outside the hall's lock: its next batch is decided and committed meanwhile
            state.apply(done.to_apply)
        finally:
            pending.remove(done.to_apply)
        self._count_stored(hall.id, done)
        quarantined = done.future + done.backwards
        return Ingested(done.applied, done.duplicates, quarantined, done.conflicts)

    def _failed(self, hall_id: str, events: int, exc: sqlite3.Error) -> NoReturn:
        self.count(hall_id, "error", events)
        self._health.failed(str(exc))
        raise StorageUnavailable(
            f"the event store cannot take the batch ({exc}); nothing was stored, "
            "send it again later",
            retry_after_s=STORE_RETRY_S,
        ) from exc

    def writable(self) -> bool:
        """Whether the store takes writes (:mod:`monitor.core.health`)."""
        return self._health.writable(self._store)

    @property
    def ready(self) -> bool:
        """The store is open and every hall's day rebuilt."""
        return self._ready

    @property
    def write_error(self) -> str | None:
        """Why the last write failed, until one succeeds (None: writes succeed)."""
        return self._health.error

    def readiness(self) -> Readiness:
        """Ready once open, while the store takes writes; with what is published."""
        ready = self._ready and self.writable()
        return Readiness(
            ready=ready,
            halls=len(self._halls),
            forecasts=sum(1 for h in self._halls if h in self._forecasts),
            nowcasts=len(self._nowcasts),
            store_error=self._health.error,
        )

    def stored(self, hall_id: str | None = None) -> int:
        """Events in the store (of ``hall_id``, or of every hall), quarantined too."""
        return self._opened().count(hall_id)

    def quarantined(self, hall_id: str, limit: int) -> tuple[int, list[tuple[Row, int, str]]]:
        """The hall's quarantined events: how many, and the latest ``limit`` with
        the Unix microseconds each was quarantined and why."""
        return self._opened().quarantined(hall_id, limit)

    def conflicts(
        self, hall_id: str, limit: int
    ) -> tuple[int, list[tuple[Row, dict[str, str], int]]]:
        """The hall's conflicting versions: how many, and the latest ``limit``
        with the stored event and the Unix microseconds each came."""
        return self._opened().conflicts(hall_id, limit)

    # -- what is published ----------------------------------------------------
    def published_version(self) -> tuple[int, ...]:
        """Changes when a forecast or nowcast is published (a new scrape must show
        it; live counts may be a second old)."""
        forecasts, nowcasts = map(id, self._forecasts.values()), map(id, self._nowcasts.values())
        return (*forecasts, -1, *nowcasts, -1, *self._models_version())

    def view(self, hall_id: str, *, tickets: bool = False) -> HallView:
        """What is published of the hall now (``tickets``: with today's tickets,
        for the JSON views that need them)."""
        state = self._states[hall_id]
        live = state.snapshot(tickets=tickets)
        nowcast = self._nowcasts.get(hall_id)
        if nowcast is not None and state.local_day(nowcast.computed_s) != live.day:
            nowcast = None
        ingested, failures, limited = self._counts(hall_id)
        return HallView(
            info=state.info,
            live=live,
            forecast=self.forecast_now(hall_id, live.now_s, live.day),
            nowcast=nowcast if live.open else None,
            ingested=ingested,
            failures=failures,
            overflow=state.overflow_counts(),
            limited=limited,
            planned=self._plans[hall_id].at(
                date.fromisoformat(live.day), state.local_seconds(live.now_s)
            ),
        )

    def views(self) -> list[HallView]:
        return [self.view(hall_id) for hall_id in self._states]
