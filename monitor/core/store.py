"""The event store: every accepted event, durable before it is acknowledged.

One SQLite database in WAL mode, ``synchronous=FULL`` by default, so a commit
survives a crash of the process or the machine. A batch is one transaction;
``(hall, id)`` is the primary key, so an id sent again is found: with the same
content it is a duplicate (acknowledged, not stored or applied twice), with
other content a *conflict* (acknowledged, never applied, its version listed
in ``conflicts``). The common batch, all new, is inserted at once; only a
batch with a known id is sorted out id by id. One connection and one lock:
ingest is a single writer, which is what SQLite does best.

Events that are stored but must never be applied (dated too far ahead, or
running time backwards within their ticket) are listed in ``quarantine``
with the reason; :meth:`EventStore.day_rows` and
:meth:`EventStore.latest_applied` leave them out, after a restart too. Which
unknown names a hall publishes under their own name (``labels``) and what
each hall stored each day (``intake``) are written in the batch's
transaction, so a restart sees exactly what was decided. Opening a store
takes its lock (:mod:`monitor.core.storelock`) and checks it
(:mod:`monitor.core.storefile`).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import chain
from pathlib import Path
from typing import Literal, NamedTuple

from monitor.core.rows import EPOCH, Row
from monitor.core.storefile import INSERT, PROBE, SCHEMA, free_bytes, open_store, roll_back
from monitor.core.storelock import StoreLock

__all__ = [
    "EPOCH", "INSERT", "ROWS_PER_INSERT", "SCHEMA", "Committed", "Decision", "EventStore", "Row",
    "insert_sql",
]  # fmt: skip

_APPLIED = "NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.hall = events.hall AND q.id = events.id)"
_FIELDS = "id, ts_us, day, kind, ticket, service, segment, counter, utc_offset_s"
_CHUNK = 900  # ids per IN (...) query, under SQLite's smallest variable limit
ROWS_PER_INSERT = 110  # 1 + 110 x 9 = 991 variables, under that limit too
_ADD_INTAKE = (
    "INSERT INTO intake VALUES (?, ?, ?, ?) ON CONFLICT (hall, day) DO UPDATE SET "
    "bytes = bytes + excluded.bytes, events = events + excluded.events"
)


@dataclass(frozen=True, slots=True)
class Decision:
    """What the monitor decides about a batch's new rows, written in its transaction."""

    held: Sequence[tuple[str, str]] = ()  # (id, reason): stored but never applied
    labels: Sequence[tuple[str, str, str]] = ()  # (day, dimension, name) newly published
    intake: tuple[str, int, int] | None = None  # (local day, bytes, events) to add


class Committed(NamedTuple):
    """A stored batch: its new rows in order, how many were duplicates, and the
    rows that conflict with a stored event of the same id (not stored)."""

    fresh: list[Row]
    duplicates: int
    conflicts: list[Row]


Decide = Callable[[list[Row], list[Row]], Decision]  # (fresh, conflicts) -> decision


