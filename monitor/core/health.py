"""Whether the event store takes writes: what ``/readyz`` says of it.

A batch the store cannot take (a full disk, an I/O error) is refused and the
monitor is not ready until a write succeeds again: a batch, or, once no batch
has failed for :data:`STORE_RETRY_S`, a probe write (at most one a second).
A probe may pass on a full disk (it reuses pages the store already has), so
the store's file system must also have room for :data:`HEADROOM_BATCHES`
batches of ``max_body_bytes``, which is checked at start too.
"""

from __future__ import annotations

import sqlite3
import time

from monitor.core.store import EventStore

STORE_RETRY_S = 5  # Retry-After of a batch the store could not take
HEADROOM_BATCHES = 2  # the store's file system must have room for this many
_PROBE_EVERY_S = 1.0  # while writes fail, a probe is tried at most this often


class StoreHealth:
    """The store's last write error until a write succeeds."""

    def __init__(self, max_body_bytes: int) -> None:
        self.needed_bytes = HEADROOM_BATCHES * max_body_bytes
        self.error: str | None = None  # why the last write failed, until one succeeds
        self.failed_s = self._probed_s = float("-inf")  # time.monotonic() of each

    def failed(self, why: str) -> None:
        self.error = why
        self.failed_s = time.monotonic()

    def succeeded(self) -> None:
        self.error = None

    def room_problem(self, store: EventStore) -> str | None:
        """Why ``store``'s file system cannot take :data:`HEADROOM_BATCHES`
        full batches, or None when it can (or is in memory)."""
        free = store.free_bytes()
        if free is None or free >= self.needed_bytes:
            return None
        return (
            f"the store's file system has {free} bytes free; hallmon needs room for "
            f"{HEADROOM_BATCHES} batches of max_body_bytes ({self.needed_bytes} bytes)"
        )

    def writable(self, store: EventStore | None) -> bool:
        """Whether the store takes writes (see the module docstring)."""
        if self.error is None:
            return True
        now = time.monotonic()
        if store is None or now - self.failed_s < STORE_RETRY_S:
            return False  # batches are failing now: a small probe would say little
        if now - self._probed_s < _PROBE_EVERY_S:
            return False
        self._probed_s = now
        try:
            store.probe()
        except sqlite3.Error as exc:
            self.error = str(exc)
            return False
        self.error = self.room_problem(store)
        return self.error is None
