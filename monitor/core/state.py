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
its service time running from the latest call before the end. A ticket issued
remotely (``remote_ticket_issued``) waits in the queue like any other and is
also counted *away* (its holder on the way) until its ``ticket_checked_in``.
Counts reset at the hall's local midnight: an event of a later local day starts a new day, an
event of an earlier day is stored but not applied. With the wall clock a new
day also starts when the wall clock passes midnight; with ``clock: events`` the
hall's "now" is its latest event. In both modes an event dated more than
``future_slack_s`` ahead of the wall clock is never applied (the monitor
quarantines it), so no event can move the hall's clock or day into the future.
Unknown service, segment and counter names are bounded per day
(:mod:`monitor.core.labels`); which of them get their own label value is
decided before a batch is stored (:meth:`HallState.admissions`), as is which
events run time backwards within their ticket (:meth:`HallState.backwards`,
:mod:`monitor.core.timeline`): the monitor stores both decisions with the
batch, so a restart rebuilds the same state.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime
from itertools import compress
from operator import itemgetter
from zoneinfo import ZoneInfo

from monitor.core.config import Hall
from monitor.core.counting import DayCounting
from monitor.core.hallinfo import SERVICE_BOUNDS_S, hall_info, wait_bounds
from monitor.core.labels import DIMENSIONS, OTHER, LabelCap, admissions
from monitor.core.localdays import LocalDays
from monitor.core.observed import Observed, observed
from monitor.core.reading import (
    Oldest,
    day_picture,
    day_snapshot,
    oldest_tickets,
    oldest_waits,
    ticket_now,
)
from monitor.core.snapshot import LiveSnapshot, QueuePicture, TicketNow
from monitor.core.store import Row
from monitor.core.tickets import (
    Counter,
    Day,
    Hist,
    Ticket,
)
from monitor.core.timeline import Facts, backwards, facts_of, merged
from sim.model.days import day_scenario

FUTURE_SLACK_S = 300.0  # default: events further ahead of the wall clock are never applied
MAX_LABEL_VALUES = 50  # default: unknown names per dimension and day with their own label
_TICKET = itemgetter(Row._fields.index("ticket"))


