"""A hall's live state, computed in event time from its stored events.

Events may come late, shuffled or twice within a day, so nothing here assumes
an order: each ticket keeps what is known of it as minima and maxima that do
not depend on the order they were learnt in (the earliest issue, every call,
the latest of its service end and no-show, the earliest give-up), and its
effect on the day's counts is a function of that knowledge: when the knowledge
changes, the old effect is taken back and the new one added. So the same set
of events gives the same state in any order. A ticket's wait runs from its
issue to its first call; it is *served* ("called to a counter") once called and
*abandoned* on a ``ticket_abandoned`` or when its last word is a
``ticket_no_show`` (counted once even if both come); a ``service_ended`` after a
no-show (the ticket was called again and the customer came) makes it served,
its service time running from the latest call before the end. Counts reset at
the hall's local midnight: an event of a later local day starts a new day, an
event of an earlier day is stored but not applied. With the wall clock a new
day also starts when the wall clock passes midnight; with ``clock: events`` the
hall's "now" is its latest event.
"""

from __future__ import annotations

import threading
import time
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from monitor.config import Hall
from monitor.ingest import LocalDays
from monitor.snapshot import HallInfo, Histogram, LiveSnapshot
from monitor.store import Row
from sim.eventlog.events import KIND_ORDER
from sim.model.calendar import counter_instances

WAIT_BOUNDS_S = (60.0, 120.0, 300.0, 600.0, 900.0, 1200.0, 1800.0, 2700.0, 3600.0, 7200.0)
FUTURE_SLACK_S = 600.0  # wall clock: events this far ahead may open the next day
_NO_SHOW = KIND_ORDER["ticket_no_show"]
SERVICE_BOUNDS_S = (30.0, 60.0, 120.0, 180.0, 300.0, 600.0, 900.0, 1200.0, 1800.0, 3600.0)


class _Hist:
    """Observations in whole microseconds, so the sum is exact and does not
    depend on the order events arrive in; an observation can be taken back."""

    __slots__ = ("bounds", "bounds_us", "counts", "sum_us")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.bounds_us = [round(b * 1e6) for b in bounds]
        self.counts = [0] * (len(bounds) + 1)
        self.sum_us = 0

    def observe(self, value_us: int, sign: int = 1) -> None:
        """Count ``value_us`` once (``sign=-1``: take one such count back)."""
        self.counts[bisect_left(self.bounds_us, value_us)] += sign
        self.sum_us += sign * value_us

    def snapshot(self) -> Histogram:
        cumulative: list[int] = []
        total = 0
        for c in self.counts[:-1]:
            total += c
            cumulative.append(total)
        return Histogram(self.bounds, tuple(cumulative), total + self.counts[-1], self.sum_us / 1e6)


class _Effect(NamedTuple):
    """What one ticket adds to the day's counts, a function of what is known of
    it: when that changes, the old effect is taken back and the new one added,
    so the counts depend on the set of events, not on their order."""

    key: tuple[str, str] | None  # (service, segment) once issued
    wait_us: int | None  # issue -> first call, once both are known
    service_us: int | None  # answered call -> service end, when it ended served
    gone: bool  # abandoned or a no-show
    waiting_since_us: int | None  # issued, not called, not abandoned
    first_counter: str | None  # the counter of the first call


_NO_EFFECT = _Effect(None, None, None, False, None, None)
# the parts of an effect, for recounting only what changed
_ISSUED, _WAIT, _SERVICE, _GONE, _QUEUE = 1, 2, 4, 8, 16
_ALL = _ISSUED | _WAIT | _SERVICE | _GONE | _QUEUE


