"""The event store: every accepted event, durable before it is acknowledged.

One SQLite database in WAL mode, ``synchronous=FULL`` by default, so a commit
survives a crash of the process or the machine. A batch is one transaction;
``(hall, id)`` is the primary key, so a duplicate id is found, acknowledged and
not stored (or applied) twice. One connection and one lock: ingest is a single
writer, which is what SQLite does best.

Events dated too far ahead are stored and listed in ``quarantine``: they are
never applied, after a restart neither (:meth:`EventStore.day_rows` and
:meth:`EventStore.latest_applied` leave them out). Opening a store takes its
lock (:mod:`monitor.core.storelock`) and checks it: a store that is damaged
(``PRAGMA quick_check``), not an event store, or not writable is refused with
a :class:`StoreError` saying why, before anything is written to it.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Literal, NamedTuple

from monitor.core.storelock import StoreError, StoreLock

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
CREATE TABLE IF NOT EXISTS quarantine (  -- stored events never applied: dated too far ahead
    hall TEXT NOT NULL,
    id TEXT NOT NULL,
    received_us INTEGER NOT NULL,  -- Unix microseconds when it was quarantined
    PRIMARY KEY (hall, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS probe (one INTEGER PRIMARY KEY, at_us INTEGER NOT NULL);
"""
COLUMNS = {
    "events": ("hall", "id", "ts_us", "day", "kind", "ticket", "service", "segment", "counter",
               "utc_offset_s"),
    "quarantine": ("hall", "id", "received_us"),
    "probe": ("one", "at_us"),  # a write that tells whether the store takes writes again
}  # fmt: skip
INSERT = "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
QUARANTINE = "INSERT OR IGNORE INTO quarantine VALUES (?, ?, ?)"
_APPLIED = "NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.hall = events.hall AND q.id = events.id)"
_FIELDS = "id, ts_us, day, kind, ticket, service, segment, counter, utc_offset_s"
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
    """The events of all halls in one SQLite file (``:memory:`` for a scratch
    store). Raises :class:`StoreError` for a store that cannot be served."""

    def __init__(self, path: str | Path, synchronous: Literal["full", "normal"] = "full") -> None:
        self.path = str(path)
        self._hold = StoreLock(path)
        try:
            self._db = _open(self.path, synchronous, check=not self._hold.checked)
        except BaseException:
            self._hold.release()
            raise
        self._hold.mark_checked()
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()
            self._hold.release()

    def append(self, hall: str, rows: Sequence[Row], future_us: int | None = None) -> list[Row]:
        """Store ``rows`` of ``hall`` in one transaction and return those that were
        new (in order): ids already stored, or repeated within ``rows``, are left
        out. New rows dated after ``future_us`` are stored as quarantined.
        When this returns, the new rows are durable; when it raises, nothing of
        the batch is stored and the error raised is the one that failed it."""
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
                if future_us is not None:
                    now_us = time.time_ns() // 1000
                    held = [(hall, r.id, now_us) for r in fresh if r.ts_us > future_us]
                    db.executemany(QUARANTINE, held)
                db.execute("COMMIT")
            except BaseException as exc:
                _roll_back(db, exc)
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
        """The stored events of ``hall`` on local date ``day`` that may be applied
        (not quarantined), in event time."""
        with self._lock:
            cursor = self._db.execute(
                f"SELECT {_FIELDS} FROM events WHERE hall = ? AND day = ? AND {_APPLIED} "
                "ORDER BY ts_us",
                (hall, day),
            )
            return [Row(*r) for r in cursor]

    def probe(self) -> None:
        """Commit a one-row write (``sqlite3.Error`` if the store cannot take one)."""
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute("INSERT OR REPLACE INTO probe VALUES (1, ?)", (time.time_ns() // 1000,))
                db.execute("COMMIT")
            except BaseException as exc:
                _roll_back(db, exc)
                raise

    def latest_applied(self, hall: str) -> tuple[str, int] | None:
        """The latest local date of ``hall`` with events that may be applied, and
        the Unix microseconds of its latest such event (quarantined events and
        days holding only them are left out)."""
        with self._lock:
            days = self._db.execute(
                "SELECT DISTINCT day FROM events WHERE hall = ? ORDER BY day DESC", (hall,)
            ).fetchall()  # a row a day: few, and the loop below runs other statements
            for (day,) in days:  # the latest first; usually the first one has applied events
                found = self._db.execute(
                    f"SELECT max(ts_us) FROM events WHERE hall = ? AND day = ? AND {_APPLIED}",
                    (hall, day),
                ).fetchone()
                if found[0] is not None:
                    return day, int(found[0])
        return None

    def quarantine_after(self, hall: str, limit_us: int, earliest_day: str) -> int:
        """Quarantine the stored events of ``hall`` dated after ``limit_us`` (on
        or after local date ``earliest_day``, which bounds the search); returns
        how many were newly quarantined."""
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                cursor = db.execute(
                    "INSERT OR IGNORE INTO quarantine SELECT hall, id, ? FROM events "
                    "WHERE hall = ? AND day >= ? AND ts_us > ?",
                    (time.time_ns() // 1000, hall, earliest_day, limit_us),
                )
                db.execute("COMMIT")
            except BaseException as exc:
                _roll_back(db, exc)
                raise
        return cursor.rowcount

    def quarantined(self, hall: str, limit: int) -> tuple[int, list[tuple[Row, int]]]:
        """How many events of ``hall`` are quarantined, and the latest ``limit``
        of them by event time, each with the Unix microseconds it was quarantined."""
        with self._lock:
            (total,) = self._db.execute(
                "SELECT count(*) FROM quarantine WHERE hall = ?", (hall,)
            ).fetchone()
            cursor = self._db.execute(
                "SELECT e.id, e.ts_us, e.day, e.kind, e.ticket, e.service, e.segment, "
                "e.counter, e.utc_offset_s, q.received_us FROM quarantine q "
                "JOIN events e ON e.hall = q.hall AND e.id = q.id WHERE q.hall = ? "
                "ORDER BY e.ts_us DESC, e.id LIMIT ?",
                (hall, limit),
            )
            return int(total), [(Row(*r[:9]), int(r[9])) for r in cursor]

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


def _roll_back(db: sqlite3.Connection, failure: BaseException) -> None:
    """End the failed transaction. SQLite may have rolled it back already (a
    full disk, an I/O error): then there is nothing to do, and a ROLLBACK that
    fails must not replace the error that failed the batch (it is noted on it)."""
    if not db.in_transaction:
        return
    try:
        db.execute("ROLLBACK")
    except sqlite3.Error as exc:
        failure.add_note(f"and the rollback failed too: {exc}")


def _open(path: str, synchronous: str, *, check: bool) -> sqlite3.Connection:
    """A connection to the store at ``path``, checked (``check``) and with the
    schema in place; :class:`StoreError` for a store that cannot be served."""
    try:
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the store: {exc}") from None
    try:
        if check:
            _check(db)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"PRAGMA synchronous={synchronous.upper()}")
        db.executescript(SCHEMA)
        # a store that can be read but not written fails here, not at the first batch
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT OR REPLACE INTO probe VALUES (1, ?)", (time.time_ns() // 1000,))
        db.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        db.close()
        raise StoreError(_why(exc)) from None
    except StoreError:
        db.close()
        raise
    return db


def _why(exc: sqlite3.DatabaseError) -> str:
    text = str(exc)
    if isinstance(exc, sqlite3.OperationalError) and "readonly" in text:
        return f"the store is read-only ({text}); hallmon must write to it"
    if "not a database" in text or "malformed" in text:
        return f"the store is damaged or not a SQLite database ({text})"
    return f"cannot use the store: {text}"


def _check(db: sqlite3.Connection) -> None:
    """Refuse a damaged store (``PRAGMA quick_check``) and one whose tables are
    not an event store's (another program's database, or another schema)."""
    problems = [r[0] for r in db.execute("PRAGMA quick_check(5)")]
    if problems != ["ok"]:
        raise StoreError("the store is damaged (quick_check: " + "; ".join(problems) + ")")
    tables = {
        name: tuple(col[1] for col in db.execute(f"PRAGMA table_info('{name}')"))
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
    }
    if tables and "events" not in tables:
        names = ", ".join(sorted(tables))
        raise StoreError(f"not a hallmon event store: it has no table events (it has {names})")
    for name, columns in COLUMNS.items():
        if name in tables and tables[name] != columns:
            raise StoreError(
                f"not a hallmon event store: table {name} has columns "
                f"({', '.join(tables[name])}), not ({', '.join(columns)})"
            )
