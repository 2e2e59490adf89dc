"""The event store: every accepted event, durable before it is acknowledged.

One SQLite database in WAL mode, ``synchronous=FULL`` by default, so a commit
survives a crash of the process or the machine. A batch is one transaction;
``(hall, id)`` is the primary key, so a duplicate id is found, acknowledged and
not stored (or applied) twice. One connection and one lock: ingest is a single
writer, which is what SQLite does best.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Literal, NamedTuple

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    hall TEXT NOT NULL,
    id TEXT NOT NULL,
    ts_us INTEGER NOT NULL,  -- Unix microseconds, for ordering
    day TEXT NOT NULL,       -- the hall's local date, ISO
    kind TEXT NOT NULL,
    ticket TEXT,
    service TEXT,
    segment TEXT,
    counter TEXT,
    utc_offset_s INTEGER NOT NULL,  -- the offset ts was written with
    PRIMARY KEY (hall, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS events_by_day ON events (hall, day, ts_us);
"""
INSERT = "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # Unix time 0: ts_us counts from it
_CHUNK = 900  # ids per IN (...) query, under SQLite's smallest variable limit


class Row(NamedTuple):
    """One stored event of a hall, as the live state applies it."""

    id: str
    ts_us: int
    day: str
    kind: str
    ticket: str | None
    service: str | None
    segment: str | None
    counter: str | None
    utc_offset_s: int  # with ts_us, gives back the event's RFC 3339 time exactly

    def time(self) -> datetime:
        """The event's ``ts``: the instant, with the UTC offset it was written with."""
        zone = timezone(timedelta(seconds=self.utc_offset_s))
        return (EPOCH + timedelta(microseconds=self.ts_us)).astimezone(zone)


class EventStore:
    """The events of all halls in one SQLite file (``:memory:`` for a scratch store)."""

    def __init__(self, path: str | Path, synchronous: Literal["full", "normal"] = "full") -> None:
        self.path = str(path)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={synchronous.upper()}")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def append(self, hall: str, rows: Sequence[Row]) -> list[Row]:
        """Store ``rows`` of ``hall`` in one transaction and return those that were
        new (in order): ids already stored, or repeated within ``rows``, are left
        out. When this returns, the new rows are durable."""
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                seen = self._known(hall, [r.id for r in rows])
                fresh: list[Row] = []
                for row in rows:
                    if row.id not in seen:
                        seen.add(row.id)
                        fresh.append(row)
                db.executemany(INSERT, [(hall, *row) for row in fresh])
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return fresh

    def _known(self, hall: str, ids: list[str]) -> set[str]:
        known: set[str] = set()
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            cursor = self._db.execute(
                f"SELECT id FROM events WHERE hall = ? AND id IN ({marks})", (hall, *chunk)
            )
            known.update(r[0] for r in cursor)
        return known

    def day_rows(self, hall: str, day: str) -> list[Row]:
        """The stored events of ``hall`` on local date ``day``, in event time."""
        with self._lock:
            cursor = self._db.execute(
                "SELECT id, ts_us, day, kind, ticket, service, segment, counter, utc_offset_s "
                "FROM events WHERE hall = ? AND day = ? ORDER BY ts_us",
                (hall, day),
            )
            return [Row(*r) for r in cursor]

    def latest_day(self, hall: str) -> str | None:
        """The latest local date for which ``hall`` has events."""
        with self._lock:
            found = self._db.execute(
                "SELECT max(day) FROM events WHERE hall = ?", (hall,)
            ).fetchone()
        return found[0] if found else None

    def last_ts_us(self, hall: str, day: str) -> int | None:
        """Unix microseconds of the latest event of ``hall`` on ``day``."""
        with self._lock:
            found = self._db.execute(
                "SELECT max(ts_us) FROM events WHERE hall = ? AND day = ?", (hall, day)
            ).fetchone()
        return None if found is None or found[0] is None else int(found[0])

    def ids(self, hall: str) -> set[str]:
        """Every stored event id of ``hall``."""
        with self._lock:
            return {r[0] for r in self._db.execute("SELECT id FROM events WHERE hall = ?", (hall,))}

    def count(self, hall: str | None = None) -> int:
        """Stored events, of one hall or of all."""
        with self._lock:
            if hall is None:
                found = self._db.execute("SELECT count(*) FROM events").fetchone()
            else:
                found = self._db.execute(
                    "SELECT count(*) FROM events WHERE hall = ?", (hall,)
                ).fetchone()
        return int(found[0])
