"""A hall's live state, computed in event time from its stored events.

Events may come late or out of order within a day, so nothing here assumes an
order: each ticket keeps what is known of it (issued, called, ended, gone) and
each count or histogram observation is made exactly once, as soon as all it
needs is known. A wait (issue → first call) is observed when both ends are
known; a ticket is counted as served ("called to a counter") with its call and
as abandoned when a ``ticket_abandoned`` or ``ticket_no_show`` is known, once
even if both come. Counts reset at the hall's local midnight: an event of a
later local day starts a new day, an event of an earlier day is stored but not
applied. With the wall clock a new day also starts when the wall clock passes
midnight; with ``clock: events`` the hall's "now" is its latest event.
"""

from __future__ import annotations

import threading
import time
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from monitor.config import Hall
from monitor.ingest import LocalDays
from monitor.snapshot import HallInfo, Histogram, LiveSnapshot
from monitor.store import Row
from sim.eventlog.events import KIND_ORDER
from sim.model.calendar import counter_instances

WAIT_BOUNDS_S = (60.0, 120.0, 300.0, 600.0, 900.0, 1200.0, 1800.0, 2700.0, 3600.0, 7200.0)
FUTURE_SLACK_S = 600.0  # wall clock: events this far ahead may open the next day
SERVICE_BOUNDS_S = (30.0, 60.0, 120.0, 180.0, 300.0, 600.0, 900.0, 1200.0, 1800.0, 3600.0)


class _Hist:
    """Observations in whole microseconds, so the sum is exact and does not
    depend on the order events arrive in."""

    __slots__ = ("bounds", "bounds_us", "counts", "sum_us")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.bounds_us = [round(b * 1e6) for b in bounds]
        self.counts = [0] * (len(bounds) + 1)
        self.sum_us = 0

    def observe(self, value_us: int) -> None:
        self.counts[bisect_left(self.bounds_us, value_us)] += 1
        self.sum_us += value_us

    def snapshot(self) -> Histogram:
        cumulative: list[int] = []
        total = 0
        for c in self.counts[:-1]:
            total += c
            cumulative.append(total)
        return Histogram(self.bounds, tuple(cumulative), total + self.counts[-1], self.sum_us / 1e6)


@dataclass(slots=True)
class _Ticket:
    issued_us: int | None = None
    service: str = ""
    segment: str = ""
    called_us: int | None = None
    counter: str | None = None
    ended_us: int | None = None
    no_show: bool = False
    left_us: int | None = None
    waiting: bool = False
    counted_call: bool = False
    counted_service: bool = False
    counted_gone: bool = False


@dataclass(slots=True)
class _Counter:
    switch: tuple[int, int] | None = None  # (ts_us, kind order) of the latest open/close
    is_open: bool = False
    call_us: int = -1
    ticket: str | None = None  # the latest ticket it called
    served: int = 0


@dataclass(frozen=True, slots=True)
class QueuePicture:
    """What the nowcast starts from: waiting tickets ``(service, segment,
    waited_s)``, busy counters ``(counter, service, segment, elapsed_s)``, open
    counters (``None`` when the ticket system logged no counter opening or
    closing today: then only the scenario's schedule can say)."""

    now_s: float
    waiting: tuple[tuple[str, str, float], ...]
    busy: tuple[tuple[str, str, str, float], ...]
    open_counters: tuple[str, ...] | None


@dataclass(slots=True)
class _Day:
    day: str | None
    tickets: dict[str, _Ticket] = field(default_factory=dict)
    waiting: dict[str, dict[str, int]] = field(default_factory=dict)  # service -> ticket -> us
    queue_seg: dict[tuple[str, str], int] = field(default_factory=dict)
    issued: dict[tuple[str, str], int] = field(default_factory=dict)
    served: dict[tuple[str, str], int] = field(default_factory=dict)
    abandoned: dict[tuple[str, str], int] = field(default_factory=dict)
    counters: dict[str, _Counter] = field(default_factory=dict)
    wait: dict[str, _Hist] = field(default_factory=dict)
    service_time: dict[str, _Hist] = field(default_factory=dict)


def hall_info(hall: Hall) -> HallInfo:
    """The published identity of a configured hall."""
    scn = hall.scenario
    return HallInfo(
        id=hall.id,
        name=hall.name,
        district=hall.district,
        city=hall.city,
        services=tuple(scn.services),
        segments=tuple(scn.segments),
        counters=tuple(i.name for i in counter_instances(scn) if not i.kiosk),
        target_wait_s=hall.target_wait_s,
        objective=hall.objective,
    )


def wait_bounds(target_wait_s: float) -> tuple[float, ...]:
    """Wait histogram bounds: 1 minute to 2 hours, and the target itself."""
    return tuple(sorted({*WAIT_BOUNDS_S, float(target_wait_s)}))


