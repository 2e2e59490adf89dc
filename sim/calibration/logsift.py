"""The first half of reading a log in columns (:func:`sifted_batches`): the
batches of :func:`~sim.eventlog.columns.read_batches` with the resent events
dropped and the tickets numbered in the order they are first issued, as
:class:`Sifted` columns. :mod:`sim.calibration.logread` gathers them.

The two halves keep no state in common, so with ``workers`` above 1 this half
runs in a process of its own and hands its batches over a pipe while the
caller gathers the ones before: the same columns, in the same order, read in
about the time of the slower half. Its strings cross the pipe marshalled.
"""

from __future__ import annotations

import marshal
from collections.abc import Generator
from contextlib import closing
from dataclasses import dataclass, fields
from itertools import compress, filterfalse, repeat
from operator import attrgetter
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from sim.eventlog.columns import EventBatch, EventTimes, read_batches
from sim.eventlog.events import KINDS, ReadStats

K = {kind: np.int8(code) for code, kind in enumerate(KINDS)}
OPENED, CLOSED = K["counter_opened"], K["counter_closed"]
ISSUES, REMOTE = [K["ticket_issued"], K["remote_ticket_issued"]], K["remote_ticket_issued"]
CALLED, NO_SHOW, CHECK_IN = K["ticket_called"], K["ticket_no_show"], K["ticket_checked_in"]
TICKET_LATER = [CALLED, K["service_ended"], K["ticket_abandoned"], NO_SHOW, CHECK_IN]
T = TypeVar("T")
_MARSHAL_V = 0  # no references kept: every string is its own (as fast, and less to loads)
_TEXT = ("ids", "ticket", "counter", "service", "segment", "hall")  # lists of strings


@dataclass
class Columns(EventTimes):
    """One batch of events as the gathering reads them: per event its
    :class:`~sim.eventlog.columns.EventTimes`, id, ticket and counter (None
    where none); the rows that issue a ticket (``issues``) with their service
    and segment, and the rows that issue one or open or close a counter
    (``starts``) with their hall."""

    ids: list[str]
    ticket: list[str | None]
    counter: list[str | None]
    issues: np.ndarray
    service: list[str]
    segment: list[str]
    starts: np.ndarray
    hall: list[str]

    @classmethod
    def of(cls, b: EventBatch) -> Columns:
        rows = b.rows
        issues = np.flatnonzero(np.isin(b.kind, ISSUES))
        starts = np.flatnonzero(np.isin(b.kind, [*ISSUES, OPENED, CLOSED]))
        issuing = list(map(rows.__getitem__, issues.tolist()))
        return cls(
            b.line,
            b.kind,
            b.epoch_s,
            b.tod_s,
            b.day,
            b.offset_s,
            list(map(attrgetter("id"), rows)),
            list(map(attrgetter("ticket"), rows)),
            list(map(attrgetter("counter"), rows)),
            issues,
            list(map(attrgetter("service"), issuing)),
            list(map(attrgetter("segment"), issuing)),
            starts,
            list(map(attrgetter("hall"), map(rows.__getitem__, starts.tolist()))),
        )

    def subset(self, keep: np.ndarray) -> Columns:
        """The events where ``keep`` is True."""
        if keep.all():
            return self
        kind, kept = self.kind[keep], keep.tolist()
        return Columns(
            *self.times_at(keep),
            list(compress(self.ids, kept)),
            list(compress(self.ticket, kept)),
            list(compress(self.counter, kept)),
            np.flatnonzero(np.isin(kind, ISSUES)),
            list(compress(self.service, keep[self.issues].tolist())),
            list(compress(self.segment, keep[self.issues].tolist())),
            np.flatnonzero(np.isin(kind, [*ISSUES, OPENED, CLOSED])),
            list(compress(self.hall, keep[self.starts].tolist())),
        )

    def __getstate__(self) -> dict[str, Any]:
        state = {f.name: getattr(self, f.name) for f in fields(self)}
        # marshalled together: the pickler's memo of a million distinct
        # strings costs more than the strings do
        state["_text"] = marshal.dumps(tuple(state.pop(name) for name in _TEXT), _MARSHAL_V)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state.update(zip(_TEXT, marshal.loads(state.pop("_text")), strict=True))
        self.__dict__.update(state)


def take(values: list[T], rows: np.ndarray) -> np.ndarray:
    """``values`` at ``rows`` (indices, or a mask as long) as an object array."""
    if rows.dtype == bool:
        return np.fromiter(compress(values, rows.tolist()), dtype=object, count=int(rows.sum()))
    return np.fromiter(map(values.__getitem__, rows.tolist()), dtype=object, count=len(rows))


