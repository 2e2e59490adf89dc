"""A log file read into :class:`~sim.calibration.logdata.LogData` batch by
batch (:func:`read_log`): what :func:`~sim.calibration.logdata.collect` does
event by event, done on columns, with the same result: the same tickets in the
same order, the same spans, days and no-show delays, the same problems counted
or, read strictly, the first of them raised, naming the same event. JSON Lines
logs take the fast reader (:mod:`sim.eventlog.columns`); CSV logs go through
:func:`~sim.eventlog.events.read_csv` and ``collect``.

One difference: a consistency problem read strictly names the event's line in
the file, where ``collect`` can only count the events read so far (the same
number unless the log has blank lines).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from itertools import compress, filterfalse, repeat
from operator import attrgetter
from pathlib import Path

import numpy as np
from pydantic import TypeAdapter

from sim.calibration.logdata import FitError, LogData, TicketColumns, collect
from sim.eventlog.columns import EventBatch, read_batches
from sim.eventlog.events import KINDS, ReadStats, Timestamp, event_format, read_csv

_K = {kind: np.int8(code) for code, kind in enumerate(KINDS)}
_OPENED, _CLOSED = _K["counter_opened"], _K["counter_closed"]
_ISSUES, _REMOTE = [_K["ticket_issued"], _K["remote_ticket_issued"]], _K["remote_ticket_issued"]
_CALLED, _NO_SHOW, _CHECK_IN = _K["ticket_called"], _K["ticket_no_show"], _K["ticket_checked_in"]
_TICKET_LATER = [_CALLED, _K["service_ended"], _K["ticket_abandoned"], _NO_SHOW, _CHECK_IN]
_TIMESTAMP: TypeAdapter[datetime] = TypeAdapter(Timestamp)


def read_log(path: str | Path, *, lenient: bool = False, stats: ReadStats | None = None) -> LogData:
    """The log at ``path`` (``.jsonl``, ``.ndjson`` or ``.csv``) gathered as
    ``collect(read_events(path))`` would (see the module docstring); lines the
    reader skips (``lenient``) are counted in ``stats``."""
    stats = stats if stats is not None else ReadStats()
    if event_format(path) == "csv":
        with read_csv(path, lenient=lenient, stats=stats) as stream:
            return collect(
                stream, source=str(path), lenient=lenient, line_of=lambda: stats.lines + 1
            )
    return gather(read_batches(path, lenient=lenient, stats=stats), str(path), lenient)


def gather(batches: Iterable[EventBatch], source: str, lenient: bool) -> LogData:
    """``collect`` over batches of events in file order."""
    g = _Gatherer(source, lenient)
    for batch in batches:
        g.add(batch)
    return g.finish()


class _Gatherer:
    """The state ``collect`` carries from event to event, carried from batch to
    batch; tickets are numbered (``code``) in the order they are first named."""

    def __init__(self, source: str, lenient: bool) -> None:
        self.source, self.lenient = source, lenient
        self.log = LogData()
        self.seen: set[str] = set()
        self.last_epoch = -math.inf
        self.open_since: dict[str, tuple[float, date, float]] = {}
        self.dates: dict[int, date] = {}
        self.code_of: dict[str, int] = {}
        self.issue_pos = np.zeros(0)  # per code: position of its issue, inf if none
        self.midnight = np.zeros(0)  # per code: epoch seconds of its issue day's midnight
        # (code, day, tod_s, service, segment, remote)
        self.issues: list[tuple[np.ndarray, ...]] = []
        self.later: list[tuple[np.ndarray, ...]] = []  # (position, code, kind, at_s, counter)
        self.position = 0  # of the next event among those kept

    def date_of(self, ordinal: int) -> date:
        found = self.dates.get(ordinal)
        if found is None:
            found = self.dates[ordinal] = date.fromordinal(ordinal)
        return found

    def add(self, b: EventBatch) -> None:
        ids = list(map(attrgetter("id"), b.rows))
        keep = self._first_sightings(ids)
        problems = {"duplicate_id": b.line[~keep]}  # by reason, the lines it was met on
        if not keep.all():
            b, ids = b.subset(keep), list(compress(ids, keep.tolist()))
        n, log = len(b.rows), self.log
        if n:
            pos = self.position + np.arange(n)
            self.position += n
            before = np.maximum.accumulate(np.concatenate([[self.last_epoch], b.epoch_s[:-1]]))
            problems["out_of_order"] = b.line[b.epoch_s < before]
            self.last_epoch = max(self.last_epoch, float(b.epoch_s.max()))
            log.events += n
            self._days(b)
            self._counters(b)
            b.column("ticket")  # nearly every event names one: read them all once
            problems["issued_twice"] = b.line[self._issue(b, pos)]
            problems["never_issued"] = b.line[self._later(b, pos)]
        self._problems(b, ids, problems)

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

    def _days(self, b: EventBatch) -> None:
        """UTC offsets and halls of the events that issue a ticket or open or
        close a counter; each day's first issue or opening (time of day)."""
        log = self.log
        rows = np.flatnonzero(np.isin(b.kind, [*_ISSUES, _OPENED, _CLOSED]))
        log.offsets.update(timedelta(seconds=int(s)) for s in np.unique(b.offset_s[rows]))
        log.halls.update(b.column("hall", rows))
        starts = rows[b.kind[rows] != _CLOSED]
        days, first = np.unique(b.day[starts], return_index=True)
        for ordinal in days[np.argsort(first)].tolist():  # in the order they come
            tod = float(b.tod_s[starts][b.day[starts] == ordinal].min())
            day = self.date_of(ordinal)
            if tod < log.first_s.get(day, math.inf):
                log.first_s[day] = tod

    def _counters(self, b: EventBatch) -> None:
        """Counter spans, opened to closed, in file order."""
        rows = np.flatnonzero((b.kind == _OPENED) | (b.kind == _CLOSED))
        for i, counter in zip(rows.tolist(), b.column("counter", rows), strict=True):
            epoch, tod = float(b.epoch_s[i]), float(b.tod_s[i])
            if b.kind[i] == _OPENED:
                since = (epoch - tod, self.date_of(int(b.day[i])), tod)
                self.open_since.setdefault(counter, since)
                continue
            found = self.open_since.pop(counter, None)
            if found is not None:
                self.log.spans.append((counter, found[1], found[2], epoch - found[0]))

    def _issue(self, b: EventBatch, pos: np.ndarray) -> np.ndarray:
        """Tickets issued in ``b``; returns the rows that issue one issued before."""
        rows = np.flatnonzero(np.isin(b.kind, _ISSUES))
        tickets, code_of = b.column("ticket", rows).tolist(), self.code_of
        # number the tickets not seen before in the order they first come
        new_names = list(filterfalse(code_of.__contains__, dict.fromkeys(tickets)))
        start = len(code_of)
        code_of.update(zip(new_names, range(start, start + len(new_names)), strict=True))
        codes = np.fromiter(map(code_of.__getitem__, tickets), dtype=np.int64, count=len(rows))
        grow = len(code_of) - len(self.issue_pos)
        if grow:
            self.issue_pos = np.concatenate([self.issue_pos, np.full(grow, math.inf)])
            self.midnight = np.concatenate([self.midnight, np.zeros(grow)])
        _, first = np.unique(codes, return_index=True)
        new = np.zeros(len(rows), dtype=bool)
        new[first] = np.isinf(self.issue_pos[codes[first]])
        fresh, codes = rows[new], codes[new]
        self.issue_pos[codes] = pos[fresh]
        self.midnight[codes] = b.epoch_s[fresh] - b.tod_s[fresh]
        self.issues.append(
            (
                codes,
                b.day[fresh],
                b.tod_s[fresh],
                b.column("service", fresh),
                b.column("segment", fresh),
                b.kind[fresh] == _REMOTE,
            )
        )
        return rows[~new]

    def _later(self, b: EventBatch, pos: np.ndarray) -> np.ndarray:
        """Calls, ends, no-shows and give-ups of tickets issued on an earlier
        line, kept for :meth:`finish`; returns the rows naming any other ticket."""
        rows = np.flatnonzero(np.isin(b.kind, _TICKET_LATER))
        tickets = b.column("ticket", rows).tolist()
        codes = np.fromiter(
            map(self.code_of.get, tickets, repeat(-1)), dtype=np.int64, count=len(rows)
        )
        issue_pos = np.full(len(rows), math.inf)
        known = codes >= 0
        issue_pos[known] = self.issue_pos[codes[known]]
        valid = issue_pos < pos[rows]
        ok, codes = rows[valid], codes[valid]
        at_s = b.epoch_s[ok] - self.midnight[codes]
        self.later.append((pos[ok], codes, b.kind[ok], at_s, b.column("counter", ok)))
        return rows[~valid]

    def _problems(self, b: EventBatch, ids: list[str], found: dict[str, np.ndarray]) -> None:
        """Count the batch's problems (``found``: their lines, by reason) in the
        order ``collect`` meets them, or raise the first one when reading
        strictly (a resent event is counted either way)."""
        found = {reason: lines for reason, lines in found.items() if len(lines)}
        raising = [reason for reason in found if reason != "duplicate_id"]
        if raising and not self.lenient:
            # at one event, its time is checked before its ticket
            reason = min(raising, key=lambda r: (int(found[r][0]), r != "out_of_order"))
            line = int(found[reason][0])
            i = int(np.searchsorted(b.line, line))
            row = b.rows[i]
            if reason == "out_of_order":
                ts = _TIMESTAMP.validate_python(row.ts).isoformat()
                message = f"event {ids[i]}: ts {ts} is before the line above"
            elif reason == "issued_twice":
                message = f"event {ids[i]}: ticket {row.ticket} is issued twice"
            else:
                message = f"event {ids[i]}: ticket {row.ticket} was never issued"
            raise FitError(f"{self.source}:{line}: {message}")
        for reason in sorted(found, key=lambda r: int(found[r][0])):
            self.log.problems[reason] += len(found[reason])

    def finish(self) -> LogData:
        """The tickets in the order they were issued, each with its call, end
        and give-up (the last of each, as ``collect`` overwrites them), and the
        no-show delays in file order."""
        log, n = self.log, len(self.code_of)
        called_s, ended_s, abandoned_s = (np.full(n, math.nan) for _ in range(3))
        no_show = np.zeros(n, dtype=bool)
        counter = np.full(n, "", dtype=object)
        checked_in_s = np.full(n, math.nan)
        if self.later:
            pos, code, kind, at_s, counters = (
                np.concatenate(c) for c in zip(*self.later, strict=True)
            )
            call = kind == _CALLED
            last = _last_per_code(code, call)
            called_s[code[last]], counter[code[last]] = at_s[last], counters[last]
            last = _last_per_code(code, kind == _K["ticket_abandoned"])
            abandoned_s[code[last]] = at_s[last]
            last = _last_per_code(code, (kind == _K["service_ended"]) | (kind == _NO_SHOW))
            ended_s[code[last]] = at_s[last]
            no_show[code[last]] = kind[last] == _NO_SHOW
            last = _last_per_code(code, kind == _CHECK_IN)
            checked_in_s[code[last]] = at_s[last]
            log.no_show_delays_s = _no_show_delays(pos, code, kind, at_s, call)
        if self.issues:
            code, day, tod, service, segment, remote = (
                np.concatenate(c) for c in zip(*self.issues, strict=True)
            )
            log._columns = TicketColumns(
                np.array(list(self.code_of), dtype=object)[code].tolist(),
                day,
                self.midnight[code],
                tod,
                service,
                segment,
                called_s[code],
                ended_s[code],
                abandoned_s[code],
                counter[code],
                no_show[code],
                remote,
                checked_in_s[code],
            )
        return log


def _last_per_code(code: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Positions (in ``code``) of the last row of each code among ``mask``."""
    rows = np.flatnonzero(mask)
    _, first_from_end = np.unique(code[rows][::-1], return_index=True)
    last: np.ndarray = rows[len(rows) - 1 - first_from_end]
    return last


def _no_show_delays(
    pos: np.ndarray, code: np.ndarray, kind: np.ndarray, at_s: np.ndarray, call: np.ndarray
) -> list[float]:
    """For each no-show in file order, its time less that of the ticket's last
    call before it (none without a call)."""
    order = np.lexsort((pos, code))
    c, k, t, is_call = code[order], kind[order], at_s[order], call[order]
    last_call = np.maximum.accumulate(np.where(is_call, np.arange(len(order)), -1))
    same = (last_call >= 0) & (c[np.maximum(last_call, 0)] == c)
    shows = np.flatnonzero((k == _NO_SHOW) & same)
    delays: list[float] = (t[shows] - t[last_call[shows]])[np.argsort(order[shows])].tolist()
    return delays
