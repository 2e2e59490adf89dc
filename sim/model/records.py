"""What a simulated day leaves behind: one immutable record per customer and
one per counter staffing span. Statistics are pure functions of these.

Records are held column-wise (read-only numpy arrays) so that a day of 200,000
customers costs little to build, pickle and summarise; iterating yields one
:class:`CustomerRecord` named tuple per customer.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

# outcome codes (the record type of a customer)
SERVED = 0
ABANDONED = 1  # gave up while waiting (a no-show when the ticket was called later)
BALKED = 2  # saw the queue and left without waiting
UNSERVED = 3  # still waiting when the run ended, or turned away at closing
OUTCOMES = ("served", "abandoned", "balked", "unserved")


class CustomerRecord(NamedTuple):
    """One customer. Times are seconds after local midnight (or run start); a
    time that does not apply is NaN and ``counter`` is ``""``."""

    ticket: int
    outcome: str
    arrival_s: float
    service: str
    segment: str
    channel: str  # "counter" or "kiosk"
    appointment: bool
    called_s: float  # called to a counter (for a no-show: when the ticket was called)
    ended_s: float  # service ended (for a no-show: when the counter gave up calling)
    left_s: float  # left without service (abandon, balk, turned away)
    counter: str
    remote: bool = False  # took the ticket before coming
    hall_s: float = math.nan  # in the hall from: arrival, or a remote holder's check-in
    early_called_s: float = math.nan  # a remote ticket called before its holder came


def check_in_s(arrival_s: np.ndarray, travel_s: np.ndarray | None) -> np.ndarray:
    """When each customer is in the hall: at ``arrival_s`` (the ticket), or a remote
    holder ``travel_s`` later (NaN travel: a walk-in; None: no remote tickets)."""
    if travel_s is None:
        return arrival_s
    return np.asarray(arrival_s + np.nan_to_num(travel_s, nan=0.0))


class CounterSpan(NamedTuple):
    """A counter was open (staffed and calling tickets) from ``opened_s`` to ``closed_s``."""

    counter: str
    opened_s: float
    closed_s: float


@dataclass(frozen=True)
class Records:
    """All customers and counter spans of one simulated run."""

    services: tuple[str, ...]
    segments: tuple[str, ...]
    counters: tuple[str, ...]
    counter_group: np.ndarray  # int per counter: index of its group (counters or kiosks)
    counter_is_kiosk: np.ndarray  # bool per counter
    arrival_s: np.ndarray
    service: np.ndarray
    segment: np.ndarray
    kiosk: np.ndarray
    appointment: np.ndarray
    outcome: np.ndarray  # int8, one of the outcome codes
    called_s: np.ndarray
    ended_s: np.ndarray
    left_s: np.ndarray
    counter: np.ndarray  # int index into ``counters``, -1 for none
    span_counter: np.ndarray  # int index into ``counters``
    span_opened_s: np.ndarray
    span_closed_s: np.ndarray
    day_factor: float = 1.0
    # remote tickets (None without them): a holder's travel from ticket to hall (NaN
    # for a walk-in); when and by which counter a remote ticket was called before its
    # holder had come (NaN, -1 if not). ``called_s``, ``counter`` and ``ended_s``
    # are of the call that counted: the service, or the call that lost the ticket.
    travel_s: np.ndarray | None = None
    early_called_s: np.ndarray | None = None
    early_counter: np.ndarray | None = None

    def __post_init__(self) -> None:
        for value in vars(self).values():
            if isinstance(value, np.ndarray):
                value.flags.writeable = False

    def __len__(self) -> int:
        return len(self.arrival_s)

    @property
    def remote(self) -> np.ndarray:
        """Which customers took their ticket remotely (bool per customer)."""
        if self.travel_s is None:
            return np.zeros(len(self), dtype=bool)
        return np.asarray(~np.isnan(self.travel_s))

    def next_call_s(self, after_s: float = -math.inf) -> np.ndarray:
        """When a counter next reaches each ticket after ``after_s``: a remote
        ticket's call before its holder had come, if that is later than
        ``after_s`` and earlier than ``called_s``, else ``called_s`` (NaN:
        never called). What its holder must be there by."""
        if self.early_called_s is None:
            return self.called_s
        early = np.where(self.early_called_s > after_s, self.early_called_s, np.nan)
        return np.asarray(np.fmin(early, self.called_s))

    @property
    def hall_s(self) -> np.ndarray:
        """When each customer is in the hall: ``arrival_s`` (the ticket), or for a
        remote holder ``arrival_s + travel_s`` (the check-in)."""
        return check_in_s(self.arrival_s, self.travel_s)

    def __iter__(self) -> Iterator[CustomerRecord]:
        remote, hall_s = self.remote, self.hall_s
        early = self.early_called_s if self.early_called_s is not None else None
        for i in range(len(self)):
            k = int(self.counter[i])
            yield CustomerRecord(
                ticket=i,
                outcome=OUTCOMES[int(self.outcome[i])],
                arrival_s=float(self.arrival_s[i]),
                service=self.services[int(self.service[i])],
                segment=self.segments[int(self.segment[i])],
                channel="kiosk" if self.kiosk[i] else "counter",
                appointment=bool(self.appointment[i]),
                called_s=float(self.called_s[i]),
                ended_s=float(self.ended_s[i]),
                left_s=float(self.left_s[i]),
                counter=self.counters[k] if k >= 0 else "",
                remote=bool(remote[i]),
                hall_s=float(hall_s[i]),
                early_called_s=float(early[i]) if early is not None else math.nan,
            )

    def spans(self) -> Iterator[CounterSpan]:
        """Counter staffing spans in the order they opened."""
        for k, opened, closed in zip(
            self.span_counter, self.span_opened_s, self.span_closed_s, strict=True
        ):
            yield CounterSpan(self.counters[int(k)], float(opened), float(closed))