@dataclass
class Sifted:
    """A batch's :class:`Columns` with the resent events dropped
    (``resent_lines``: theirs), each event's ticket as its number (``code``:
    -1 without a ticket or naming one not issued yet) and the tickets first
    issued in the batch (``new_tickets``, in number order)."""

    columns: Columns
    resent_lines: np.ndarray
    code: np.ndarray
    new_tickets: list[str | None]  # never None: every issue names its ticket


class Sifter:
    """The ids seen and the tickets numbered so far, batch to batch."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.code_of: dict[str | None, int] = {}

    def sift(self, c: Columns) -> Sifted:
        keep = self._first_sightings(c.ids)
        resent_lines = c.line[~keep]
        c = c.subset(keep)
        code_of: dict[str | None, int] = self.code_of
        start = len(code_of)
        issued = list(map(c.ticket.__getitem__, c.issues.tolist()))  # a str on every issue
        # number the tickets not seen before in the order they first come
        new_tickets = list(filterfalse(code_of.__contains__, dict.fromkeys(issued)))
        code_of.update(zip(new_tickets, range(start, start + len(new_tickets)), strict=True))
        code = np.full(len(c.line), -1, dtype=np.int64)
        code[c.issues] = np.fromiter(map(code_of.__getitem__, issued), np.int64, len(issued))
        later = np.flatnonzero(np.isin(c.kind, TICKET_LATER))
        named = map(code_of.get, map(c.ticket.__getitem__, later.tolist()), repeat(-1))
        code[later] = np.fromiter(named, np.int64, len(later))
        return Sifted(c, resent_lines, code, new_tickets)

    def _first_sightings(self, ids: list[str]) -> np.ndarray:
        """False for an id seen before: a resent event, kept once."""
        keep = np.ones(len(ids), dtype=bool)
        seen, before = self.seen, len(self.seen)
        if seen.isdisjoint(ids):  # two passes over the ids, not three with set(ids)
            seen.update(ids)
            if len(seen) - before == len(ids):
                return keep
            first: dict[str, int] = {}  # resent within the batch: its first line is kept
            for i, event_id in enumerate(ids):
                keep[i] = first.setdefault(event_id, i) == i
            return keep
        for i, event_id in enumerate(ids):
            if event_id in seen:
                keep[i] = False
            else:
                seen.add(event_id)
        return keep


def sifted_batches(
    path: str | Path, lenient: bool, stats: ReadStats, workers: int = 1
) -> Generator[Sifted, None, None]:
    """The JSON Lines log at ``path`` sifted batch by batch, its lines decoded
    in this process or (``workers`` above 1) in a process of its own; a bad
    line raises its :class:`~sim.eventlog.events.EventError` after the batches
    before it, as :func:`~sim.eventlog.columns.read_batches` does. Close the
    iterator when stopping early: it stops the process."""
    sifter = Sifter()
    batches = (
        _from_process(path, lenient, stats)
        if workers > 1
        else (Columns.of(b) for b in read_batches(path, lenient=lenient, stats=stats))
    )
    with closing(batches):
        for columns in batches:
            yield sifter.sift(columns)


def _decode_into(path: str, lenient: bool, conn: Any) -> None:
    """The worker process: each batch's columns, then the reader's counts and
    its error (None if none) sent on ``conn``."""
    stats = ReadStats()
    error: BaseException | None = None
    try:
        for batch in read_batches(path, lenient=lenient, stats=stats):
            conn.send(Columns.of(batch))
    except Exception as exc:  # any error is the caller's to raise
        error = exc
    conn.send((stats, error))
    conn.close()


def _from_process(
    path: str | Path, lenient: bool, stats: ReadStats
) -> Generator[Columns, None, None]:
    # imported here: only a read with workers pays for multiprocessing's import
    import multiprocessing

    with open(path, "rb"):  # a file that cannot be read fails here, as in one process
        pass
    receive, send = multiprocessing.Pipe(duplex=False)
    worker = multiprocessing.Process(target=_decode_into, args=(str(path), lenient, send))
    worker.daemon = True
    worker.start()
    send.close()
    try:
        while not isinstance(got := receive.recv(), tuple):
            yield got
        seen, error = got
        stats.lines += seen.lines
        stats.events += seen.events
        stats.skipped.update(seen.skipped)
        stats.examples += seen.examples[: max(0, 5 - len(stats.examples))]
        if error is not None:
            raise error
    finally:
        receive.close()
        if worker.is_alive():  # the caller stopped early: a consistency error
            worker.terminate()
        worker.join()
