"""Reading a hall's day: the pictures a scrape, a request or the nowcast takes
of its live state (:class:`~monitor.core.snapshot.LiveSnapshot`,
:class:`~monitor.core.snapshot.QueuePicture`), as pure functions of the
:class:`~monitor.core.tickets.Day`. :class:`~monitor.core.state.HallState`
calls them under its lock."""

from __future__ import annotations

import math

from monitor.core.snapshot import AtCounter, LiveSnapshot, QueuePicture, TicketNow, TicketSpan
from monitor.core.tickets import NO_SHOW, Counter, Day, Ticket


def by_issue(item: tuple[str, int]) -> tuple[int, str]:
    return item[1], item[0]


def counter_busy(d: Day, name: str, c: Counter) -> bool:
    """The counter's latest ticket is still at it: not ended since, and not
    called again at another counter."""
    if c.ticket is None:
        return False
    t = d.tickets[c.ticket]
    return t.at_counter() and t.calls[-1][1] == name


def at_counter(d: Day, c: Counter) -> AtCounter:
    assert c.ticket is not None
    service, segment = d.tickets[c.ticket].effect.key or ("", "")
    return AtCounter(c.ticket, service, segment, c.call_us / 1e6)


def ticket_spans(d: Day) -> tuple[TicketSpan, ...]:
    """Today's issued tickets in the order they were issued (ties by ticket id)."""
    spans = []
    for ticket, t in d.tickets.items():
        if t.issue is None:
            continue
        issued_us, service, _ = t.issue
        called = t.calls[0][0] / 1e6 if t.calls else None
        left = None if t.left_us is None else t.left_us / 1e6
        spans.append((issued_us, ticket, TicketSpan(service, issued_us / 1e6, called, left)))
    spans.sort(key=lambda item: item[:2])
    return tuple(span for _, _, span in spans)


# service -> (ticket, since us) of its oldest waiting customer in the hall (oldest_tickets)
Oldest = dict[str, tuple[str, int] | None]


def oldest_tickets(d: Day) -> Oldest:
    """Per service, its oldest waiting customer in the hall and since when they
    have waited there (Unix us; ties by ticket id), None when none waits: a
    ticket taken in the hall waits from its issue, one taken from afar from
    its holder's check-in, and one whose holder is on the way does not wait
    in the hall yet."""
    return {svc: _oldest_in_hall(d, q) if q else None for svc, q in d.waiting.items()}


def _oldest_in_hall(d: Day, queue: dict[str, int]) -> tuple[str, int] | None:
    """The oldest customer in the hall of one service's ``queue`` (see
    :func:`oldest_tickets`)."""
    first = min(queue.items(), key=by_issue)
    if not d.tickets[first[0]].remote:  # the earliest issue, and nobody waits from before it
        return first
    found: tuple[str, int] | None = None
    for ticket, issued_us in queue.items():
        t = d.tickets[ticket]
        if t.remote:
            if t.checked_in_us is None:
                continue  # on the way
            issued_us = max(issued_us, t.checked_in_us)
        if found is None or by_issue((ticket, issued_us)) < by_issue(found):
            found = (ticket, issued_us)
    return found


def oldest_waits(oldest: Oldest, now_s: float) -> dict[str, float]:
    """Per service, the wait so far at ``now_s`` of its oldest waiting ticket (0 if none)."""
    now_us = round(now_s * 1e6)
    return {svc: 0.0 if t is None else max(0, now_us - t[1]) / 1e6 for svc, t in oldest.items()}