class HallState(DayCounting):
    """The live state of one hall; every public method is thread-safe."""

    def __init__(
        self,
        hall: Hall,
        *,
        future_slack_s: float = FUTURE_SLACK_S,
        max_label_values: int = MAX_LABEL_VALUES,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.hall = hall
        self.future_slack_s = future_slack_s
        self.max_label_values = max_label_values
        self._wall = wall_clock
        self.overflow = dict.fromkeys(DIMENSIONS, 0)  # events folded into OTHER, since start
        self.info = hall_info(hall)
        self.zone = ZoneInfo(hall.scenario.timezone)
        self.days = LocalDays(self.zone)
        self.events_clock = hall.clock == "events"
        self._wait_bounds = wait_bounds(hall.target_wait_s)
        self._services = frozenset(self.info.services)
        self._segments = frozenset(self.info.segments)
        self.last_event_us: int | None = None
        self.received_s: float | None = None  # wall clock of the latest apply of an event
        self._lock = threading.Lock()
        # events applied and days begun since start, and the snapshot taken at that
        # count: until it moves, a snapshot differs from it only in what the clock moves
        self._changes = 0
        self._last: tuple[int, LiveSnapshot, Oldest] | None = None
        self._labels_ahead: dict[str, list[tuple[str, str]]] = {}  # day -> (dimension, name)
        self._hours: dict[date, tuple[float, float]] = {}  # opening hours by local date
        self._d = self._new_day(None)

    # -- days -----------------------------------------------------------------
    def _new_day(self, day: str | None) -> Day:
        d = Day(day)
        info = self.info
        for svc in info.services:
            d.waiting[svc] = {}
            d.wait[svc] = Hist(self._wait_bounds)
            d.service_time[svc] = Hist(SERVICE_BOUNDS_S)
            d.away[svc] = 0
            for seg in info.segments:
                for table in (d.queue_seg, d.issued, d.served, d.abandoned, d.came, d.no_show):
                    table[(svc, seg)] = 0
        for name in info.counters:
            d.counters[name] = Counter()
        limit = self.max_label_values
        d.caps = (
            LabelCap(info.services, limit),
            LabelCap(info.segments, limit),
            LabelCap(info.counters, limit),
        )
        if day is not None:
            ahead = self._labels_ahead
            for dimension, name in ahead.pop(day, ()):
                d.caps[DIMENSIONS.index(dimension)].admitted.add(name)
            for stale in [k for k in ahead if k < day]:
                del ahead[stale]
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
        return self._wall()

    def future_limit_us(self) -> int:
        """Unix microseconds past which an event is too far ahead of the wall clock."""
        return int((self._wall() + self.future_slack_s) * 1e6)

    # -- deciding about new events --------------------------------------------
    def backwards(self, rows: Sequence[Row], pending: Sequence[Row] = ()) -> list[tuple[str, str]]:
        """(id, reason) of the ``rows`` that run time backwards within their
        ticket, given the tickets of the current day and the ``pending`` rows
        (stored, about to be applied; :mod:`monitor.core.timeline`)."""
        ahead: dict[tuple[str, str], Facts] = {}
        if pending:  # only the tickets of ``rows`` are looked up: others' rows are skipped
            wanted = set(map(_TICKET, rows))  # None too: facts_of skips rows without one
            ahead = facts_of(compress(pending, map(wanted.__contains__, map(_TICKET, pending))))
        with self._lock:
            d = self._d

            def known(day: str, ticket: str) -> Facts | None:
                t = d.tickets.get(ticket) if day == d.day else None
                if t is None:
                    return ahead.get((day, ticket)) if ahead else None
                end, left_us = t.end, t.left_us
                ended = (
                    left_us if end is None else end[0] if left_us is None else min(end[0], left_us)
                )
                facts = Facts(
                    t.issue[0] if t.issue else None, t.calls[0][0] if t.calls else None, ended
                )
                return merged(facts, ahead.get((day, ticket))) if ahead else facts

            return backwards(rows, known)

    def admissions(self, rows: Sequence[Row]) -> list[tuple[str, str, str]]:
        """(day, dimension, name) of the unknown names that applying ``rows``
        would publish under their own name: those of the latest day among them,
        first seen in event time first, while the day's cap has room. Nothing
        changes until :meth:`admit`."""
        with self._lock:
            d = self._d
            return admissions(
                rows,
                current=(d.day, d.caps),
                ahead=self._labels_ahead,
                known=(self.info.services, self.info.segments, self.info.counters),
                limit=self.max_label_values,
            )

    def admit(self, labels: Iterable[tuple[str, str, str]]) -> None:
        """Publish (day, dimension, name) under its own name (decided by
        :meth:`admissions`, or read back from the store)."""
        with self._lock:
            d = self._d
            for day, dimension, name in labels:
                if day == d.day and d.caps is not None:
                    d.caps[DIMENSIONS.index(dimension)].admitted.add(name)
                elif d.day is None or day > d.day:
                    self._labels_ahead.setdefault(day, []).append((dimension, name))

    # -- applying events ------------------------------------------------------
    def apply(self, rows: Iterable[Row]) -> int:
        """Apply stored events (any order); returns how many were applied. Not
        applied: events of an earlier local day than the current one, and, in
        both clock modes, events dated more than ``future_slack_s`` ahead of the
        wall clock (a ticket system with a wrong clock must neither end the
        hall's day early nor move its clock)."""
        applied = 0
        limit_us = self.future_limit_us()
        with self._lock:
            last_before = last_us = self.last_event_us
            d = self._d
            services, segments, counters = _known(d)
            merge = self._merge
            # tickets whose facts changed: their effect is settled once, after
            # all of their events in the batch are merged
            touched: dict[str, Ticket] = {}
            for row in rows:
                _, ts_us, day, kind, ticket, service, segment, counter, _ = row
                if ts_us > limit_us:
                    continue
                if last_us is None or ts_us > last_us:
                    last_us = ts_us
                if d.day is None or day > d.day:
                    self._settle(d, touched)
                    touched = {}
                    d = self._d = self._new_day(day)
                    services, segments, counters = _known(d)
                elif day < d.day:
                    continue
                if not (
                    (service is None or service in services)
                    and (segment is None or segment in segments)
                    and (counter is None or counter in counters)
                ):  # a name the scenario does not know: its own, or OTHER past the cap
                    service, segment, counter = self._capped(d, service, segment, counter)
                t = merge(d, kind, ts_us, ticket, service, segment, counter)
                if t is not None:
                    touched[ticket] = t  # type: ignore[index]  # a ticket's event
                applied += 1
            self._settle(d, touched)
            self.last_event_us = last_us
            if applied:
                self.received_s = time.time()
            if applied or last_us != last_before:
                self._changes += 1
        return applied

    def _capped(self, d: Day, *names: str | None) -> tuple[str | None, str | None, str | None]:
        """The service, segment and counter ``names`` of an event, those past
        the day's cap replaced by :data:`OTHER`."""
        assert d.caps is not None
        published = list(names)
        for i, (dimension, cap) in enumerate(zip(DIMENSIONS, d.caps, strict=True)):
            name = published[i]
            if name is not None and cap.label(name) is None:
                published[i] = OTHER
                self.overflow[dimension] += 1
        return published[0], published[1], published[2]

    def overflow_counts(self) -> dict[str, int]:
        """Events whose name was published as :data:`OTHER`, per dimension, since start."""
        with self._lock:
            return dict(self.overflow)

    # -- reading --------------------------------------------------------------
    def _roll(self, now_s: float) -> Day:
        """The current day, starting a new one when the wall clock passed midnight."""
        if not self.events_clock:
            today = self.local_day(now_s)
            if self._d.day is None or today > self._d.day:
                self._d = self._new_day(today)
                self._changes += 1
        return self._d

    def day_hours(self, now_s: float) -> tuple[float, float] | None:
        """Opening and closing time (seconds after local midnight) of the local
        date at ``now_s`` by the scenario's week and holidays; ``(0, 0)`` on a
        day the hall does not open, ``None`` if it is always open (stationary)."""
        return self._open_hours(now_s)[1]

    def is_open(self, now_s: float) -> bool:
        """Within :meth:`day_hours` of the local date at ``now_s`` (always, if
        stationary)."""
        return self._open_hours(now_s)[0]

    def _open_hours(self, now_s: float) -> tuple[bool, tuple[float, float] | None]:
        """:meth:`is_open` and :meth:`day_hours` from one local time (a
        snapshot, taken at every scrape, needs both)."""
        if self.hall.scenario.stationary:
            return True, None
        local = datetime.fromtimestamp(now_s, self.zone)
        hours = self._hours.get(local.date())
        if hours is None:
            day = day_scenario(self.hall.scenario, local.date())
            hours = (0.0, 0.0) if day is None else (day.open, day.close)
            if len(self._hours) > 8:  # a few dates are asked about: today, tomorrow
                self._hours.clear()
            self._hours[local.date()] = hours
        seconds = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
        return hours[0] <= seconds < hours[1], hours

    def snapshot(self, now_s: float | None = None, *, tickets: bool = False) -> LiveSnapshot:
        """The state at ``now_s`` (default: the hall's clock); with ``tickets``
        also every ticket of the day as a :class:`TicketSpan` (for the JSON
        views: a scrape does not need them)."""
        with self._lock:
            now_s = self.now_s() if now_s is None else now_s
            d = self._roll(now_s)
            is_open, hours = self._open_hours(now_s)
            last = self._last
            if last is not None and last[0] == self._changes and not tickets:
                # nothing applied since: only the clock moved (scrapes of quiet halls)
                _, snap, first = last
                return replace(
                    snap,
                    now_s=now_s,
                    open=is_open,
                    hours=hours,
                    oldest_wait_s=oldest_waits(first, now_s),
                )
            first = oldest_tickets(d)
            snap = day_snapshot(
                d,
                now_s,
                day=d.day or self.local_day(now_s),
                is_open=is_open,
                hours=hours,
                last_event_us=self.last_event_us,
                received_s=self.received_s,
                tickets=tickets,
                first=first,
            )
            if d.day is not None:  # a day not begun yet is named by the clock: no reuse
                self._last = (self._changes, replace(snap, tickets=()), first)
            return snap

    def observations(self, now_s: float | None = None) -> tuple[str, Observed]:
        """The current day (ISO) and its tickets as the drift test reads them."""
        with self._lock:
            now_s = self.now_s() if now_s is None else now_s
            d = self._roll(now_s)
            return d.day or self.local_day(now_s), observed(d)

    def ticket(self, ticket: str, now_s: float | None = None) -> TicketNow | None:
        """One ticket of the current day (None: not issued today)."""
        with self._lock:
            now_s = self.now_s() if now_s is None else now_s
            return ticket_now(self._roll(now_s), ticket)

    def picture(self, now_s: float | None = None) -> QueuePicture:
        """Waiting tickets, busy and open counters at ``now_s``, for the nowcast."""
        with self._lock:
            now_s = self.now_s() if now_s is None else now_s
            return day_picture(self._roll(now_s), self.info.counters, now_s)


def _known(d: Day) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """The configured services, segments and counters of the day ``d`` (its
    caps' known names): an event naming only these is applied as it is."""
    assert d.caps is not None
    services, segments, counters = d.caps
    return services.known, segments.known, counters.known
