"""Which notifications were sent, kept durably in the event store's SQLite file
(a table of its own, a connection of its own with ``synchronous=FULL``, every
change one ``BEGIN IMMEDIATE`` transaction, as the model registry writes).

A notification is sent in three steps, so that a crash never sends one twice:

1. :meth:`Ledger.claim` commits the intent (``sending``) before anything is sent;
   a notification already in the ledger in any state is not claimed again;
2. the notifier sends it;
3. :meth:`Ledger.finish` commits the outcome (``sent`` or ``failed``).

A crash between 1 and 3 leaves ``sending``: whether the gateway got the message
is unknown. Such an intent is never sent again (at most once), unless the
gateway drops repeats by the ``Idempotency-Key`` (``resend_unconfirmed``):
then it is claimed once more after the restart and sent with the same key,
and the gateway keeps it to one (at least once on the wire, once to the holder).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from monitor.core.storefile import immediate

SCHEMA = """
CREATE TABLE IF NOT EXISTS notifications (
    hall TEXT NOT NULL,
    day TEXT NOT NULL,         -- the hall's local date, ISO
    ticket TEXT NOT NULL,
    kind TEXT NOT NULL,        -- what was said: soon
    state TEXT NOT NULL,       -- sending, sent or failed
    attempts INTEGER NOT NULL, -- claims: 2 after a resend of an unconfirmed intent
    claimed_us INTEGER NOT NULL,
    done_us INTEGER,
    detail TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (hall, day, ticket, kind)
) WITHOUT ROWID;
"""
SENDING, SENT, FAILED = "sending", "sent", "failed"


@dataclass(frozen=True)
class NoteKey:
    """One notification: ``kind`` of ticket ``ticket`` of ``hall`` on its local ``day``."""

    hall: str
    day: str
    ticket: str
    kind: str

    @property
    def idempotency_key(self) -> str:
        """The same for every attempt at this notification, across restarts."""
        return f"hallmon:{self.hall}:{self.day}:{self.ticket}:{self.kind}"


@dataclass(frozen=True)
class NoteRecord:
    key: NoteKey
    state: str
    attempts: int
    detail: str


class Ledger:
    """The notification table of the store at ``path`` (created when missing)."""

    def __init__(self, path: str | Path) -> None:
        self._db = sqlite3.connect(
            str(path), check_same_thread=False, isolation_level=None, timeout=10.0
        )
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock, immediate(self._db) as db:
            yield db

    def claim(self, key: NoteKey, *, resend_unconfirmed: bool = False) -> int:
        """Record the intent to send ``key`` and return the attempt it is (1; 2
        for an unconfirmed intent claimed again with ``resend_unconfirmed``), or
        0 when it must not be sent: already sent, failed or, by default, an
        intent whose outcome a crash left unknown."""
        now_us = time.time_ns() // 1000
        where = (key.hall, key.day, key.ticket, key.kind)
        with self._write() as db:
            row = db.execute(
                "SELECT state, attempts FROM notifications "
                "WHERE hall = ? AND day = ? AND ticket = ? AND kind = ?",
                where,
            ).fetchone()
            if row is None:
                db.execute(
                    "INSERT INTO notifications VALUES (?, ?, ?, ?, ?, 1, ?, NULL, '')",
                    (*where, SENDING, now_us),
                )
                return 1
            state, attempts = row
            if state != SENDING or not resend_unconfirmed or attempts > 1:
                return 0
            db.execute(
                "UPDATE notifications SET attempts = ?, claimed_us = ? "
                "WHERE hall = ? AND day = ? AND ticket = ? AND kind = ?",
                (attempts + 1, now_us, *where),
            )
            return int(attempts) + 1

    def finish(self, key: NoteKey, state: str, detail: str = "") -> None:
        """Record the outcome of a claimed notification (``sent`` or ``failed``)."""
        with self._write() as db:
            db.execute(
                "UPDATE notifications SET state = ?, done_us = ?, detail = ? "
                "WHERE hall = ? AND day = ? AND ticket = ? AND kind = ?",
                (state, time.time_ns() // 1000, detail[:500], key.hall, key.day, key.ticket,
                 key.kind),
            )  # fmt: skip

    def known(self, hall: str, day: str) -> dict[tuple[str, str], str]:
        """The day's notifications of ``hall``: (ticket, kind) -> state."""
        with self._lock:
            rows = self._db.execute(
                "SELECT ticket, kind, state FROM notifications WHERE hall = ? AND day = ?",
                (hall, day),
            ).fetchall()
        return {(ticket, kind): state for ticket, kind, state in rows}

    def prune(self, hall: str, before_day: str) -> int:
        """Delete ``hall``'s records of every day before ``before_day`` (ISO);
        returns how many went. Only today's records stop a second message, so
        older ones are history, kept as long as ``notify.keep`` says."""
        with self._write() as db:
            cur = db.execute(
                "DELETE FROM notifications WHERE hall = ? AND day < ?", (hall, before_day)
            )
            return cur.rowcount

    def records(self, hall: str) -> list[NoteRecord]:
        """Every notification of ``hall``, oldest claim first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT day, ticket, kind, state, attempts, detail FROM notifications "
                "WHERE hall = ? ORDER BY claimed_us",
                (hall,),
            ).fetchall()
        return [NoteRecord(NoteKey(hall, d, t, k), s, int(a), x) for d, t, k, s, a, x in rows]
