"""One exporter per event store: an exclusive ``flock`` on ``<store>.lock``.

Two servers on one store would each apply only the batches they received and
publish diverging counts, so the first to start holds the lock for as long as it
runs and a second one is refused (:class:`StoreError`, ``hallmon serve`` exits
2). The kernel drops the lock when the process dies, ``kill -9`` included, so a
crash never leaves a stale lock behind; the file itself stays (it holds the pid
of the last holder, for the message). Within one process the lock is shared:
``hallmon serve`` takes it before checking the store and the app's store opens
under the same hold, and a store checked while the hold lasted need not be
checked again (no other process can have written it).
"""

from __future__ import annotations

import fcntl
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from sim.model.errors import InputError

MEMORY = ":memory:"


class StoreError(InputError):
    """An event store that cannot be served: held by another exporter, damaged,
    not an event store, or not writable. The message says why (the caller
    names the store)."""


@dataclass
class _Held:
    fd: int
    path: str
    holders: int = 1
    checked: bool = False  # quick_check passed while this hold lasted


_held: dict[str, _Held] = {}
_guard = threading.Lock()


def lock_file(store: str | Path) -> str:
    """The lock file of ``store``: next to it, ``<name>.lock``."""
    return os.path.realpath(store) + ".lock"


class StoreLock:
    """A hold on a store's lock; :meth:`release` once. ``:memory:`` needs none."""

    def __init__(self, store: str | Path) -> None:
        self.key = None if str(store) == MEMORY else os.path.realpath(store)
        if self.key is None:
            return
        with _guard:
            held = _held.get(self.key)
            if held is not None:
                held.holders += 1
                return
            _held[self.key] = _acquire(self.key + ".lock")

    @property
    def checked(self) -> bool:
        """Whether the store was checked while this process held the lock."""
        if self.key is None:
            return False
        with _guard:
            return _held[self.key].checked

    def mark_checked(self) -> None:
        if self.key is not None:
            with _guard:
                _held[self.key].checked = True

    def release(self) -> None:
        """Give up this hold; the lock itself goes with the last one."""
        key, self.key = self.key, None
        if key is None:
            return
        with _guard:
            held = _held[key]
            held.holders -= 1
            if held.holders == 0:
                del _held[key]
                os.close(held.fd)  # closing the descriptor drops the flock


def _acquire(path: str) -> _Held:
    existed = os.path.lexists(path)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StoreError(
            f"cannot {'open' if existed else 'create'} the lock file {path}: {exc.strerror} "
            "(hallmon writes its lock, and SQLite its journal, next to the store)"
        ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
        os.close(fd)
        raise StoreError(
            f"another hallmon (pid {holder}) is serving this store (it holds {path}); "
            "stop it first, or give this one its own store"
        ) from None
    except OSError as exc:
        os.close(fd)
        raise StoreError(f"cannot lock {path}: {exc.strerror}") from None
    try:  # the holder's pid, for the message another exporter gives
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
    except OSError as exc:  # a full file system, a failing disk
        os.close(fd)
        raise StoreError(f"cannot write the lock file {path}: {exc.strerror}") from None
    return _Held(fd, path)
