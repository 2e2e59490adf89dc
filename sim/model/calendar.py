"""The hall's day: statistics intervals, piecewise schedules and when each
counter is staffed. Pure functions of the scenario."""

from __future__ import annotations

import itertools
import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.model.scenario import Scenario

Steps = Sequence[tuple[float, float]]


def step_value(steps: Steps, t_s: float) -> float:
    """Value of a piecewise-constant schedule at ``t_s`` (0 before its first step)."""
    i = bisect_right([start for start, _ in steps], t_s) - 1
    return steps[i][1] if i >= 0 else 0.0


def step_values(steps: Steps, t_s: np.ndarray) -> np.ndarray:
    """:func:`step_value` at every time in ``t_s``, vectorised."""
    starts = np.array([start for start, _ in steps])
    values = np.array([value for _, value in steps])
    i = np.searchsorted(starts, t_s, side="right") - 1
    return np.where(i >= 0, values[np.maximum(i, 0)], 0.0)


@dataclass(frozen=True, slots=True)
class CounterInstance:
    """One staffed position: counter ``name`` of group ``group`` (0-based index),
    staffed during ``windows`` (seconds, half-open, sorted, disjoint)."""

    name: str
    group: int
    kiosk: bool
    speed: float
    windows: tuple[tuple[float, float], ...]


def intervals(scn: Scenario) -> list[tuple[float, float]]:
    """Statistics intervals ``(start_s, end_s)`` over the opening day; a stationary
    run reports no intervals (its statistics are for the whole horizon)."""
    if scn.stationary:
        return []
    out: list[tuple[float, float]] = []
    t = scn.open
    while t < scn.close - 1e-9:
        out.append((t, min(t + scn.interval, scn.close)))
        t += scn.interval
    return out


def _instance_windows(
    position: int,
    count: Steps,
    shift: tuple[float, float],
    breaks: Sequence[tuple[float, float]],
) -> tuple[tuple[float, float], ...]:
    cuts = {shift[0], shift[1]}
    cuts.update(t for t, _ in count if shift[0] < t < shift[1])
    for b_start, b_end in breaks:
        cuts.update((b_start, b_end))
    points = sorted(t for t in cuts if shift[0] <= t <= shift[1])
    windows: list[tuple[float, float]] = []
    for lo, hi in itertools.pairwise(points):
        on = step_value(count, lo) >= position and not any(b0 <= lo < b1 for b0, b1 in breaks)
        if not on:
            continue
        if windows and windows[-1][1] == lo:
            windows[-1] = (windows[-1][0], hi)
        else:
            windows.append((lo, hi))
    return tuple(windows)


def counter_instances(scn: Scenario) -> list[CounterInstance]:
    """Every counter and kiosk position with its staffed windows. Counter ``k`` of
    a group (1-based) is staffed while the group's count is at least ``k``,
    inside the shift and outside the breaks. Stationary runs staff every position
    for the whole horizon (until the queue has drained)."""
    out: list[CounterInstance] = []
    for g, group in enumerate(scn.counters):
        peak = int(max(n for _, n in group.count))
        for k in range(1, peak + 1):
            if scn.stationary:
                on = step_value(group.count, 0.0) >= k
                windows: tuple[tuple[float, float], ...] = ((0.0, math.inf),) if on else ()
            else:
                lo, hi = group.shift or (scn.open, scn.close)
                shift = (max(lo, scn.open), min(hi, scn.close))
                windows = (
                    _instance_windows(k, group.count, shift, group.breaks)
                    if shift[0] < shift[1]
                    else ()
                )
            out.append(CounterInstance(f"{group.id}{k}", g, False, group.speed, windows))
    for g, kiosk in enumerate(scn.kiosks):
        span = ((0.0, math.inf),) if scn.stationary else ((scn.open, scn.close),)
        for k in range(1, kiosk.count + 1):
            out.append(CounterInstance(f"{kiosk.id}{k}", g, True, kiosk.speed, span))
    return out
