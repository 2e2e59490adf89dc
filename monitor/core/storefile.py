"""The event store's file: its schema, how it is opened and checked, and how
a store written by an older exporter is brought up to date (for
:mod:`monitor.core.store`)."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

from monitor.core.storelock import StoreError

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
CREATE TABLE IF NOT EXISTS quarantine (  -- stored events never applied, and why
    hall TEXT NOT NULL,
    id TEXT NOT NULL,
    received_us INTEGER NOT NULL,  -- Unix microseconds when it was quarantined
    reason TEXT NOT NULL DEFAULT 'future',
    PRIMARY KEY (hall, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS conflicts (  -- other content sent under a stored id
    hall TEXT NOT NULL,
    id TEXT NOT NULL,
    event TEXT NOT NULL,           -- the version received, as event-format JSON
    received_us INTEGER NOT NULL,  -- Unix microseconds when it first came
    PRIMARY KEY (hall, id, event)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS labels (  -- unknown names published under their own name
    hall TEXT NOT NULL,
    day TEXT NOT NULL,
    dimension TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (hall, day, dimension, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS intake (  -- what each hall stored on each local day (wall clock)
    hall TEXT NOT NULL,
    day TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    events INTEGER NOT NULL,
    PRIMARY KEY (hall, day)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS probe (one INTEGER PRIMARY KEY, at_us INTEGER NOT NULL);
"""
COLUMNS = {
    "events": ("hall", "id", "ts_us", "day", "kind", "ticket", "service", "segment", "counter",
               "utc_offset_s"),
    "quarantine": ("hall", "id", "received_us", "reason"),
    "conflicts": ("hall", "id", "event", "received_us"),
    "labels": ("hall", "day", "dimension", "name"),
    "intake": ("hall", "day", "bytes", "events"),
    "probe": ("one", "at_us"),  # a write that tells whether the store takes writes again
}  # fmt: skip
# tables of older exporters, and the statements that bring each up to date
UPGRADES = {
    ("quarantine", ("hall", "id", "received_us")): (
        "ALTER TABLE quarantine ADD COLUMN reason TEXT NOT NULL DEFAULT 'future'"
    ),
}
INSERT = "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
PROBE = "INSERT OR REPLACE INTO probe VALUES (1, ?)"
_FULL_BYTES = 1 << 20  # a file system with less free is full for a database


def _directory(path: str) -> str:
    """The directory of the store at ``path``."""
    return os.path.dirname(os.path.realpath(path)) or "."


def _file_system(path: str) -> os.statvfs_result | None:
    """The file system of the store at ``path`` (None for ``:memory:`` or when
    it cannot be told)."""
    if path == ":memory:":
        return None
    try:
        return os.statvfs(_directory(path))
    except OSError:
        return None


def free_bytes(path: str) -> int | None:
    """Bytes this process may still write on the file system of the store at
    ``path`` (None for ``:memory:`` or when it cannot be told)."""
    stats = _file_system(path)
    return None if stats is None else stats.f_bavail * stats.f_frsize


def directory_problem(path: str) -> str | None:
    """Why the directory of the store at ``path`` cannot be written, or None.
    SQLite creates its journal there (``<store>-wal``, ``<store>-shm``), so a
    writable store file in a read-only directory cannot be served."""
    directory = _directory(path)
    if path == ":memory:" or os.access(directory, os.W_OK):
        return None
    stats = _file_system(path)
    reason = (
        "its file system is read-only" if stats is not None and stats.f_flag & os.ST_RDONLY
        else f"user id {os.geteuid()} may not write to it"
    )  # fmt: skip
    name = os.path.basename(path)
    return (
        f"the store's directory {directory} is not writable ({reason}); SQLite writes "
        f"its journal ({name}-wal, {name}-shm) next to the store"
    )


