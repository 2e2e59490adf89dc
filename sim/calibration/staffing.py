"""Staffing per counter group from ``counter_opened``/``counter_closed`` events,
as the scenario writes it: the times shifts and breaks begin and end, not the
number of counters open at each interval's start.

A counter opens at its scheduled time. It closes at its scheduled time when
idle then; when it is busy it finishes the customer first, so its
``counter_closed`` coincides with the end of that service (or no-show) and the
scheduled time lies between that ticket's call and its end. Within that span
the scheduled time is taken to be a time the same group was seen closing idle
on another day (schedules repeat), else the latest boundary of the statistics
grid, else the latest whole minute, else the close itself.

The group's count over the day is then the median over days of the counters
open, on a one-minute grid, written as the steps where it changes.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

import numpy as np

GRID_S = 60.0


def scheduled_close(
    closed_s: float, busy_since_s: float | None, seen_idle: Counter[int], interval_s: float
) -> float:
    """When a counter closing at ``closed_s`` was scheduled to close: then, if it
    was idle (``busy_since_s`` None); else, in ``(busy_since_s, closed_s]``,
    the most frequent idle close time of its group (``seen_idle``, whole
    seconds), the latest multiple of ``interval_s``, or of a minute, or
    ``closed_s``."""
    if busy_since_s is None or not busy_since_s < closed_s:
        return closed_s
    inside = [(n, t) for t, n in seen_idle.items() if busy_since_s < t <= closed_s]
    if inside:
        return float(max(inside)[1])
    for step in (interval_s, GRID_S):
        t = math.floor(closed_s / step + 1e-9) * step
        if t > busy_since_s:
            return t
    return closed_s


def group_staffing(
    spans: Iterable[tuple[int, float, float, float | None]],
    n_days: int,
    open_s: float,
    close_s: float,
    interval_s: float,
) -> tuple[tuple[float, int], ...]:
    """Steps ``(start_s, count)`` of one group over ``[open_s, close_s)`` from
    its counters' spans ``(day, opened_s, closed_s, busy_since_s)``, where
    ``busy_since_s`` is the call time of the ticket whose end coincided with the
    close (None when the counter closed idle). The first step is at ``open_s``."""
    spans = list(spans)
    seen_idle = Counter(round(c) for _, _, c, busy in spans if busy is None)
    n_grid = max(1, math.ceil((close_s - open_s) / GRID_S - 1e-9))
    delta = np.zeros((max(n_days, 1), n_grid + 1))
    for day, opened, closed, busy in spans:
        end = scheduled_close(closed, busy, seen_idle, interval_s)
        # a grid time t counts the counter when opened <= t < end
        lo = max(0, math.ceil((opened - open_s) / GRID_S - 1e-9))
        hi = min(n_grid, max(0, math.ceil((end - open_s) / GRID_S - 1e-9)))
        if lo < hi:
            delta[day, lo] += 1
            delta[day, hi] -= 1
    open_counts = np.cumsum(delta, axis=1)[:, :n_grid]
    medians = np.floor(np.median(open_counts, axis=0) + 0.5).astype(int).tolist()
    steps: list[tuple[float, int]] = []
    for i, c in enumerate(medians):
        if not steps or steps[-1][1] != c:
            steps.append((open_s + i * GRID_S, c))
    return tuple(steps)
