"""The staffing grid: counts that change only every ``step`` (``30m``, ``1h``)
rather than every statistics interval, and a plan's counts written into the
scenario. Pure functions of the scenario."""

from __future__ import annotations

import math
from collections.abc import Sequence

from sim.model.calendar import intervals
from sim.model.scenario import Scenario, ScenarioError
from sim.model.units import format_clock, format_duration

Counts = tuple[tuple[int, ...], ...]  # per resized group, per interval


def apply_plan(scn: Scenario, groups: Sequence[int], counts: Counts) -> Scenario:
    """``scn`` with the count of each resized group (``groups``, indices into
    ``scn.counters``) following the plan, one count per interval."""
    new_groups = list(scn.counters)
    for g, row in zip(groups, counts, strict=True):
        new_groups[g] = new_groups[g].model_copy(update={"count": count_steps(scn, row)})
    return scn.model_copy(update={"counters": tuple(new_groups)})


def count_steps(scn: Scenario, row: Sequence[int]) -> tuple[tuple[float, float], ...]:
    """One count per interval as a count schedule ``((start_s, count), …)``,
    a step only where the count changes."""
    steps: list[tuple[float, float]] = []
    for (start, _), n in zip(intervals(scn), row, strict=True):
        if not steps or steps[-1][1] != n:
            steps.append((start, float(n)))
    return tuple(steps)


def block_starts(blocks: Sequence[Sequence[int]]) -> list[bool]:
    """Per interval: does a block of the grid start there?"""
    firsts = {block[0] for block in blocks}
    return [i in firsts for i in range(sum(len(b) for b in blocks))]


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
