"""The staffing grid: counts that change only every ``step`` (``30m``, ``1h``)
rather than every statistics interval, so that a plan is one a hall can staff.
Pure functions of the scenario's intervals."""

from __future__ import annotations

import math
from collections.abc import Sequence

from sim.model.calendar import intervals
from sim.model.scenario import Scenario, ScenarioError
from sim.model.units import format_clock, format_duration

Counts = tuple[tuple[int, ...], ...]  # per resized group, per interval


def grid_blocks(scn: Scenario, step_s: float | None = None) -> list[list[int]]:
    """The statistics intervals (by index) grouped into the blocks of a staffing
    grid of ``step_s`` seconds counted from midnight (``30m``: blocks start at
    09:00, 09:30, ...; the first and last may be shorter, as opening hours
    allow). ``None`` or the interval itself: one block per interval. Raises
    :class:`ScenarioError` when an interval would straddle two blocks."""
    spans = intervals(scn)
    if step_s is None or abs(step_s - scn.interval) < 1e-9:
        return [[i] for i in range(len(spans))]
    if step_s < scn.interval:
        raise ScenarioError(
            f"is shorter than the scenario's {format_duration(scn.interval)} interval"
        )
    blocks: dict[int, list[int]] = {}
    for i, (start, end) in enumerate(spans):
        first, last = math.floor(start / step_s + 1e-9), math.ceil(end / step_s - 1e-9) - 1
        if first != last:
            raise ScenarioError(
                f"the interval {format_clock(start)}–"
                f"{format_clock(end)} crosses {format_clock((first + 1) * step_s)}; use a "
                f"multiple of the {format_duration(scn.interval)} interval that fits the "
                f"opening at {format_clock(scn.open)}"
            )
        blocks.setdefault(first, []).append(i)
    return list(blocks.values())


def on_grid(counts: Counts, blocks: Sequence[Sequence[int]]) -> Counts:
    """``counts`` raised to the largest count of each block, so that they change
    only where a block starts."""
    out = []
    for row in counts:
        new = list(row)
        for block in blocks:
            top = max(row[i] for i in block)
            for i in block:
                new[i] = top
        out.append(tuple(new))
    return tuple(out)
