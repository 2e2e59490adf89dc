"""A night's fit sent past this machine: the days a fit reads, taken from the
store by the exporter and packed into the job, so that the Dask worker that
runs it (:mod:`sim.runs.dask_executor`, ``dask:`` in the config) needs no
access to the store, only hallq installed.

Each day's rows are packed with msgpack (a few tens of bytes an event: a busy
hall's four weeks are some tens of MB, read one day at a time), and read
back on the worker as the very events :class:`~monitor.core.history.StoredEvents`
gives a fit that runs beside the store, so a fit on the cluster and a local
one see the same log.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import msgspec

from monitor.core.history import StoredEvents, row_event
from monitor.core.rows import Row
from sim.eventlog.events import Event

_ROWS = msgspec.msgpack.Decoder(list[Row])


@dataclass(frozen=True)
class NightLog:
    """The stored days of one hall a night's fit reads: those to fit (packed,
    oldest first) and the held-out days with theirs."""

    hall: str
    fit: tuple[bytes, ...]
    held: tuple[tuple[date, bytes], ...]

    def fit_events(self) -> Iterator[Event]:
        """The events to fit, in log order, one day unpacked at a time."""
        for packed in self.fit:
            yield from self._events(packed)

    def held_events(self) -> list[tuple[date, list[Event]]]:
        """Each held-out day with its events."""
        return [(day, list(self._events(packed))) for day, packed in self.held]

    def _events(self, packed: bytes) -> Iterator[Event]:
        for row in _ROWS.decode(packed):
            yield row_event(self.hall, row)


def read_night(
    store: str | Path, hall_id: str, fit_days: Sequence[date], holdout: Sequence[date]
) -> NightLog:
    """The :class:`NightLog` of ``hall_id``: its stored days from the first to
    the last of ``fit_days`` (as a local fit reads them) and the ``holdout``
    days, read through a read-only connection of its own."""
    with StoredEvents(store) as stored:
        fit = tuple(
            msgspec.msgpack.encode(list(stored.day_rows(hall_id, found.day)))
            for found in stored.days(hall_id, fit_days[0], fit_days[-1])
        )
        held = tuple(
            (day, msgspec.msgpack.encode(list(stored.day_rows(hall_id, day)))) for day in holdout
        )
    return NightLog(hall_id, fit, held)