def day_snapshot(
    d: Day,
    now_s: float,
    *,
    day: str,
    is_open: bool,
    hours: tuple[float, float] | None = None,
    last_event_us: int | None,
    received_s: float | None,
    tickets: bool,
    first: Oldest | None = None,
) -> LiveSnapshot:
    """The day at ``now_s`` as the collector and the JSON views read it
    (``first``: :func:`oldest_tickets` of ``d``, if known)."""
    queue = {svc: len(q) for svc, q in d.waiting.items()}
    first = oldest_tickets(d) if first is None else first
    busy = {name: counter_busy(d, name, c) for name, c in d.counters.items()}
    opened = {
        name: c.is_open or (c.switch is None and busy[name]) for name, c in d.counters.items()
    }
    return LiveSnapshot(
        now_s=now_s,
        day=day,
        open=is_open,
        hours=hours,
        queue=queue,
        queue_by_segment=dict(d.queue_seg),
        oldest_wait_s=oldest_waits(first, now_s),
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
        last_event_s=None if last_event_us is None else last_event_us / 1e6,
        came=dict(d.came),
        no_show=dict(d.no_show),
        oldest_ticket={svc: t[0] for svc, t in first.items() if t is not None},
        away=dict(d.away),
        at_counter={name: at_counter(d, c) for name, c in d.counters.items() if busy[name]},
        received_s=received_s,
        tickets=ticket_spans(d) if tickets else (),
    )


def day_picture(d: Day, configured: tuple[str, ...], now_s: float) -> QueuePicture:
    """Waiting tickets, busy and open counters at ``now_s`` (configured counters
    in the scenario's order, then others by name), for the nowcast."""
    now_us = round(now_s * 1e6)
    queued = sorted(
        (since_us, ticket, key)
        for ticket, t in d.tickets.items()
        if (since_us := t.effect.waiting_since_us) is not None and (key := t.effect.key) is not None
    )  # first come first: the order the tickets were issued in
    waiting = tuple((s, g, max(0, now_us - us) / 1e6) for us, _, (s, g) in queued)
    travel = tuple(_travel(d.tickets[ticket], us) for us, ticket, _ in queued)
    busy: list[tuple[str, str, str, float]] = []
    busy_waited: list[float | None] = []
    opened: list[str] = []
    # configured counters in the scenario's order, then others by name
    extra = sorted(set(d.counters) - set(configured))
    for name in (*configured, *extra):
        c = d.counters[name]
        is_busy = counter_busy(d, name, c)
        if is_busy and c.ticket is not None:
            service, segment = d.tickets[c.ticket].effect.key or ("", "")
            elapsed_s = max(0, now_us - c.call_us) / 1e6
            busy.append((name, service, segment, elapsed_s))
            issue = d.tickets[c.ticket].issue
            busy_waited.append(None if issue is None else max(0, c.call_us - issue[0]) / 1e6)
        if c.is_open or (c.switch is None and is_busy):
            opened.append(name)
    logged = any(c.switch is not None for c in d.counters.values())
    issued: dict[str, int] = {}
    for (service, _), n in d.issued.items():
        issued[service] = issued.get(service, 0) + n
    return QueuePicture(
        now_s,
        waiting,
        tuple(busy),
        tuple(opened) if logged else None,
        tuple(busy_waited),
        issued,
        tuple(ticket for _, ticket, _ in queued),
        travel,
    )


def _travel(t: Ticket, issued_us: int) -> float | None:
    """A waiting ticket's travel as :class:`QueuePicture` has it (NaN: taken in
    the hall; None: its holder on the way)."""
    if not t.remote:
        return math.nan
    if t.checked_in_us is None:
        return None
    return max(0, t.checked_in_us - issued_us) / 1e6


def ticket_now(d: Day, ticket: str) -> TicketNow | None:
    """One ticket of the day as :class:`TicketNow` (None: not issued today)."""
    t = d.tickets.get(ticket)
    if t is None or t.issue is None:
        return None
    issued_us, service, segment = t.issue
    e = t.effect
    if e.waiting_since_us is not None:
        state = "waiting"
    elif not t.calls:
        state = "cancelled"
    elif t.left_us is not None or (t.end is not None and t.end[1] == NO_SHOW):
        state = "no_show"  # called and gone: given up after the call, or not answered
    elif t.at_counter():
        state = "called"
    else:
        state = "served"
    return TicketNow(
        ticket, service, segment, state, issued_us / 1e6,
        t.calls[0][0] / 1e6 if t.calls else None, t.remote, e.away,
    )  # fmt: skip
