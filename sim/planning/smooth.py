"""The cheapest staffing a hall can work to: counts per interval that cover a
requirement and keep the rules of :class:`PlanRules`, chosen jointly for the
whole day as one integer programme (``scipy.optimize.milp``, HiGHS).

The rules:

- **Minimum block**: a counter opened stays open, and one closed stays closed,
  at least ``min_block_s``: a group's count never turns from rising to falling,
  or back, within that time. The hall's opening counts as a rise and its
  closing as a fall, so no count falls in the first block of the day or rises
  in the last.
- **Maximum change**: from one interval to the next a group gains or loses at
  most ``max_change`` counters (no limit when ``None``).
- **Grid**: counts change only where a block of the ``step_s`` grid starts
  (:func:`sim.planning.grid.grid_blocks`).

The programme, per resized group with counts ``n_t`` over intervals ``t`` of
length ``h_t`` hours: minimise ``Σ h_t n_t`` (counter-hours) plus a tie-break
far below a counter-interval that prefers fewer changes, subject to
``need_t <= n_t <= max``, ``n_t - n_{t-1} <= M up_t``, ``n_{t-1} - n_t <= M
down_t`` with binary ``up_t``, ``down_t`` and ``M`` the largest change allowed,
and ``(b-1) up_t + Σ_{t<s<t+b} down_s <= b-1`` (and the same with up and down
swapped) for a block of ``b`` intervals. A constant count at the day's largest
need is always feasible, so the programme always has a solution.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.model.units import format_duration


@dataclass(frozen=True, slots=True)
class PlanRules:
    """What a staffing plan must keep (see the module docstring)."""

    min_block_s: float = 3600.0
    max_change: int | None = None
    step_s: float | None = None

    def block_intervals(self, interval_s: float) -> int:
        """The minimum block in whole intervals (at least one)."""
        return max(1, math.ceil(self.min_block_s / interval_s - 1e-9))

    def describe(self) -> str:
        """``counters stay open or closed at least 1h, change by at most 2 a step``."""
        parts = [f"a count turns only after {format_duration(self.min_block_s)} at least"]
        if self.max_change is not None:
            parts.append(f"changes by at most {self.max_change} a step")
        if self.step_s is not None:
            parts.append(f"changes only every {format_duration(self.step_s)}")
        return ", ".join(parts)


def cheapest_counts(
    need: Sequence[int],
    hours: Sequence[float],
    bounds: tuple[int, int],
    block: int,
    max_change: int | None = None,
    starts: Sequence[bool] | None = None,
) -> tuple[int, ...]:
    """The cheapest counts (counter-hours) per interval with ``need_t <= n_t``,
    ``lo <= n_t <= hi`` for ``bounds = (lo, hi)``, no turn within ``block``
    intervals, no step above ``max_change``, and changes only where
    ``starts[t]`` (default: anywhere). ``need`` must not exceed ``hi``."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_array

    lo, hi = bounds
    t_count = len(need)
    if t_count == 0:
        return ()
    floor = [max(lo, int(n)) for n in need]
    if max(floor) > hi:
        raise ValueError(f"a need of {max(floor)} is above the maximum {hi}")
    if t_count == 1:
        return (floor[0],)
    big = hi - lo if max_change is None else min(max_change, hi - lo)
    steps = t_count - 1  # change variables for t = 1 .. T-1
    n_vars = t_count + 2 * steps

    def up(t: int) -> int:
        return t_count + t - 1

    def down(t: int) -> int:
        return t_count + steps + t - 1

    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    upper: list[float] = []

    def row(entries: Sequence[tuple[int, float]], bound: float) -> None:
        r = len(upper)
        for col, val in entries:
            rows.append(r)
            cols.append(col)
            vals.append(val)
        upper.append(bound)

    for t in range(1, t_count):
        row([(t, 1.0), (t - 1, -1.0), (up(t), -float(big))], 0.0)
        row([(t - 1, 1.0), (t, -1.0), (down(t), -float(big))], 0.0)
        later = range(t + 1, min(t + block, t_count))
        if later:
            row([(up(t), block - 1.0), *((down(s), 1.0) for s in later)], block - 1.0)
            row([(down(t), block - 1.0), *((up(s), 1.0) for s in later)], block - 1.0)

    var_lo = np.zeros(n_vars)
    var_hi = np.ones(n_vars)
    var_lo[:t_count] = floor
    var_hi[:t_count] = hi
    for t in range(1, t_count):
        if starts is not None and not starts[t]:
            var_hi[up(t)] = var_hi[down(t)] = 0.0
        if t < block:  # opening is a rise: nothing falls in the first block
            var_hi[down(t)] = 0.0
        if t > t_count - block:  # closing is a fall: nothing rises in the last block
            var_hi[up(t)] = 0.0
    cost = np.zeros(n_vars)
    cost[:t_count] = hours
    cost[t_count:] = min(hours) / (4.0 * t_count)  # fewer changes break ties only
    matrix = coo_array((vals, (rows, cols)), shape=(len(upper), n_vars)).tocsr()
    result = milp(
        cost,
        integrality=np.ones(n_vars),
        bounds=Bounds(var_lo, var_hi),
        constraints=LinearConstraint(matrix, -np.inf, np.array(upper)),
    )
    if result.x is None:  # cannot happen: a constant count at the top need is feasible
        raise RuntimeError(f"the staffing programme has no solution: {result.message}")
    return tuple(round(v) for v in result.x[:t_count])


def keeps_rules(
    counts: Sequence[int],
    block: int,
    max_change: int | None = None,
    starts: Sequence[bool] | None = None,
) -> list[str]:
    """What ``counts`` break of the rules (empty when it keeps them), as
    ``interval 5: …`` lines: for tests and for checking a plan read from a file."""
    problems: list[str] = []
    last_turn: tuple[int, int] = (0, 1)  # (interval, direction): opening is a rise
    for t in range(1, len(counts)):
        step = counts[t] - counts[t - 1]
        if step == 0:
            continue
        if starts is not None and not starts[t]:
            problems.append(f"interval {t}: changes inside a block of the grid")
        if max_change is not None and abs(step) > max_change:
            problems.append(f"interval {t}: changes by {step:+d}, more than {max_change}")
        direction = 1 if step > 0 else -1
        if direction != last_turn[1] and t - last_turn[0] < block:
            problems.append(f"interval {t}: turns {t - last_turn[0]} intervals after a change")
        last_turn = (t, direction)
    if last_turn[1] == 1 and len(counts) - last_turn[0] < block and last_turn[0] > 0:
        problems.append(f"interval {last_turn[0]}: rises less than a block before closing")
    return problems
