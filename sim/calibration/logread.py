"""A log file read into :class:`~sim.calibration.logdata.LogData` batch by
batch (:func:`read_log`): what :func:`~sim.calibration.logdata.collect` does
event by event, done on columns, with the same result: the same tickets in the
same order, the same spans, days and no-show delays, the same problems counted
or, read strictly, the first of them raised, naming the same event. JSON Lines
logs take the fast reader (:mod:`sim.eventlog.columns`), its batches sifted by
:mod:`sim.calibration.logsift` (resent events dropped, tickets numbered: in a
second process with ``workers``) and gathered here; CSV logs go through
:func:`~sim.eventlog.events.read_csv` and ``collect``.

One difference: a consistency problem read strictly names the event's line in
the file, where ``collect`` can only count the events read so far (the same
number unless the log has blank lines).
"""

from __future__ import annotations

import math
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from sim.calibration.logdata import FitError, LogData, TicketColumns, collect
from sim.calibration.logsift import (
    CALLED,
    CHECK_IN,
    CLOSED,
    NO_SHOW,
    OPENED,
    REMOTE,
    TICKET_LATER,
    Columns,
    K,
    Sifted,
    sifted_batches,
    take,
)
from sim.eventlog.columns import BOM
from sim.eventlog.events import Event, ReadStats, event_format, read_csv


def read_log(
    path: str | Path, *, lenient: bool = False, stats: ReadStats | None = None, workers: int = 1
) -> LogData:
    """The log at ``path`` (``.jsonl``, ``.ndjson`` or ``.csv``) gathered as
    ``collect(read_events(path))`` would (see the module docstring); lines the
    reader skips (``lenient``) are counted in ``stats``. With ``workers``
    above 1 a JSON Lines log is decoded in a second process while this one
    gathers (:mod:`sim.calibration.logsift`): the same result."""
    stats = stats if stats is not None else ReadStats()
    if event_format(path) == "csv":
        with read_csv(path, lenient=lenient, stats=stats) as stream:
            return collect(
                stream, source=str(path), lenient=lenient, line_of=lambda: stats.lines + 1
            )
    g = _Gatherer(path, lenient)
    with closing(sifted_batches(path, lenient, stats, workers)) as batches:
        for batch in batches:
            g.add(batch)
    return g.finish()