class EventStore:
    """The events of all halls in one SQLite file (``:memory:`` for a scratch
    store). Raises :class:`~monitor.core.storelock.StoreError` for a store that
    cannot be served."""

    def __init__(self, path: str | Path, synchronous: Literal["full", "normal"] = "full") -> None:
        self.path = str(path)
        self._hold = StoreLock(path)
        try:
            self._db = open_store(self.path, synchronous, check=not self._hold.checked)
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
        """Store ``rows`` of ``hall`` and return the new ones (see :meth:`commit`);
        new rows dated after ``future_us`` are quarantined as ``future``."""

        def decide(fresh: list[Row], conflicts: list[Row]) -> Decision:
            if future_us is None:
                return Decision()
            return Decision(held=[(r.id, "future") for r in fresh if r.ts_us > future_us])

        return self.commit(hall, rows, decide).fresh

    def commit(self, hall: str, rows: Sequence[Row], decide: Decide) -> Committed:
        """Store the new ``rows`` of ``hall`` in one transaction, with what
        ``decide`` says of them. Ids already stored, or repeated within ``rows``,
        are duplicates (same content) or conflicts (other content; each distinct
        version is recorded once). When this returns, it is durable; when it
        raises (``decide`` may refuse the batch too), nothing of it is stored."""
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                done = self._insert(hall, rows)
                decision = decide(done.fresh, done.conflicts)
                now_us = time.time_ns() // 1000
                if done.conflicts:
                    db.executemany(
                        "INSERT OR IGNORE INTO conflicts VALUES (?, ?, ?, ?)",
                        [(hall, r.id, _event_text(hall, r), now_us) for r in done.conflicts],
                    )
                if decision.held:
                    db.executemany(
                        "INSERT OR IGNORE INTO quarantine VALUES (?, ?, ?, ?)",
                        [(hall, id_, now_us, why) for id_, why in decision.held],
                    )
                if decision.labels:
                    db.executemany(
                        "INSERT OR IGNORE INTO labels VALUES (?, ?, ?, ?)",
                        [(hall, *label) for label in decision.labels],
                    )
                if decision.intake is not None:
                    db.execute(_ADD_INTAKE, (hall, *decision.intake))
                db.execute("COMMIT")
            except BaseException as exc:
                roll_back(db, exc)
                raise
        return done

    def _add(self, hall: str, rows: Sequence[Row]) -> None:
        """Insert ``rows`` of ``hall``, many rows a statement (see :func:`insert_sql`)."""
        for start in range(0, len(rows), ROWS_PER_INSERT):
            part = rows[start : start + ROWS_PER_INSERT]
            self._db.execute(insert_sql(len(part)), (hall, *chain.from_iterable(part)))

    def _insert(self, hall: str, rows: Sequence[Row]) -> Committed:
        db = self._db
        db.execute("SAVEPOINT batch")
        try:  # the common case: every id is new
            self._add(hall, rows)
        except sqlite3.IntegrityError:
            if not db.in_transaction:  # not a known id: SQLite ended the transaction (RAISE)
                raise
            db.execute("ROLLBACK TO batch")
        else:
            db.execute("RELEASE batch")
            return Committed(list(rows), 0, [])
        db.execute("RELEASE batch")
        seen = self._stored(hall, [r.id for r in rows])
        fresh: list[Row] = []
        conflicts: list[Row] = []
        duplicates = 0
        for row in rows:
            known = seen.get(row.id)
            if known is None:
                seen[row.id] = row
                fresh.append(row)
            elif known.same_content(row):
                duplicates += 1
            else:
                conflicts.append(row)
        self._add(hall, fresh)
        return Committed(fresh, duplicates, conflicts)

    def _stored(self, hall: str, ids: list[str]) -> dict[str, Row]:
        found: dict[str, Row] = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            cursor = self._db.execute(
                f"SELECT {_FIELDS} FROM events WHERE hall = ? AND id IN ({marks})", (hall, *chunk)
            )
            found.update((r[0], Row(*r)) for r in cursor)
        return found

    def day_rows(self, hall: str, day: str) -> list[Row]:
        """The stored events of ``hall`` on local date ``day`` that may be applied
        (not quarantined), in event time."""
        with self._lock:
            cursor = self._db.execute(
                f"SELECT {_FIELDS} FROM events WHERE hall = ? AND day = ? AND {_APPLIED} "
                "ORDER BY ts_us, id",
                (hall, day),
            )
            return [Row(*r) for r in cursor]

    def probe(self) -> None:
        """Commit a one-row write (``sqlite3.Error`` if the store cannot take one)."""
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute(PROBE, (time.time_ns() // 1000,))
                db.execute("COMMIT")
            except BaseException as exc:
                roll_back(db, exc)
                raise

    def free_bytes(self) -> int | None:
        """Bytes this process may still write on the store's file system (None
        for ``:memory:``)."""
        return free_bytes(self.path)

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
                    "INSERT OR IGNORE INTO quarantine SELECT hall, id, ?, 'future' FROM events "
                    "WHERE hall = ? AND day >= ? AND ts_us > ?",
                    (time.time_ns() // 1000, hall, earliest_day, limit_us),
                )
                db.execute("COMMIT")
            except BaseException as exc:
                roll_back(db, exc)
                raise
        return cursor.rowcount

    def quarantined(self, hall: str, limit: int) -> tuple[int, list[tuple[Row, int, str]]]:
        """How many events of ``hall`` are quarantined, and the latest ``limit``
        of them by event time, each with the Unix microseconds it was
        quarantined and why."""
        with self._lock:
            (total,) = self._db.execute(
                "SELECT count(*) FROM quarantine WHERE hall = ?", (hall,)
            ).fetchone()
            cursor = self._db.execute(
                "SELECT e.id, e.ts_us, e.day, e.kind, e.ticket, e.service, e.segment, "
                "e.counter, e.utc_offset_s, q.received_us, q.reason FROM quarantine q "
                "JOIN events e ON e.hall = q.hall AND e.id = q.id WHERE q.hall = ? "
                "ORDER BY e.ts_us DESC, e.id LIMIT ?",
                (hall, limit),
            )
            return int(total), [(Row(*r[:9]), int(r[9]), str(r[10])) for r in cursor]

    def conflicts(self, hall: str, limit: int) -> tuple[int, list[tuple[Row, dict[str, str], int]]]:
        """How many conflicting versions of ``hall`` are recorded, and the latest
        ``limit`` of them: the stored event, the version received (event
        format) and the Unix microseconds it first came."""
        with self._lock:
            (total,) = self._db.execute(
                "SELECT count(*) FROM conflicts WHERE hall = ?", (hall,)
            ).fetchone()
            cursor = self._db.execute(
                "SELECT e.id, e.ts_us, e.day, e.kind, e.ticket, e.service, e.segment, "
                "e.counter, e.utc_offset_s, c.event, c.received_us FROM conflicts c "
                "JOIN events e ON e.hall = c.hall AND e.id = c.id WHERE c.hall = ? "
                "ORDER BY c.received_us DESC, c.id, c.event LIMIT ?",
                (hall, limit),
            )
            return int(total), [(Row(*r[:9]), json.loads(r[9]), int(r[10])) for r in cursor]

    def labels(self, hall: str, day: str) -> list[tuple[str, str]]:
        """The unknown names ``hall`` publishes under their own name on ``day``,
        as (dimension, name)."""
        with self._lock:
            cursor = self._db.execute(
                "SELECT dimension, name FROM labels WHERE hall = ? AND day = ? "
                "ORDER BY dimension, name",
                (hall, day),
            )
            return [(str(d), str(n)) for d, n in cursor]

    def remember_labels(self, hall: str, labels: Sequence[tuple[str, str, str]]) -> None:
        """Record (day, dimension, name) as published by ``hall``."""
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany(
                    "INSERT OR IGNORE INTO labels VALUES (?, ?, ?, ?)",
                    [(hall, *label) for label in labels],
                )
                db.execute("COMMIT")
            except BaseException as exc:
                roll_back(db, exc)
                raise

    def intake(self, hall: str, day: str) -> tuple[int, int]:
        """Bytes and events ``hall`` stored on its local (wall-clock) ``day``."""
        with self._lock:
            found = self._db.execute(
                "SELECT bytes, events FROM intake WHERE hall = ? AND day = ?", (hall, day)
            ).fetchone()
        return (0, 0) if found is None else (int(found[0]), int(found[1]))

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


@cache
def insert_sql(n_rows: int) -> str:
    """One ``INSERT`` of ``n_rows`` events of one hall: ``?1`` the hall, then
    each row's nine fields (a plain ``?`` numbers on from the largest before
    it). A statement of many rows costs SQLite less CPU than ``executemany``
    of one row each (3.0 against 4.1 us a row with the commit, batches of 500,
    WAL, ``synchronous=FULL``), and gives up the GIL once, not once a row: with
    another batch being read meanwhile, each hand-back of the GIL could wait
    for that thread's switch interval."""
    row = "(?1" + ", ?" * 9 + ")"
    return "INSERT INTO events VALUES " + ", ".join([row] * n_rows)


def _event_text(hall: str, row: Row) -> str:
    return json.dumps(row.event(hall), ensure_ascii=False, sort_keys=True)