class HallState:
    """The live state of one hall; every public method is thread-safe."""

    def __init__(self, hall: Hall) -> None:
        self.hall = hall
        self.info = hall_info(hall)
        self.zone = ZoneInfo(hall.scenario.timezone)
        self.days = LocalDays(self.zone)
        self.events_clock = hall.clock == "events"
        self._wait_bounds = wait_bounds(hall.target_wait_s)
        self.last_event_us: int | None = None
        self._lock = threading.Lock()
        self._d = self._new_day(None)

    # -- days -----------------------------------------------------------------
    def _new_day(self, day: str | None) -> _Day:
        d = _Day(day)
        info = self.info
        for svc in info.services:
            d.waiting[svc] = {}
            d.wait[svc] = _Hist(self._wait_bounds)
            d.service_time[svc] = _Hist(SERVICE_BOUNDS_S)
            for seg in info.segments:
                for table in (d.queue_seg, d.issued, d.served, d.abandoned):
                    table[(svc, seg)] = 0
        for name in info.counters:
            d.counters[name] = _Counter()
        return d

    def local_day(self, unix_s: float) -> str:
        """The hall's local date (ISO) at ``unix_s``."""
        return datetime.fromtimestamp(unix_s, self.zone).date().isoformat()

    def local_seconds(self, unix_s: float) -> float:
        """Seconds after the hall's local midnight at ``unix_s`` (the scenario's clock)."""
        local = datetime.fromtimestamp(unix_s, self.zone)
        return local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6

    def now_s(self) -> float:
        """The hall's clock (Unix seconds): the wall clock, or its latest event."""
        if self.events_clock and self.last_event_us is not None:
            return self.last_event_us / 1e6
        return time.time()

    # -- applying events ------------------------------------------------------
    def apply(self, rows: Iterable[Row]) -> int:
        """Apply stored events (any order); returns how many were applied. Not
        applied: events of an earlier local day than the current one, and with
        the wall clock events dated past the next :data:`FUTURE_SLACK_S` (a
        ticket system with a wrong clock must not end the hall's day early)."""
        applied = 0
        latest_day = None if self.events_clock else self.local_day(time.time() + FUTURE_SLACK_S)
        with self._lock:
            for row in rows:
                if latest_day is not None and row.day > latest_day:
                    continue
                if self.last_event_us is None or row.ts_us > self.last_event_us:
                    self.last_event_us = row.ts_us
                d = self._d
                if d.day is None or row.day > d.day:
                    d = self._d = self._new_day(row.day)
                elif row.day < d.day:
                    continue
                self._apply(d, row)
                applied += 1
        return applied

    def _apply(self, d: _Day, row: Row) -> None:
        kind = row.kind
        if kind == "counter_opened" or kind == "counter_closed":
            assert row.counter is not None
            c = self._counter(d, row.counter)
            switch = (row.ts_us, KIND_ORDER[kind])
            if c.switch is None or switch >= c.switch:
                c.switch, c.is_open = switch, kind == "counter_opened"
            return
        assert row.ticket is not None
        t = d.tickets.get(row.ticket)
        if t is None:
            t = d.tickets[row.ticket] = _Ticket()
        if kind == "ticket_issued":
            if t.issued_us is not None:
                return  # issued twice: the first one stands
            assert row.service is not None and row.segment is not None
            t.issued_us, t.service, t.segment = row.ts_us, row.service, row.segment
            key = (t.service, t.segment)
            d.issued[key] = d.issued.get(key, 0) + 1
        elif kind == "ticket_called":
            if t.called_us is not None and t.called_us <= row.ts_us:
                return  # called again: the first call is the wait's end
            first = t.called_us is None
            t.called_us, t.counter = row.ts_us, row.counter
            assert row.counter is not None
            c = self._counter(d, row.counter)
            if row.ts_us >= c.call_us:
                c.call_us, c.ticket = row.ts_us, row.ticket
            if first:
                c.served += 1
        elif kind == "ticket_abandoned":
            if t.left_us is None or row.ts_us < t.left_us:
                t.left_us = row.ts_us
        else:  # service_ended, ticket_no_show
            t.ended_us, t.no_show = row.ts_us, kind == "ticket_no_show"
        self._settle(d, t, row.ticket)

    def _counter(self, d: _Day, name: str) -> _Counter:
        c = d.counters.get(name)
        if c is None:
            c = d.counters[name] = _Counter()
        return c

    def _settle(self, d: _Day, t: _Ticket, ticket: str) -> None:
        """Make the one-time observations whose inputs are now known, and put the
        ticket in or out of its service's queue."""
        if t.issued_us is None:
            return
        key = (t.service, t.segment)
        if t.called_us is not None and not t.counted_call:
            t.counted_call = True
            d.served[key] = d.served.get(key, 0) + 1
            self._hist(d.wait, t.service, self._wait_bounds).observe(
                max(0, t.called_us - t.issued_us)
            )
        if (
            t.ended_us is not None
            and t.called_us is not None
            and not t.no_show
            and not t.counted_service
        ):
            t.counted_service = True
            self._hist(d.service_time, t.service, SERVICE_BOUNDS_S).observe(
                max(0, t.ended_us - t.called_us)
            )
        if (t.left_us is not None or t.no_show) and not t.counted_gone:
            t.counted_gone = True
            d.abandoned[key] = d.abandoned.get(key, 0) + 1
        waiting = t.called_us is None and t.left_us is None
        if waiting != t.waiting:
            t.waiting = waiting
            queue = d.waiting.setdefault(t.service, {})
            if waiting:
                queue[ticket] = t.issued_us
            else:
                del queue[ticket]
            d.queue_seg[key] = d.queue_seg.get(key, 0) + (1 if waiting else -1)

    @staticmethod
    def _hist(table: dict[str, _Hist], service: str, bounds: tuple[float, ...]) -> _Hist:
        h = table.get(service)
        if h is None:
            h = table[service] = _Hist(bounds)
        return h

    # -- reading --------------------------------------------------------------
    def _roll(self, now_s: float) -> _Day:
        """The current day, starting a new one when the wall clock passed midnight."""
        if not self.events_clock:
            today = self.local_day(now_s)
            if self._d.day is None or today > self._d.day:
                self._d = self._new_day(today)
        return self._d

    def is_open(self, now_s: float) -> bool:
        """Within the scenario's opening hours at ``now_s`` (always, if stationary)."""
        scn = self.hall.scenario
        if scn.stationary:
            return True
        return scn.open <= self.local_seconds(now_s) < scn.close

    def _busy(self, d: _Day, c: _Counter) -> bool:
        if c.ticket is None:
            return False
        return d.tickets[c.ticket].ended_us is None

    def snapshot(self, now_s: float | None = None) -> LiveSnapshot:
        """The state at ``now_s`` (default: the hall's clock)."""
        with self._lock:
            now_s = self.now_s() if now_s is None else now_s
            d = self._roll(now_s)
            now_us = round(now_s * 1e6)
            queue = {svc: len(q) for svc, q in d.waiting.items()}
            oldest = {
                svc: max(0, now_us - min(q.values())) / 1e6 if q else 0.0
                for svc, q in d.waiting.items()
            }
            busy = {name: self._busy(d, c) for name, c in d.counters.items()}
            opened = {
                name: c.is_open or (c.switch is None and busy[name])
                for name, c in d.counters.items()
            }
            return LiveSnapshot(
                now_s=now_s,
                day=d.day or self.local_day(now_s),
                open=self.is_open(now_s),
                queue=queue,
                queue_by_segment=dict(d.queue_seg),
                oldest_wait_s=oldest,
                counters_open=sum(opened.values()),
                counters_busy=sum(busy.values()),
                issued=dict(d.issued),
                served=dict(d.served),
                abandoned=dict(d.abandoned),
                counter_busy=busy,
                counter_open=opened,
                counter_served={name: c.served for name, c in d.counters.items()},
                wait={svc: h.snapshot() for svc, h in d.wait.items()},
                service_time={svc: h.snapshot() for svc, h in d.service_time.items()},
                last_event_s=None if self.last_event_us is None else self.last_event_us / 1e6,
            )

    def picture(self, now_s: float | None = None) -> QueuePicture:
        """Waiting tickets, busy and open counters at ``now_s``, for the nowcast."""
        with self._lock:
            now_s = self.now_s() if now_s is None else now_s
            d = self._roll(now_s)
            now_us = round(now_s * 1e6)
            waiting = tuple(
                (t.service, t.segment, max(0, now_us - (t.issued_us or now_us)) / 1e6)
                for t in d.tickets.values()
                if t.waiting
            )
            busy: list[tuple[str, str, str, float]] = []
            opened: list[str] = []
            for name, c in d.counters.items():
                if c.ticket is not None and self._busy(d, c):
                    t = d.tickets[c.ticket]
                    elapsed_s = max(0, now_us - c.call_us) / 1e6
                    busy.append((name, t.service, t.segment, elapsed_s))
                if c.is_open or (c.switch is None and c.ticket is not None and self._busy(d, c)):
                    opened.append(name)
            logged = any(c.switch is not None for c in d.counters.values())
            return QueuePicture(now_s, waiting, tuple(busy), tuple(opened) if logged else None)