class _Gatherer:
    """The state ``collect`` carries from event to event, carried from batch to
    batch; tickets are numbered (``code``) in the order they are first issued."""

    def __init__(self, path: str | Path, lenient: bool) -> None:
        self.path, self.source, self.lenient = path, str(path), lenient
        self.log = LogData()
        self.last_epoch = -math.inf
        self.open_since: dict[str, tuple[float, date, float]] = {}
        self.dates: dict[int, date] = {}
        self.names: list[str | None] = []  # of the tickets, by code (never None)
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

    def add(self, s: Sifted) -> None:
        b = s.columns
        problems = {"duplicate_id": s.resent_lines}  # by reason, the lines it was met on
        n, log = len(b.line), self.log
        if n:
            pos = self.position + np.arange(n)
            self.position += n
            before = np.maximum.accumulate(np.concatenate([[self.last_epoch], b.epoch_s[:-1]]))
            problems["out_of_order"] = b.line[b.epoch_s < before]
            self.last_epoch = max(self.last_epoch, float(b.epoch_s.max()))
            log.events += n
            self._days(b)
            self._counters(b)
            self.names += s.new_tickets
            problems["issued_twice"] = b.line[self._issue(b, s.code, pos)]
            problems["never_issued"] = b.line[self._later(b, s.code, pos)]
        self._problems(problems)

    def _days(self, b: Columns) -> None:
        """UTC offsets and halls of the events that issue a ticket or open or
        close a counter; each day's first issue or opening (time of day)."""
        log = self.log
        rows = b.starts
        log.offsets.update(timedelta(seconds=int(s)) for s in np.unique(b.offset_s[rows]))
        log.halls.update(b.hall)
        starts = rows[b.kind[rows] != CLOSED]
        days, first = np.unique(b.day[starts], return_index=True)
        for ordinal in days[np.argsort(first)].tolist():  # in the order they come
            tod = float(b.tod_s[starts][b.day[starts] == ordinal].min())
            day = self.date_of(ordinal)
            if tod < log.first_s.get(day, math.inf):
                log.first_s[day] = tod

    def _counters(self, b: Columns) -> None:
        """Counter spans, opened to closed, in file order."""
        rows = np.flatnonzero((b.kind == OPENED) | (b.kind == CLOSED))
        for i, counter in zip(rows.tolist(), take(b.counter, rows), strict=True):
            epoch, tod = float(b.epoch_s[i]), float(b.tod_s[i])
            if b.kind[i] == OPENED:
                since = (epoch - tod, self.date_of(int(b.day[i])), tod)
                self.open_since.setdefault(counter, since)
                continue
            found = self.open_since.pop(counter, None)
            if found is not None:
                self.log.spans.append((counter, found[1], found[2], epoch - found[0]))

    def _issue(self, b: Columns, code: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """Tickets issued in ``b`` (``code``: their numbers); returns the rows
        that issue one issued before."""
        rows, codes = b.issues, code[b.issues]
        grow = len(self.names) - len(self.issue_pos)
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
                take(b.service, new),
                take(b.segment, new),
                b.kind[fresh] == REMOTE,
            )
        )
        return rows[~new]

    def _later(self, b: Columns, code: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """Calls, ends, no-shows and give-ups of tickets issued on an earlier
        line, kept for :meth:`finish`; returns the rows naming any other ticket."""
        rows = np.flatnonzero(np.isin(b.kind, TICKET_LATER))
        codes = code[rows]
        issue_pos = np.full(len(rows), math.inf)
        known = codes >= 0
        issue_pos[known] = self.issue_pos[codes[known]]
        valid = issue_pos < pos[rows]
        ok, codes = rows[valid], codes[valid]
        at_s = b.epoch_s[ok] - self.midnight[codes]
        self.later.append((pos[ok], codes, b.kind[ok], at_s, take(b.counter, ok)))
        return rows[~valid]

    def _problems(self, found: dict[str, np.ndarray]) -> None:
        """Count the batch's problems (``found``: their lines, by reason) in the
        order ``collect`` meets them, or raise the first one when reading
        strictly (a resent event is counted either way)."""
        found = {reason: lines for reason, lines in found.items() if len(lines)}
        raising = [reason for reason in found if reason != "duplicate_id"]
        if raising and not self.lenient:
            # at one event, its time is checked before its ticket
            reason = min(raising, key=lambda r: (int(found[r][0]), r != "out_of_order"))
            line = int(found[reason][0])
            event = _event_at(self.path, line)
            if reason == "out_of_order":
                message = f"event {event.id}: ts {event.ts.isoformat()} is before the line above"
            elif reason == "issued_twice":
                message = f"event {event.id}: ticket {event.ticket} is issued twice"
            else:
                message = f"event {event.id}: ticket {event.ticket} was never issued"
            raise FitError(f"{self.source}:{line}: {message}")
        for reason in sorted(found, key=lambda r: int(found[r][0])):
            self.log.problems[reason] += len(found[reason])

    def finish(self) -> LogData:
        """The tickets in the order they were issued, each with its call, end
        and give-up (the last of each, as ``collect`` overwrites them), and the
        no-show delays in file order."""
        log, n = self.log, len(self.names)
        called_s, ended_s, abandoned_s = (np.full(n, math.nan) for _ in range(3))
        no_show = np.zeros(n, dtype=bool)
        counter = np.full(n, "", dtype=object)
        checked_in_s = np.full(n, math.nan)
        if self.later:
            pos, code, kind, at_s, counters = (
                np.concatenate(c) for c in zip(*self.later, strict=True)
            )
            call = kind == CALLED
            last = _last_per_code(code, call)
            called_s[code[last]], counter[code[last]] = at_s[last], counters[last]
            last = _last_per_code(code, kind == K["ticket_abandoned"])
            abandoned_s[code[last]] = at_s[last]
            last = _last_per_code(code, (kind == K["service_ended"]) | (kind == NO_SHOW))
            ended_s[code[last]] = at_s[last]
            no_show[code[last]] = kind[last] == NO_SHOW
            last = _last_per_code(code, kind == CHECK_IN)
            checked_in_s[code[last]] = at_s[last]
            log.no_show_delays_s = _no_show_delays(pos, code, kind, at_s, call)
        if self.issues:
            code, day, tod, service, segment, remote = (
                np.concatenate(c) for c in zip(*self.issues, strict=True)
            )
            log._columns = TicketColumns(
                np.array(self.names, dtype=object)[code].tolist(),
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
    shows = np.flatnonzero((k == NO_SHOW) & same)
    delays: list[float] = (t[shows] - t[last_call[shows]])[np.argsort(order[shows])].tolist()
    return delays


def _event_at(path: str | Path, line: int) -> Event:
    """The event on line ``line`` of the log at ``path`` (one the reader took),
    to name it in an error."""
    with open(path, "rb") as fh:
        for number, text in enumerate(fh, start=1):
            if number == line:
                return Event.model_validate_json(text.removeprefix(BOM) if line == 1 else text)
    raise AssertionError(f"{path} has no line {line}")
