"""Events that run time backwards within their ticket.

A ticket is issued, then called (perhaps again after a no-show), then served
or given up. An event dated against that order (a call before the ticket's
issue, a service end or no-show before its first call, an issue after its
call) would count a wait or service time that never happened (a call before
the issue used to count as a 0 s wait, within target), so it is stored but
*quarantined* with its reason: never applied, listed at
``GET /v1/halls/{hall}/quarantine``.

Which event of a contradicting pair is held depends on what the hall already
knows: an event is checked against the ticket's facts applied so far, and the
events of one batch are checked issue first, then calls, then ends (each in
event time), so a ticket sent whole in one batch keeps its issue and loses
the event that contradicts it. The choice is stored with the events, so a
restart holds the same ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from monitor.core.rows import Row
from sim.eventlog.events import ISSUE_KINDS

REASONS: dict[str, str] = {
    "future": "dated more than future_slack ahead of the wall clock when it arrived",
    "called_before_issued": "a call dated before its ticket was issued",
    "ended_before_issued": "a service end or no-show dated before its ticket was issued",
    "ended_before_called": "a service end or no-show dated before its ticket's first call",
    "abandoned_before_issued": "a give-up dated before its ticket was issued",
    "checked_in_before_issued": "a check-in dated before its remote ticket was issued",
    "issued_after_called": "an issue dated after its ticket's first call",
    "issued_after_ended": "an issue dated after its ticket was served, a no-show or given up",
}
# issues, then calls, then check-ins, ends and give-ups
_RANK = {"ticket_issued": 0, "remote_ticket_issued": 0, "ticket_called": 1}


@dataclass(slots=True)
class Facts:
    """What a ticket's applied events say of its order (Unix microseconds)."""

    issued_us: int | None = None  # the earliest issue
    first_call_us: int | None = None
    ended_us: int | None = None  # a service end, no-show or give-up (the earliest known)


Known = Callable[[str, str], "Facts | None"]  # (local day, ticket) -> facts, None: nothing


def facts_of(rows: Iterable[Row]) -> dict[tuple[str, str], Facts]:
    """What ``rows`` (to be applied) say of their tickets, by (local day, ticket)."""
    found: dict[tuple[str, str], Facts] = {}
    for row in rows:
        if row.ticket is not None:
            facts = found.get((row.day, row.ticket))
            if facts is None:
                facts = found[(row.day, row.ticket)] = Facts()
            _learn(row, facts)
    return found


def merged(a: Facts | None, b: Facts | None) -> Facts | None:
    """What ``a`` and ``b`` say of one ticket together (None: neither says anything)."""
    if a is None or b is None:
        return a or b
    return Facts(
        _earliest(a.issued_us, b.issued_us),
        _earliest(a.first_call_us, b.first_call_us),
        _earliest(a.ended_us, b.ended_us),
    )


def _earliest(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def backwards(rows: Iterable[Row], known: Known) -> list[tuple[str, str]]:
    """(id, reason) of the ``rows`` that run time backwards within their ticket
    (a ticket number is one ticket within a local day), given what is ``known``
    of each ticket.

    The events of a ticket are decided issues first, then calls, then the rest
    (:func:`_reason` on what the ticket's events before them taught,
    :func:`_learn`); within each rank, no event's decision depends on another
    of the same rank (an issue is judged by calls and ends already known, a
    call by the issue, an end by the issue and the first call, and the
    earliest of those that pass is what is learnt), so each rank is decided in
    one pass in any order, without sorting the ticket's events."""
    tickets: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        if row.ticket is not None:
            tickets.setdefault((row.day, row.ticket), []).append(row)
    held: list[tuple[str, str]] = []
    for (day, ticket), events in tickets.items():
        found = known(day, ticket)
        if found is None:
            if len(events) == 1:
                continue  # one event of a ticket nothing is known of: nothing to contradict
            issued = first_call = ended = None
        else:
            issued, first_call, ended = found.issued_us, found.first_call_us, found.ended_us
        ticket_held: list[tuple[Row, str]] = []
        calls: list[Row] = []
        others: list[Row] = []
        for row in events:  # issues: judged by the calls and ends known before the batch
            kind, ts = row.kind, row.ts_us
            if kind in ISSUE_KINDS:
                if (first_call is not None and ts > first_call) or (
                    ended is not None and ts > ended
                ):
                    ticket_held.append((row, _why(row, first_call, ended)))
                elif issued is None or ts < issued:
                    issued = ts
            elif kind == "ticket_called":
                calls.append(row)
            else:
                others.append(row)
        for row in calls:  # calls: by the issue
            ts = row.ts_us
            if issued is not None and ts < issued:
                ticket_held.append((row, "called_before_issued"))
            elif first_call is None or ts < first_call:
                first_call = ts
        for row in others:  # check-ins, ends and give-ups: by the issue and the first call
            ts = row.ts_us
            if (issued is not None and ts < issued) or (
                first_call is not None
                and ts < first_call
                and row.kind in ("service_ended", "ticket_no_show")
            ):
                ticket_held.append((row, _why(row, first_call, ended, issued)))
        if ticket_held:  # rare: listed in the order the ticket's events are decided in
            ticket_held.sort(key=_decided_order)
            held += [(row.id, reason) for row, reason in ticket_held]
    return held


def _decided_order(held: tuple[Row, str]) -> tuple[int, int, str]:
    row = held[0]
    return _RANK.get(row.kind, 2), row.ts_us, row.id


def _why(row: Row, first_call: int | None, ended: int | None, issued: int | None = None) -> str:
    """The reason a held ``row`` runs time backwards, by the facts it was judged by."""
    reason = _reason(row, Facts(issued, first_call, ended))
    assert reason is not None
    return reason


def _reason(row: Row, facts: Facts) -> str | None:
    ts, kind, issued = row.ts_us, row.kind, facts.issued_us
    if kind in ISSUE_KINDS:
        if facts.first_call_us is not None and ts > facts.first_call_us:
            return "issued_after_called"
        if facts.ended_us is not None and ts > facts.ended_us:
            return "issued_after_ended"
        return None
    if issued is not None and ts < issued:
        if kind == "ticket_called":
            return "called_before_issued"
        if kind == "ticket_checked_in":
            return "checked_in_before_issued"
        return "abandoned_before_issued" if kind == "ticket_abandoned" else "ended_before_issued"
    first_call = facts.first_call_us
    if kind in ("service_ended", "ticket_no_show") and first_call is not None and ts < first_call:
        return "ended_before_called"
    return None


def _learn(row: Row, facts: Facts) -> None:
    ts, kind = row.ts_us, row.kind
    if kind in ISSUE_KINDS:
        facts.issued_us = _earliest(facts.issued_us, ts)
    elif kind == "ticket_called":
        facts.first_call_us = _earliest(facts.first_call_us, ts)
    elif kind != "ticket_checked_in":  # a check-in neither calls nor ends a ticket
        facts.ended_us = _earliest(facts.ended_us, ts)