@dataclass(slots=True)
class _Ticket:
    # every merge below keeps a minimum or maximum (or a set), so it commutes
    issue: tuple[int, str, str] | None = None  # earliest ticket_issued (ts_us, service, segment)
    calls: tuple[tuple[int, str], ...] = ()  # every call (ts_us, counter), ascending
    end: tuple[int, int] | None = None  # latest service_ended / ticket_no_show (ts_us, kind order)
    left_us: int | None = None  # earliest ticket_abandoned
    effect: _Effect = _NO_EFFECT

    def at_counter(self) -> bool:
        """Called, and not ended since its latest call."""
        return bool(self.calls) and (self.end is None or self.end[0] < self.calls[-1][0])

    def effect_now(self) -> _Effect:
        calls, issue = self.calls, self.issue
        first_counter = calls[0][1] if calls else None
        if issue is None:
            return _Effect(None, None, None, False, None, first_counter)
        issued_us, service, segment = issue
        wait_us = None
        if calls:
            wait_us = calls[0][0] - issued_us
            if wait_us < 0:
                wait_us = 0
        service_us = None
        end = self.end
        if calls and end is not None and end[1] != _NO_SHOW:
            end_us = end[0]
            # the service began with the latest call before it ended (a re-call
            # after a no-show is the one the customer answered)
            answered = calls[0][0]
            for ts, _ in calls:
                if answered < ts <= end_us:
                    answered = ts
            service_us = end_us - answered if end_us > answered else 0
        gone = self.left_us is not None or (end is not None and end[1] == _NO_SHOW)
        waiting = not calls and self.left_us is None
        return _Effect(
            (service, segment), wait_us, service_us, gone, issued_us if waiting else None,
            first_counter,
        )  # fmt: skip


@dataclass(slots=True)
class _Counter:
    switch: tuple[int, int] | None = None  # (ts_us, kind order) of the latest open/close
    is_open: bool = False
    call_us: int = -1
    ticket: str | None = None  # the latest ticket it called (ties: the larger ticket id)
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


def _add(table: dict[tuple[str, str], int], key: tuple[str, str], sign: int, known: bool) -> None:
    n = table.get(key, 0) + sign
    if n or known:
        table[key] = n
    else:
        del table[key]


def _observe(
    table: dict[str, _Hist],
    service: str,
    bounds: tuple[float, ...],
    value_us: int,
    sign: int,
    known: bool,
) -> None:
    h = table.get(service)
    if h is None:
        h = table[service] = _Hist(bounds)  # a service the scenario does not know
    h.observe(value_us, sign)
    if not known and not any(h.counts):
        del table[service]