def roll_back(db: sqlite3.Connection, failure: BaseException) -> None:
    """End the failed transaction. SQLite may have rolled it back already (a
    full disk, an I/O error): then there is nothing to do, and a ROLLBACK that
    fails must not replace the error that failed the batch (it is noted on it)."""
    if not db.in_transaction:
        return
    try:
        db.execute("ROLLBACK")
    except sqlite3.Error as exc:
        failure.add_note(f"and the rollback failed too: {exc}")


@contextmanager
def immediate(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction on ``db`` (autocommit mode): ``BEGIN IMMEDIATE``
    (the write lock taken at once, so a busy store waits at the start, not
    at the commit), committed when the block ends, rolled back when it raises."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


def open_store(path: str, synchronous: str, *, check: bool) -> sqlite3.Connection:
    """A connection to the store at ``path``, checked (``check``), brought up
    to date and proven writable; :class:`StoreError` for a store that cannot
    be served."""
    try:
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the store: {exc}") from None
    try:
        upgrades = _check(db) if check else _tables(db)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"PRAGMA synchronous={synchronous.upper()}")
        if statements := _upgrades(upgrades):
            db.execute("BEGIN IMMEDIATE")
            for statement in statements:
                db.execute(statement)
            db.execute("COMMIT")
        db.executescript(SCHEMA)
        # a store that can be read but not written fails here, not at the first batch
        db.execute("BEGIN IMMEDIATE")
        db.execute(PROBE, (time.time_ns() // 1000,))
        db.execute("COMMIT")
    except (sqlite3.DatabaseError, OSError) as exc:
        db.close()
        raise StoreError(why(exc, path)) from None
    except StoreError:
        db.close()
        raise
    return db


def why(exc: sqlite3.DatabaseError | OSError, path: str) -> str:
    """What a store error means for whoever runs hallmon."""
    text = str(exc)
    # SQLite cannot create its journal: say that it is the directory
    cannot_open = "unable to open" in text or "readonly" in text
    if cannot_open and (problem := directory_problem(path)) is not None:
        return f"{problem} (SQLite: {text})"
    if isinstance(exc, OSError):
        return f"cannot use the store: {exc.strerror or text}"
    if isinstance(exc, sqlite3.OperationalError) and "readonly" in text:
        return f"the store is read-only ({text}); hallmon must write to it"
    if "disk is full" in text or "disk I/O" in text:
        free = free_bytes(path)
        if free is not None and free < _FULL_BYTES:
            return f"the store's file system is full ({free} bytes free; SQLite: {text})"
        return f"the store cannot be written ({text}): is its disk failing?"
    if "not a database" in text or "malformed" in text:
        return f"the store is damaged or not a SQLite database ({text})"
    return f"cannot use the store: {text}"


def _tables(db: sqlite3.Connection) -> dict[str, tuple[str, ...]]:
    return {
        name: tuple(col[1] for col in db.execute(f"PRAGMA table_info('{name}')"))
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
    }


def _upgrades(tables: dict[str, tuple[str, ...]]) -> list[str]:
    return [UPGRADES[item] for item in tables.items() if item in UPGRADES]


def _check(db: sqlite3.Connection) -> dict[str, tuple[str, ...]]:
    """The store's tables; :class:`StoreError` for a damaged store (``PRAGMA
    quick_check``) and one whose tables are not an event store's (another
    program's database, or another schema)."""
    problems = [r[0] for r in db.execute("PRAGMA quick_check(5)")]
    if problems != ["ok"]:
        raise StoreError("the store is damaged (quick_check: " + "; ".join(problems) + ")")
    tables = _tables(db)
    if tables and "events" not in tables:
        names = ", ".join(sorted(tables))
        raise StoreError(f"not a hallmon event store: it has no table events (it has {names})")
    for name, columns in COLUMNS.items():
        if name in tables and tables[name] != columns and (name, tables[name]) not in UPGRADES:
            raise StoreError(
                f"not a hallmon event store: table {name} has columns "
                f"({', '.join(tables[name])}), not ({', '.join(columns)})"
            )
    return tables
