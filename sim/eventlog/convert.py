"""Records ↔ events: what a hall's ticket system would have logged on a
simulated day (:func:`day_events`), and the records rebuilt from a day's log
(:func:`replay`), so that the KPIs of a log and of the simulation compare on
equal terms.

What is logged, per customer of the day (``abandon_events`` chooses between
``"exact"``, the simulation's knowledge, and ``"no_show"``, a real hall's):

* **kiosk users** take no counter ticket: no events. The log holds no kiosk
  KPIs.
* **served**: ``ticket_issued`` → ``ticket_called`` (counter) → ``service_ended``.
* **no-show** (gave up, ticket called later): ``ticket_called`` when the
  counter calls the number, ``ticket_no_show`` when it gives up calling
  (``called + no_show_delay``: the counter is busy meanwhile; at
  ``no_show_delay`` 0 both at the instant the customer's turn came). ``exact``
  also logs the ``ticket_abandoned`` at the moment the customer left, before
  the call; ``no_show`` cannot know that moment.
* **gave up, never called** (still queued when the day ended or the hall
  turned the queue away): ``exact`` logs ``ticket_abandoned`` when they left;
  ``no_show`` logs it when the system closes the day's open tickets: at closing
  time in a ``turn_away`` hall, else at the end of the day's activity.
* **turned away / unserved at the end**: ``ticket_abandoned`` when their ticket
  was cancelled, in both modes.
* **balked** (saw the queue, did not wait): a real hall's system never sees
  them, as they take no ticket: no events in ``no_show`` mode. ``exact`` logs
  ``ticket_issued`` and ``ticket_abandoned`` at the same instant.

**Remote tickets** (``arrivals.remote``) log ``remote_ticket_issued`` in
place of ``ticket_issued`` and ``ticket_checked_in`` when the holder reaches
the hall while the ticket is still live. A call that reaches the ticket
before its holder and keeps it (``hold``, ``requeue``) is not logged: the
ticket system passes over a ticket not checked in. The call that gives it up
is (``ticket_called``, ``ticket_no_show``; in both modes no give-up of the
holder's, who never was there), with the ``ticket_abandoned`` that closes it
when a ``hold`` runs out; a holder coming after that finds the ticket closed:
no check-in.

Counters (not kiosks) log ``counter_opened``/``counter_closed`` per staffed
span. Times are the model's seconds after local midnight read as the hall's
wall clock (``scn.timezone``), rounded to the microsecond; on a daylight-saving
change day the hall's hours are assumed not to straddle the change.

:func:`replay` reads a ticket never called and cancelled as *balked* when
cancelled the instant it was issued, *unserved* when its segment never gives
up (no patience) or when a ``turn_away`` hall cancels it at closing time, and
*abandoned* otherwise. So a replayed ``exact`` log gives every counter KPI of
the simulation (times rounded to the microsecond: see :func:`to_log_precision`).
A ``no_show`` log lacks balked customers (arrivals, balked, service level and
abandon rate count only ticket holders) and the moments people gave up (the
queue KPIs count a no-show as waiting until called and a never-called give-up
until the close-out); in a ``turn_away`` hall it cannot split the tickets
cancelled at closing into abandoned and unserved. Served, waits, utilisation
and, in a ``serve_all`` hall, abandoned and unserved are as the simulation's.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np

from sim.eventlog.events import ISSUE_KINDS, KIND_ORDER, AbandonEvents, Event, Kind
from sim.eventlog.remote import remote_columns
from sim.model.calendar import counter_instances
from sim.model.days import day_scenario
from sim.model.hall import simulate
from sim.model.records import ABANDONED, BALKED, SERVED, UNSERVED, Records
from sim.model.scenario import Scenario

_US = timedelta(microseconds=1)


def simulate_days(
    scn: Scenario, days: int, start: date, seed: int
) -> Iterator[tuple[date, Records]]:
    """Simulate ``days`` consecutive opening days from ``start``; day ``i`` is
    replication ``i`` of ``seed`` (so each day draws its own day-noise factor)."""
    for i in range(days):
        yield start + timedelta(days=i), simulate(scn, seed, replication=i)


def calendar_days(
    scn: Scenario, days: int, start: date, seed: int
) -> Iterator[tuple[date, Scenario, Records]]:
    """The days from ``start`` to ``start + days - 1`` on the hall's calendar:
    each open day's one-day scenario (:func:`sim.model.days.day_scenario`: its
    weekday's plan or holiday) and its simulation, replication ``i`` of
    ``seed`` for the ``i``-th date; closed days are skipped."""
    for i in range(days):
        day = start + timedelta(days=i)
        one_day = day_scenario(scn, day)
        if one_day is not None:
            yield day, one_day, simulate(one_day, seed, replication=i)


def _micros(seconds: np.ndarray) -> list[int]:
    """Seconds as whole microseconds (NaN as -1: callers check the seconds)."""
    us: list[int] = (
        np.where(np.isfinite(seconds), np.rint(seconds * 1e6), -1).astype(np.int64).tolist()
    )
    return us


def to_log_precision(records: Records) -> Records:
    """``records`` with every time rounded to the microsecond, as an event log
    holds them (the replay of an ``exact`` log gives these records' KPIs exactly)."""
    times = ("arrival_s", "called_s", "ended_s", "left_s", "span_opened_s", "span_closed_s")
    return dataclasses.replace(
        records, **{name: np.rint(getattr(records, name) * 1e6) / 1e6 for name in times}
    )


class _Clock:
    """Microseconds after local midnight of ``day`` ↔ aware datetimes (wall clock
    of ``zone``, written with a fixed UTC offset)."""

    def __init__(self, day: date, zone: str) -> None:
        self.zone = ZoneInfo(zone)
        self.midnight = datetime.combine(day, time())
        self._offsets: dict[timedelta | None, timezone] = {}

    def ts(self, us: int) -> datetime:
        wall = self.midnight + timedelta(microseconds=us)
        offset = self.zone.utcoffset(wall)
        tz = self._offsets.get(offset)
        if tz is None:
            tz = self._offsets[offset] = timezone(offset or timedelta(0))
        return wall.replace(tzinfo=tz)

    def us(self, ts: datetime) -> int:
        return (ts.astimezone(self.zone).replace(tzinfo=None) - self.midnight) // _US


def _close_out_s(r: Records, scn: Scenario) -> float:
    """When the system closes the tickets of people who left unseen (``no_show``
    mode): closing time in a turn_away hall, else the day's last activity."""
    if not scn.stationary and scn.closing == "turn_away":
        return scn.close
    candidates = [scn.end_s]
    for times in (r.arrival_s, r.called_s, r.ended_s, r.left_s[r.outcome != ABANDONED]):
        finite = times[np.isfinite(times)]
        if len(finite):
            candidates.append(float(finite.max()))
    if len(r.span_closed_s):
        candidates.append(float(r.span_closed_s.max()))
    return max(candidates)


Row = tuple[int, int, int, Kind, str | None, str | None, str | None, str | None]


def day_events(
    records: Records, scn: Scenario, day: date, abandon_events: AbandonEvents = "exact"
) -> list[Event]:
    """The events of one simulated ``day`` in time order (ties in :data:`KIND_ORDER`),
    per the module docstring. Tickets are ``YYYYMMDD-nnnnn`` (numbered by
    arrival), event ids ``{hall}-YYYYMMDD-nnnnnn`` (numbered in log order)."""
    r = records
    exact = abandon_events == "exact"
    stamp = f"{day:%Y%m%d}"
    arrival, called, ended, left = (
        _micros(a) for a in (r.arrival_s, r.called_s, r.ended_s, r.left_s)
    )
    close_out = _micros(np.array([_close_out_s(r, scn)]))[0]
    outcome, counter = r.outcome.tolist(), r.counter.tolist()
    service, segment, kiosk = r.service.tolist(), r.segment.tolist(), r.kiosk.tolist()
    rows: list[Row] = []

    def add(us: int, kind: Kind, ticket: str | None, counter: str | None = None) -> None:
        rows.append((us, KIND_ORDER[kind], len(rows), kind, ticket, None, None, counter))

    remote = r.remote.tolist()
    hall = _micros(r.hall_s) if r.travel_s is not None else arrival
    n_tickets = 0
    for i, o in enumerate(outcome):
        if kiosk[i] or (o == BALKED and not exact):
            continue
        n_tickets += 1
        ticket = f"{stamp}-{n_tickets:05d}"
        issue: Kind = "remote_ticket_issued" if remote[i] else "ticket_issued"
        rows.append(
            (
                arrival[i],
                KIND_ORDER[issue],
                len(rows),
                issue,
                ticket,
                r.services[service[i]],
                r.segments[segment[i]],
                None,
            )
        )
        was_called = counter[i] >= 0
        lost_away = False  # a remote ticket given up by a call before its holder came
        if remote[i]:
            live_until = called[i] if was_called else left[i] if left[i] >= 0 else close_out
            if 0 <= hall[i] <= live_until:
                add(hall[i], "ticket_checked_in", ticket)
            lost_away = was_called and hall[i] > called[i]
        if lost_away:
            if left[i] > called[i]:  # held for its holder in vain: closed when the hold ran out
                add(left[i], "ticket_abandoned", ticket)
        elif o != SERVED and (exact or o == UNSERVED or not was_called):
            gone = left[i] if (exact or o == UNSERVED) and left[i] >= 0 else close_out
            add(gone, "ticket_abandoned", ticket)
        if was_called:
            name = r.counters[counter[i]]
            add(called[i], "ticket_called", ticket, name)
            if ended[i] >= 0:
                end_kind: Kind = "service_ended" if o == SERVED else "ticket_no_show"
                add(ended[i], end_kind, ticket, name)
                if ended[i] == called[i]:  # nothing took time: keep it after its call
                    rows[-1] = (ended[i], KIND_ORDER["ticket_called"], *rows[-1][2:])
    for k, opened_us, closed_us in zip(
        r.span_counter.tolist(), _micros(r.span_opened_s), _micros(r.span_closed_s), strict=True
    ):
        if r.counter_is_kiosk[k]:
            continue
        add(opened_us, "counter_opened", None, r.counters[k])
        if closed_us >= 0:
            add(closed_us, "counter_closed", None, r.counters[k])
    rows.sort()
    clock = _Clock(day, scn.timezone)
    prefix = f"{scn.hall}-{stamp}-"
    return [
        Event(
            id=f"{prefix}{n:06d}",
            hall=scn.hall,
            ts=clock.ts(us),
            kind=kind,
            ticket=ticket,
            service=svc,
            segment=seg,
            counter=ctr,
        )
        for n, (us, _, _, kind, ticket, svc, seg, ctr) in enumerate(rows, 1)
    ]


@dataclasses.dataclass(slots=True)
class _Ticket:
    arrival_us: int
    service: str
    segment: str
    called_us: int | None = None
    ended_us: int | None = None
    left_us: int | None = None
    counter: str | None = None
    no_show: bool = False
    remote: bool = False
    hall_us: int | None = None  # a remote holder's check-in


def _index(names: list[str], name: str) -> int:
    if name not in names:
        names.append(name)
    return names.index(name)


def replay(events: Iterable[Event], scn: Scenario, day: date | None = None) -> Records:
    """Customer records and counter spans rebuilt from one day's events (any
    order), times in seconds after local midnight of ``day`` (default: the local
    date of the earliest event) in ``scn.timezone``. Names not in ``scn`` are
    appended to its services, segments and counters. Raises ValueError for an
    event about a ticket that was never issued, or a ticket issued twice."""
    log = list(events)
    zone = ZoneInfo(scn.timezone)
    if day is None:
        day = min(e.ts for e in log).astimezone(zone).date() if log else date(2000, 1, 1)
    clock = _Clock(day, scn.timezone)
    tickets: dict[str, _Ticket] = {}
    switches: dict[str, list[tuple[int, int]]] = {}
    for e in log:
        us = clock.us(e.ts)
        if e.kind in ("counter_opened", "counter_closed"):
            assert e.counter is not None
            switches.setdefault(e.counter, []).append((us, KIND_ORDER[e.kind]))
            continue
        assert e.ticket is not None
        if e.kind in ISSUE_KINDS:
            if e.ticket in tickets:
                raise ValueError(f"event {e.id}: ticket {e.ticket} is issued twice")
            assert e.service is not None and e.segment is not None
            remote = e.kind == "remote_ticket_issued"
            tickets[e.ticket] = _Ticket(us, e.service, e.segment, remote=remote)
            continue
        t = tickets.get(e.ticket)
        if t is None:
            raise ValueError(f"event {e.id}: ticket {e.ticket} was never issued")
        if e.kind == "ticket_checked_in":
            t.hall_us = us if t.hall_us is None else min(t.hall_us, us)
        elif e.kind == "ticket_called":
            t.called_us, t.counter = us, e.counter
        elif e.kind == "ticket_abandoned":
            t.left_us = us
        else:
            t.ended_us, t.no_show = us, e.kind == "ticket_no_show"

    instances = counter_instances(scn)
    services, segments = list(scn.services), list(scn.segments)
    counters = [inst.name for inst in instances]
    turn_away_us = (
        round(scn.close * 1e6) if not scn.stationary and scn.closing == "turn_away" else None
    )
    ordered = sorted(tickets.values(), key=lambda t: t.arrival_us)
    n = len(ordered)
    columns = {name: np.full(n, math.nan) for name in ("arrival", "called", "ended", "left")}
    outcome = np.full(n, UNSERVED, dtype=np.int8)
    svc_idx, seg_idx, ctr_idx = (np.full(n, -1, dtype=np.int64) for _ in range(3))
    for i, t in enumerate(ordered):
        svc_idx[i], seg_idx[i] = _index(services, t.service), _index(segments, t.segment)
        left_us = t.left_us
        if t.called_us is not None:
            outcome[i] = ABANDONED if t.no_show else SERVED
            if t.no_show and left_us is None:
                left_us = t.called_us  # gone by the call; when exactly, the log cannot say
            ctr_idx[i] = _index(counters, t.counter or "")
        elif left_us is not None:
            seg = scn.segments.get(t.segment)
            if left_us == t.arrival_us:
                outcome[i] = BALKED
            elif (seg is not None and seg.patience is None) or left_us == turn_away_us:
                outcome[i] = UNSERVED
            else:
                outcome[i] = ABANDONED
        times: dict[str, int | None] = {"arrival": t.arrival_us, "called": t.called_us}
        for name, at_us in (times | {"ended": t.ended_us, "left": left_us}).items():
            if at_us is not None:
                columns[name][i] = at_us / 1e6

    spans = _spans(switches, counters, log, clock)
    spans.sort(key=lambda s: (s[1], s[0]))
    n_inst = len(instances)
    return Records(
        services=tuple(services),
        segments=tuple(segments),
        counters=tuple(counters),
        counter_group=np.array(
            [inst.group for inst in instances] + [-1] * (len(counters) - n_inst), dtype=np.int64
        ),
        counter_is_kiosk=np.array(
            [inst.kiosk for inst in instances] + [False] * (len(counters) - n_inst), dtype=bool
        ),
        arrival_s=columns["arrival"],
        service=svc_idx,
        segment=seg_idx,
        kiosk=np.zeros(n, dtype=bool),
        appointment=np.zeros(n, dtype=bool),
        outcome=outcome,
        called_s=columns["called"],
        ended_s=columns["ended"],
        left_s=columns["left"],
        counter=ctr_idx,
        span_counter=np.array([s[0] for s in spans], dtype=np.int64),
        span_opened_s=np.array([s[1] for s in spans], dtype=float),
        span_closed_s=np.array([s[2] for s in spans], dtype=float),
        **remote_columns(
            [t.remote for t in ordered],
            [t.hall_us for t in ordered],
            columns["arrival"],
            columns["called"],
            ctr_idx,
        ),
    )


def _spans(
    switches: dict[str, list[tuple[int, int]]],
    counters: list[str],
    log: list[Event],
    clock: _Clock,
) -> list[tuple[int, float, float]]:
    """Staffed spans per counter from its opened/closed events. A close without
    an open counts from the day's first event, an open without a close to its last;
    a repeated open or close is ignored."""
    if not switches:
        return []
    first_us = min(clock.us(e.ts) for e in log)
    last_us = max(clock.us(e.ts) for e in log)
    spans: list[tuple[int, float, float]] = []
    opened = KIND_ORDER["counter_opened"]
    for name, changes in switches.items():
        k = _index(counters, name)
        since: int | None = None
        for n, (us, kind) in enumerate(sorted(changes)):
            if kind == opened:
                since = us if since is None else since
            elif since is not None or n == 0:
                spans.append((k, (first_us if since is None else since) / 1e6, us / 1e6))
                since = None
        if since is not None:
            spans.append((k, since / 1e6, last_us / 1e6))
    return spans