class HallState:
    """The live state of one hall; every public method is thread-safe."""

    def __init__(self, hall: Hall) -> None:
        self.hall = hall
        self.info = hall_info(hall)
        self.zone = ZoneInfo(hall.scenario.timezone)
        self.days = LocalDays(self.zone)
        self.events_clock = hall.clock == "events"
        self._wait_bounds = wait_bounds(hall.target_wait_s)
        self._services = frozenset(self.info.services)
        self._segments = frozenset(self.info.segments)
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
        ticket = row.ticket
        assert ticket is not None
        t = d.tickets.get(ticket)
        if t is None:
            t = d.tickets[ticket] = _Ticket()
        ts_us = row.ts_us
        if kind == "ticket_issued":
            assert row.service is not None and row.segment is not None
            issue = (ts_us, row.service, row.segment)
            if t.issue is not None and t.issue <= issue:
                return  # issued twice: the earliest stands
            t.issue = issue
        elif kind == "ticket_called":
            assert row.counter is not None
            call = (ts_us, row.counter)
            if not t.calls:
                t.calls = (call,)
            elif call in t.calls:
                return
            else:
                t.calls = tuple(sorted((*t.calls, call)))
            c = self._counter(d, row.counter)
            if (ts_us, ticket) >= (c.call_us, c.ticket or ""):
                c.call_us, c.ticket = ts_us, ticket
        elif kind == "ticket_abandoned":
            if t.left_us is not None and t.left_us <= ts_us:
                return
            t.left_us = ts_us
        else:  # service_ended, ticket_no_show: the latest is the last word
            end = (ts_us, KIND_ORDER[kind])
            if t.end is not None and t.end >= end:
                return
            t.end = end
        effect = t.effect_now()
        if effect != t.effect:
            self._recount(d, t.effect, effect, ticket)
            t.effect = effect

    def _counter(self, d: _Day, name: str) -> _Counter:
        c = d.counters.get(name)
        if c is None:
            c = d.counters[name] = _Counter()
        return c

    def _recount(self, d: _Day, old: _Effect, new: _Effect, ticket: str) -> None:
        """Replace a ticket's effect ``old`` on the day's counts by ``new``: each
        part that changed is taken back and added anew (a ticket's issue, call
        and end each change one or two parts)."""
        if old.first_counter != new.first_counter:
            if old.first_counter is not None:
                self._counter(d, old.first_counter).served -= 1
            if new.first_counter is not None:
                self._counter(d, new.first_counter).served += 1
        if old.key != new.key:  # issued (or an earlier issue of another service)
            if old.key is not None:
                self._count(d, old, ticket, -1, _ALL)
            if new.key is not None:
                self._count(d, new, ticket, 1, _ALL)
            return
        if new.key is None:
            return
        changed = (
            (_WAIT if old.wait_us != new.wait_us else 0)
            | (_SERVICE if old.service_us != new.service_us else 0)
            | (_GONE if old.gone != new.gone else 0)
            | (_QUEUE if old.waiting_since_us != new.waiting_since_us else 0)
        )
        if changed:
            self._count(d, old, ticket, -1, changed)
            self._count(d, new, ticket, 1, changed)

    def _count(self, d: _Day, e: _Effect, ticket: str, sign: int, parts: int) -> None:
        """Add the ``parts`` of an issued ticket's effect to the day's counts
        (``sign=-1``: take them back). A count of a service or segment the
        scenario does not know is dropped when it returns to zero, so that it
        exists only while something is in it, whichever order the events came in."""
        key = e.key
        assert key is not None
        service = key[0]
        known_service = service in self._services
        known = known_service and key[1] in self._segments
        if parts & _ISSUED:
            _add(d.issued, key, sign, known)
        if parts & _WAIT and e.wait_us is not None:
            _add(d.served, key, sign, known)
            _observe(d.wait, service, self._wait_bounds, e.wait_us, sign, known_service)
        if parts & _SERVICE and e.service_us is not None:
            _observe(d.service_time, service, SERVICE_BOUNDS_S, e.service_us, sign, known_service)
        if parts & _GONE and e.gone:
            _add(d.abandoned, key, sign, known)
        if parts & _QUEUE and e.waiting_since_us is not None:
            queue = d.waiting.get(service)
            if queue is None:
                queue = d.waiting[service] = {}
            if sign > 0:
                queue[ticket] = e.waiting_since_us
            else:
                del queue[ticket]
                if not queue and not known_service:
                    del d.waiting[service]
            _add(d.queue_seg, key, sign, known)

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

    def _busy(self, d: _Day, name: str, c: _Counter) -> bool:
        """The counter's latest ticket is still at it: not ended since, and not
        called again at another counter."""
        if c.ticket is None:
            return False
        t = d.tickets[c.ticket]
        return t.at_counter() and t.calls[-1][1] == name

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
            busy = {name: self._busy(d, name, c) for name, c in d.counters.items()}
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
            queued = sorted(
                (since_us, ticket, key)
                for ticket, t in d.tickets.items()
                if (since_us := t.effect.waiting_since_us) is not None
                and (key := t.effect.key) is not None
            )  # first come first: the order the tickets were issued in
            waiting = tuple((s, g, max(0, now_us - us) / 1e6) for us, _, (s, g) in queued)
            busy: list[tuple[str, str, str, float]] = []
            opened: list[str] = []
            # configured counters in the scenario's order, then others by name
            extra = sorted(set(d.counters) - set(self.info.counters))
            for name in (*self.info.counters, *extra):
                c = d.counters[name]
                is_busy = self._busy(d, name, c)
                if is_busy and c.ticket is not None:
                    service, segment = d.tickets[c.ticket].effect.key or ("", "")
                    elapsed_s = max(0, now_us - c.call_us) / 1e6
                    busy.append((name, service, segment, elapsed_s))
                if c.is_open or (c.switch is None and is_busy):
                    opened.append(name)
            logged = any(c.switch is not None for c in d.counters.values())
            return QueuePicture(now_s, waiting, tuple(busy), tuple(opened) if logged else None)
