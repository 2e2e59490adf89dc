"""Reading a log for :mod:`sim.calibration.fit`: :func:`collect` streams events
into per-ticket records and counter spans, checking what the reader cannot (a
ticket event for a ticket never issued, a ticket issued twice, lines out of
time order; an id seen before is the same event resent and is kept once).

Times of day are the wall clock of each event's own UTC offset; a ticket's
later events are measured from the midnight of the day it was issued.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import starmap

import msgspec
import numpy as np

from sim.eventlog.events import ISSUE_KINDS, Event
from sim.model.errors import InputError

_ZERO = timedelta(0)
_DAY_KINDS = frozenset(
    {"ticket_issued", "remote_ticket_issued", "counter_opened", "counter_closed"}
)


class FitError(InputError):
    """A log that cannot be fitted (or, read strictly, a line that breaks the
    log's consistency: ``source:line: message``)."""


class _Ticket(msgspec.Struct, gc=False):  # a Struct: a log has hundreds of thousands
    day: date
    midnight: float  # epoch seconds of the local midnight of the issue day
    issued_s: float
    service: str
    segment: str
    called_s: float = math.nan
    ended_s: float = math.nan
    abandoned_s: float = math.nan
    counter: str = ""
    no_show: bool = False
    remote: bool = False  # issued remotely (``remote_ticket_issued``)
    checked_in_s: float = math.nan  # a remote holder's check-in at the hall


@dataclass(frozen=True)
class TicketColumns:
    """Every ticket of a log as columns, in the order they were issued: per
    ticket its name, issue date (ordinal), the epoch seconds of that day's local
    midnight, issue time of day, service, segment, the times of its last call,
    end and give-up (NaN where none), the counter of its last call ("" if none),
    whether it ended as a no-show, whether it was issued remotely and its
    holder's check-in. What :class:`_Ticket` holds, as the fit reads it."""

    name: list[str]
    day: np.ndarray  # date ordinal, int64
    midnight: np.ndarray
    issued_s: np.ndarray
    service: np.ndarray  # object: str
    segment: np.ndarray
    called_s: np.ndarray
    ended_s: np.ndarray
    abandoned_s: np.ndarray
    counter: np.ndarray  # object: str
    no_show: np.ndarray  # bool
    remote: np.ndarray
    checked_in_s: np.ndarray

    @classmethod
    def of(cls, tickets: dict[str, _Ticket]) -> TicketColumns:
        values = list(tickets.values())

        def column(name: str, dtype: type | None = None) -> np.ndarray:
            return np.array([getattr(t, name) for t in values], dtype=dtype)

        return cls(
            name=list(tickets),
            day=np.array([t.day.toordinal() for t in values], dtype=np.int64),
            midnight=column("midnight"),
            issued_s=column("issued_s"),
            service=column("service", object),
            segment=column("segment", object),
            called_s=column("called_s"),
            ended_s=column("ended_s"),
            abandoned_s=column("abandoned_s"),
            counter=column("counter", object),
            no_show=column("no_show", bool),
            remote=column("remote", bool),
            checked_in_s=column("checked_in_s"),
        )

    def dates(self) -> list[date]:
        """Each ticket's issue date."""
        ordinals = self.day.tolist()
        known = {ordinal: date.fromordinal(ordinal) for ordinal in set(ordinals)}
        return list(map(known.__getitem__, ordinals))

    def tickets(self) -> dict[str, _Ticket]:
        fields = (
            self.dates(),
            self.midnight.tolist(),
            self.issued_s.tolist(),
            self.service.tolist(),
            self.segment.tolist(),
            self.called_s.tolist(),
            self.ended_s.tolist(),
            self.abandoned_s.tolist(),
            self.counter.tolist(),
            self.no_show.tolist(),
            self.remote.tolist(),
            self.checked_in_s.tolist(),
        )
        return dict(zip(self.name, starmap(_Ticket, zip(*fields, strict=True)), strict=True))


@dataclass
class LogData:
    """What :func:`collect` gathered: tickets, counter spans ``(counter, day,
    opened_s, closed_s)``, UTC offsets and halls seen (on the events that issue a
    ticket or open or close a counter), no-show delays, and consistency
    problems counted (lenient) by reason.

    A log read in columns (:func:`sim.calibration.logread.read_log`) keeps its
    tickets as :class:`TicketColumns`, which the fit reads; ``tickets`` are
    made of them the first time they are asked for."""

    spans: list[tuple[str, date, float, float]] = field(default_factory=list)
    first_s: dict[date, float] = field(default_factory=dict)
    offsets: set[timedelta] = field(default_factory=set)
    no_show_delays_s: list[float] = field(default_factory=list)
    problems: Counter[str] = field(default_factory=Counter)
    halls: set[str] = field(default_factory=set)
    events: int = 0
    _tickets: dict[str, _Ticket] | None = field(default=None, repr=False)
    _columns: TicketColumns | None = field(default=None, repr=False)

    @property
    def tickets(self) -> dict[str, _Ticket]:
        """Each ticket by its name, in the order they were issued."""
        if self._tickets is None:
            self._tickets = self._columns.tickets() if self._columns is not None else {}
        return self._tickets

    def ticket_columns(self) -> TicketColumns:
        """The tickets as columns (made afresh from ``tickets`` for a log
        gathered by :func:`collect`, which may still be adding to them)."""
        if self._columns is not None:
            return self._columns
        return TicketColumns.of(self.tickets)


def collect(
    events: Iterable[Event],
    *,
    source: str = "<events>",
    lenient: bool = False,
    line_of: Callable[[], int] | None = None,
) -> LogData:
    """Gather ``events`` (in file order). Raises :class:`FitError` naming the line
    (``line_of()``: the current line number, if given) at the first inconsistency,
    or with ``lenient`` counts it in ``problems`` (an out-of-order event is kept,
    an orphan or re-issue dropped). Repeated ids are kept once in both modes."""
    log = LogData()
    seen: set[str] = set()
    open_since: dict[str, tuple[float, date, float]] = {}
    last_epoch = -math.inf

    def problem(reason: str, message: str) -> None:
        if not lenient:
            where = f"{source}:{line_of()}" if line_of is not None else source
            raise FitError(f"{where}: {message}")
        log.problems[reason] += 1

    offsets, halls = log.offsets, log.halls
    for e in events:
        if e.id in seen:
            log.problems["duplicate_id"] += 1
            continue
        seen.add(e.id)
        ts, kind = e.ts, e.kind
        epoch = ts.timestamp()
        if epoch < last_epoch:
            problem("out_of_order", f"event {e.id}: ts {ts.isoformat()} is before the line above")
        else:
            last_epoch = epoch
        log.events += 1
        if kind in _DAY_KINDS:  # the events that start a day, a ticket or a span
            offsets.add(ts.utcoffset() or _ZERO)
            halls.add(e.hall)
            day = ts.date()
            tod = ts.hour * 3600 + ts.minute * 60 + ts.second + ts.microsecond / 1e6
            if tod < log.first_s.get(day, math.inf) and kind != "counter_closed":
                log.first_s[day] = tod
        if kind == "counter_opened":
            assert e.counter is not None
            open_since.setdefault(e.counter, (epoch - tod, day, tod))
            continue
        if kind == "counter_closed":
            assert e.counter is not None
            since = open_since.pop(e.counter, None)
            if since is not None:
                log.spans.append((e.counter, since[1], since[2], epoch - since[0]))
            continue
        assert e.ticket is not None
        if kind in ISSUE_KINDS:
            if e.ticket in log.tickets:
                problem("issued_twice", f"event {e.id}: ticket {e.ticket} is issued twice")
                continue
            assert e.service is not None and e.segment is not None
            remote = kind == "remote_ticket_issued"
            log.tickets[e.ticket] = _Ticket(
                day, epoch - tod, tod, e.service, e.segment, remote=remote
            )
            continue
        t = log.tickets.get(e.ticket)
        if t is None:
            problem("never_issued", f"event {e.id}: ticket {e.ticket} was never issued")
            continue
        at = epoch - t.midnight
        if e.kind == "ticket_checked_in":
            t.checked_in_s = at
        elif e.kind == "ticket_called":
            t.called_s, t.counter = at, e.counter or ""
        elif e.kind == "ticket_abandoned":
            t.abandoned_s = at
        else:
            t.ended_s, t.no_show = at, e.kind == "ticket_no_show"
            if t.no_show and math.isfinite(t.called_s):
                log.no_show_delays_s.append(at - t.called_s)
    return log
