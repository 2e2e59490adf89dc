"""A ticket's facts and the day's counts they add up to, for
:mod:`monitor.core.state`.

Every fact is merged as a minimum, a maximum or a set, so merging commutes: the
same events give the same :class:`Ticket` in any order. A ticket's
:class:`Effect` on the day's counts is a function of its facts; when they
change, the state takes the old effect back and adds the new one
(:func:`add_count`, :func:`observe` with ``sign=-1``).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, NamedTuple

from monitor.core.labels import LabelCap
from monitor.core.snapshot import Histogram
from sim.eventlog.events import KIND_ORDER

NO_SHOW = KIND_ORDER["ticket_no_show"]


class Hist:
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


class Effect(NamedTuple):
    """What one ticket adds to the day's counts, a function of what is known of
    it: when that changes, the old effect is taken back and the new one added,
    so the counts depend on the set of events, not on their order."""

    key: tuple[str, str] | None  # (service, segment) once issued
    wait_us: int | None  # issue -> first call, once both are known
    service_us: int | None  # answered call -> service end, when it ended served
    gone: bool  # abandoned or a no-show
    waiting_since_us: int | None  # issued, not called, not abandoned
    first_counter: str | None  # the counter of the first call
    outcome: str | None  # called and "came", or a "no_show" never logged as given up
    away: bool = False  # waiting, issued remotely, its holder not checked in: on the way


NO_EFFECT = Effect(None, None, None, False, None, None, None)
# an Effect made at once, its fields in order: its own __new__ is Python code, and an
# effect is made for every ticket a batch touches
_effect: Callable[[tuple[Any, ...]], Effect] = partial(tuple.__new__, Effect)
# the parts of an effect, for recounting only what changed
ISSUED, WAIT, SERVICE, GONE, QUEUE, OUTCOME, AWAY = 1, 2, 4, 8, 16, 32, 64
ALL_PARTS = ISSUED | WAIT | SERVICE | GONE | QUEUE | OUTCOME | AWAY


@dataclass(slots=True)
class Ticket:
    # every merge below keeps a minimum or maximum (or a set), so it commutes
    issue: tuple[int, str, str] | None = None  # earliest ticket_issued (ts_us, service, segment)
    calls: tuple[tuple[int, str], ...] = ()  # every call (ts_us, counter), ascending
    end: tuple[int, int] | None = None  # latest service_ended / ticket_no_show (ts_us, kind order)
    left_us: int | None = None  # earliest ticket_abandoned
    remote: bool = False  # some issue of it was a remote_ticket_issued
    checked_in_us: int | None = None  # earliest ticket_checked_in
    effect: Effect = NO_EFFECT

    def at_counter(self) -> bool:
        """Called, and not ended since its latest call."""
        return bool(self.calls) and (self.end is None or self.end[0] < self.calls[-1][0])

    def effect_now(self) -> Effect:
        calls, issue = self.calls, self.issue
        first_counter = calls[0][1] if calls else None
        if issue is None:
            return _effect((None, None, None, False, None, first_counter, None, False))
        issued_us, service, segment = issue
        wait_us = None
        if calls and calls[0][0] >= issued_us:
            # a call dated before the issue is quarantined by the monitor
            # (monitor.core.timeline); one applied anyway (a test, an old store)
            # leaves the wait unknown rather than a 0 s wait within target
            wait_us = calls[0][0] - issued_us
        service_us = None
        end = self.end
        if calls and end is not None and end[1] != NO_SHOW:
            end_us = end[0]
            # the service began with the latest call before it ended (a re-call
            # after a no-show is the one the customer answered)
            answered = calls[0][0]
            for ts, _ in calls:
                if answered < ts <= end_us:
                    answered = ts
            service_us = end_us - answered if end_us >= answered else None
        no_show = self.left_us is None and end is not None and end[1] == NO_SHOW
        gone = self.left_us is not None or no_show
        waiting = not calls and self.left_us is None
        outcome = None if not calls else "no_show" if no_show else None if gone else "came"
        away = waiting and self.remote and self.checked_in_us is None
        return _effect((
            (service, segment), wait_us, service_us, gone, issued_us if waiting else None,
            first_counter, outcome, away,
        ))  # fmt: skip


@dataclass(slots=True)
class Counter:
    switch: tuple[int, int] | None = None  # (ts_us, kind order) of the latest open/close
    is_open: bool = False
    call_us: int = -1
    ticket: str | None = None  # the latest ticket it called (ties: the larger ticket id)
    served: int = 0


@dataclass(slots=True)
class Day:
    day: str | None
    tickets: dict[str, Ticket] = field(default_factory=dict)
    waiting: dict[str, dict[str, int]] = field(default_factory=dict)  # service -> ticket -> us
    queue_seg: dict[tuple[str, str], int] = field(default_factory=dict)
    issued: dict[tuple[str, str], int] = field(default_factory=dict)
    served: dict[tuple[str, str], int] = field(default_factory=dict)
    abandoned: dict[tuple[str, str], int] = field(default_factory=dict)
    came: dict[tuple[str, str], int] = field(default_factory=dict)
    no_show: dict[tuple[str, str], int] = field(default_factory=dict)
    away: dict[str, int] = field(default_factory=dict)  # service -> remote holders on the way
    counters: dict[str, Counter] = field(default_factory=dict)
    wait: dict[str, Hist] = field(default_factory=dict)
    service_time: dict[str, Hist] = field(default_factory=dict)
    caps: tuple[LabelCap, LabelCap, LabelCap] | None = None  # service, segment, counter


def add_count(
    table: dict[tuple[str, str], int], key: tuple[str, str], sign: int, known: bool
) -> None:
    n = table.get(key, 0) + sign
    if n or known:
        table[key] = n
    else:
        del table[key]


def observe(
    table: dict[str, Hist],
    service: str,
    bounds: tuple[float, ...],
    value_us: int,
    sign: int,
    known: bool,
) -> None:
    h = table.get(service)
    if h is None:
        h = table[service] = Hist(bounds)  # a service the scenario does not know
    h.observe(value_us, sign)
    if not known and not any(h.counts):
        del table[service]
