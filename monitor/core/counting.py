"""How an event changes a hall's day (:class:`~monitor.core.state.HallState`'s
part that counts): the event is merged into its ticket's facts as a minimum, a
maximum or a set (:mod:`monitor.core.tickets`), and when the ticket's effect on
the day's counts changes, the old effect is taken back and the new one added,
part by part. So the counts are always the sum of the tickets' effects, in any
order the events came in."""

from __future__ import annotations

from monitor.core.hallinfo import SERVICE_BOUNDS_S
from monitor.core.tickets import (
    ALL_PARTS,
    AWAY,
    GONE,
    ISSUED,
    OUTCOME,
    QUEUE,
    SERVICE,
    WAIT,
    Counter,
    Day,
    Effect,
    Ticket,
    add_count,
    observe,
)
from sim.eventlog.events import ISSUE_KINDS, KIND_ORDER


class DayCounting:
    """The merging and counting methods of a hall's live state."""

    # what the state sets: the scenario's services and segments, and the wait histogram's bounds
    _services: frozenset[str]
    _segments: frozenset[str]
    _wait_bounds: tuple[float, ...]

    def _settle(self, d: Day, touched: dict[str, Ticket]) -> None:
        """Replace the effect of each touched ticket on the day's counts by the
        effect of what is known of it now."""
        for ticket, t in touched.items():
            effect = t.effect_now()
            if effect != t.effect:
                self._recount(d, t.effect, effect, ticket)
                t.effect = effect

    def _merge(
        self,
        d: Day,
        kind: str,
        ts_us: int,
        ticket: str | None,
        service: str | None,
        segment: str | None,
        counter: str | None,
    ) -> Ticket | None:
        """Merge one event (its fields as a row has them) into the day's facts;
        the ticket when its facts changed (its effect is settled by
        :meth:`_settle`), else None."""
        if kind == "counter_opened" or kind == "counter_closed":
            assert counter is not None
            c = self._counter(d, counter)
            switch = (ts_us, KIND_ORDER[kind])
            if c.switch is None or switch >= c.switch:
                c.switch, c.is_open = switch, kind == "counter_opened"
            return None
        assert ticket is not None
        t = d.tickets.get(ticket)
        if t is None:
            t = d.tickets[ticket] = Ticket()
        if kind in ISSUE_KINDS:
            assert service is not None and segment is not None
            issue = (ts_us, service, segment)
            remote = t.remote or kind == "remote_ticket_issued"
            if t.issue is not None and t.issue <= issue and remote == t.remote:
                return None  # issued twice: the earliest stands
            t.remote = remote
            t.issue = min(issue, t.issue or issue)
        elif kind == "ticket_checked_in":
            if t.checked_in_us is not None and t.checked_in_us <= ts_us:
                return None
            t.checked_in_us = ts_us
        elif kind == "ticket_called":
            assert counter is not None
            call = (ts_us, counter)
            if not t.calls:
                t.calls = (call,)
            elif call in t.calls:
                return None
            else:
                t.calls = tuple(sorted((*t.calls, call)))
            c = self._counter(d, counter)
            if (ts_us, ticket) >= (c.call_us, c.ticket or ""):
                c.call_us, c.ticket = ts_us, ticket
        elif kind == "ticket_abandoned":
            if t.left_us is not None and t.left_us <= ts_us:
                return None
            t.left_us = ts_us
        else:  # service_ended, ticket_no_show: the latest is the last word
            end = (ts_us, KIND_ORDER[kind])
            if t.end is not None and t.end >= end:
                return None
            t.end = end
        return t

    def _counter(self, d: Day, name: str) -> Counter:
        c = d.counters.get(name)
        if c is None:
            c = d.counters[name] = Counter()
        return c

    def _recount(self, d: Day, old: Effect, new: Effect, ticket: str) -> None:
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
                self._count(d, old, ticket, -1, ALL_PARTS)
            if new.key is not None:
                self._count(d, new, ticket, 1, ALL_PARTS)
            return
        if new.key is None:
            return
        changed = (
            (WAIT if old.wait_us != new.wait_us else 0)
            | (SERVICE if old.service_us != new.service_us else 0)
            | (GONE if old.gone != new.gone else 0)
            | (QUEUE if old.waiting_since_us != new.waiting_since_us else 0)
            | (OUTCOME if old.outcome != new.outcome else 0)
            | (AWAY if old.away != new.away else 0)
        )
        if changed:
            self._count(d, old, ticket, -1, changed)
            self._count(d, new, ticket, 1, changed)

    def _count(self, d: Day, e: Effect, ticket: str, sign: int, parts: int) -> None:
        """Add the ``parts`` of an issued ticket's effect to the day's counts
        (``sign=-1``: take them back). A count of a service or segment the
        scenario does not know is dropped when it returns to zero, so that it
        exists only while something is in it, whichever order the events came in."""
        key = e.key
        assert key is not None
        service = key[0]
        known_service = service in self._services
        known = known_service and key[1] in self._segments
        if known:
            _count_known(d, e, ticket, sign, parts)
            return
        if parts & ISSUED:
            add_count(d.issued, key, sign, known)
        if parts & WAIT and e.wait_us is not None:
            add_count(d.served, key, sign, known)
            observe(d.wait, service, self._wait_bounds, e.wait_us, sign, known_service)
        if parts & SERVICE and e.service_us is not None:
            observe(d.service_time, service, SERVICE_BOUNDS_S, e.service_us, sign, known_service)
        if parts & GONE and e.gone:
            add_count(d.abandoned, key, sign, known)
        if parts & OUTCOME and e.outcome is not None:
            add_count(d.came if e.outcome == "came" else d.no_show, key, sign, known)
        if parts & AWAY and e.away:
            n = d.away.get(service, 0) + sign
            if n or known_service:
                d.away[service] = n
            else:
                del d.away[service]
        if parts & QUEUE and e.waiting_since_us is not None:
            queue = d.waiting.get(service)
            if queue is None:
                queue = d.waiting[service] = {}
            if sign > 0:
                queue[ticket] = e.waiting_since_us
            else:
                del queue[ticket]
                if not queue and not known_service:
                    del d.waiting[service]
            add_count(d.queue_seg, key, sign, known)


def _count_known(d: Day, e: Effect, ticket: str, sign: int, parts: int) -> None:
    """:meth:`DayCounting._count` of a ticket of a service and segment the
    scenario knows (nearly all): their counts, histograms and queue exist all
    day (:meth:`~monitor.core.state.HallState._new_day` makes them), so each is
    added to in place, without the look-ups and calls that keep an unknown
    name's counts only while they are not zero."""
    key = e.key
    assert key is not None
    service = key[0]
    if parts & ISSUED:
        d.issued[key] += sign
    if parts & WAIT and e.wait_us is not None:
        d.served[key] += sign
        d.wait[service].observe(e.wait_us, sign)
    if parts & SERVICE and e.service_us is not None:
        d.service_time[service].observe(e.service_us, sign)
    if parts & GONE and e.gone:
        d.abandoned[key] += sign
    if parts & OUTCOME and e.outcome is not None:
        (d.came if e.outcome == "came" else d.no_show)[key] += sign
    if parts & AWAY and e.away:
        d.away[service] += sign
    if parts & QUEUE and e.waiting_since_us is not None:
        if sign > 0:
            d.waiting[service][ticket] = e.waiting_since_us
        else:
            del d.waiting[service][ticket]
        d.queue_seg[key] += sign
