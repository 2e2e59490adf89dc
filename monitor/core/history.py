"""A hall's stored events read back: for ``hallmon export`` (the store → a file
``hallsim fit`` reads unchanged) and for the nightly learning (the store → a
fit), from any process, while the exporter serves.

:class:`StoredEvents` opens the store read-only with a connection of its own
(the exporter's writes go on: SQLite in WAL mode lets readers and the one
writer work at once) and streams: one local day is fetched at a time, in event
time, so a year of a busy hall never has to fit in memory. Quarantined events
(dated too far ahead of the wall clock when they came) are left out, as the
live state leaves them out. Events at the same instant come in the order a
ticket system logs them (:data:`~sim.eventlog.events.KIND_ORDER`: a ticket is
issued before it is called), then by id.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import NamedTuple, cast

from monitor.core.store import Row
from monitor.core.storelock import StoreError
from sim.eventlog.events import KIND_ORDER, Event, Kind

_APPLIED = "NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.hall = events.hall AND q.id = events.id)"
_KIND_RANK = "CASE kind " + " ".join(f"WHEN '{k}' THEN {n}" for k, n in KIND_ORDER.items()) + " END"
_FIELDS = "id, ts_us, day, kind, ticket, service, segment, counter, utc_offset_s"
_FETCH = 2000  # rows fetched from SQLite at a time


class StoredDay(NamedTuple):
    """A local date of a hall with stored (applicable) events, and how many."""

    day: date
    events: int


def row_event(hall: str, row: Row) -> Event:
    """A stored row as the event it was ingested as (validated then, so it is
    not validated again: the row is the event's fields, its time exact to the
    microsecond with the UTC offset it was written with)."""
    return Event.model_construct(
        id=row.id,
        hall=hall,
        ts=row.time(),
        kind=cast(Kind, row.kind),
        ticket=row.ticket,
        service=row.service,
        segment=row.segment,
        counter=row.counter,
    )


class StoredEvents:
    """Read-only access to the events of an event store file. Raises
    :class:`StoreError` for a file that is missing or not an event store."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise StoreError("there is no event store here (no such file)")
        try:
            # mode=ro: never create or change the file (a wrong path is an error)
            self._db = sqlite3.connect(
                f"{self.path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
            )
            tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master")}
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot read the store: {exc}") from None
        if not {"events", "quarantine"} <= tables:
            self._db.close()
            raise StoreError("not a hallmon event store: it has no table events")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> StoredEvents:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def days(
        self, hall: str, first: date | None = None, last: date | None = None
    ) -> list[StoredDay]:
        """The hall's local dates with applicable events, oldest first, from
        ``first`` to ``last`` (both included; None: no bound)."""
        lo = (first or date.min).isoformat()
        hi = (last or date.max).isoformat()
        cursor = self._db.execute(
            f"SELECT day, count(*) FROM events WHERE hall = ? AND day BETWEEN ? AND ? "
            f"AND {_APPLIED} GROUP BY day ORDER BY day",
            (hall, lo, hi),
        )
        return [StoredDay(date.fromisoformat(d), int(n)) for d, n in cursor]

    def day_rows(self, hall: str, day: date) -> Iterator[Row]:
        """The applicable events of ``hall`` on its local date ``day``, in log order."""
        cursor = self._db.execute(
            f"SELECT {_FIELDS} FROM events WHERE hall = ? AND day = ? AND {_APPLIED} "
            f"ORDER BY ts_us, {_KIND_RANK}, id",
            (hall, day.isoformat()),
        )
        while batch := cursor.fetchmany(_FETCH):
            for r in batch:
                yield Row(*r)

    def events(
        self, hall: str, first: date | None = None, last: date | None = None
    ) -> Iterator[Event]:
        """Every applicable event of ``hall`` from local date ``first`` to
        ``last`` (both included), in log order, one day in memory at a time."""
        for stored in self.days(hall, first, last):
            for row in self.day_rows(hall, stored.day):
                yield row_event(hall, row)

    def halls(self) -> list[str]:
        """The halls with stored events."""
        return [r[0] for r in self._db.execute("SELECT DISTINCT hall FROM events ORDER BY hall")]
