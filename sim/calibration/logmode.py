"""How a log records give-ups, read from the log itself.

A ticket system either logs a give-up when it happens (``exact``: a customer
cancels, or the system sees them leave) or only learns of it when the ticket
is called and nobody comes (``no_show``); tickets still open when the day ends
are closed out by the system in both. A ``ticket_abandoned`` that is neither a
close-out nor on a ticket issued that instant (a balk, which only an exact log
sees) therefore means the log is exact, and so does one logged before the
ticket's call.

A close-out is a ``ticket_abandoned`` on a ticket never called, at or after the
day's last ticket issued, at an instant that is either shared with another
such ticket, the day's last event, or a whole minute (a closing time): a give-up
logged as it happens lands on none of those but by a one-in-a-million chance.
"""

from __future__ import annotations

import numpy as np

from sim.eventlog.events import AbandonEvents

_EPS_S = 1e-3


def closed_out(
    day: np.ndarray,
    issued: np.ndarray,
    called: np.ndarray,
    abandoned: np.ndarray,
    last_event: np.ndarray,
) -> np.ndarray:
    """Per ticket: a close-out (module docstring). ``day`` indexes ``last_event``
    (each day's latest event, seconds after midnight of that day's tickets)."""
    n_days = len(last_event)
    never_called = ~np.isfinite(called) & np.isfinite(abandoned)
    last_issue = np.full(n_days, -np.inf)
    np.maximum.at(last_issue, day, issued)
    late = never_called & (abandoned >= last_issue[day] - _EPS_S)
    at = np.where(late, abandoned, np.nan)
    key = np.round(at[late] * 1e3).astype(np.int64)  # to the millisecond, per day
    pairs = np.stack([day[late], key], axis=1)
    _, inverse, counts = np.unique(pairs, axis=0, return_inverse=True, return_counts=True)
    shared = np.zeros(len(day), dtype=bool)
    shared[np.flatnonzero(late)] = counts[inverse.reshape(-1)] >= 2
    minute = np.abs(at - np.round(at / 60.0) * 60.0) < _EPS_S
    last = np.abs(at - last_event[day]) < _EPS_S
    out: np.ndarray = late & (shared | minute | last)
    return out


def detect(
    issued: np.ndarray, called: np.ndarray, abandoned: np.ndarray, closed: np.ndarray
) -> AbandonEvents:
    """``exact`` when some give-up was logged as it happened (module docstring)."""
    logged = np.isfinite(abandoned)
    before_call = logged & np.isfinite(called) & (abandoned <= called)
    unseen = logged & ~np.isfinite(called) & ~closed
    return "exact" if bool(np.any(before_call | unseen)) else "no_show"
