"""How many shifts of each kind each day, group and contract: the first stage
of a week roster, and the whole of a one-day roster.

An integer programme (HiGHS) chooses ``s[d, g, c, k]``, the shifts of kind
``k`` (start, length, meal-break length) worked on day ``d`` for group ``g``
by people on contract ``c``, and ``b[d, g, p]``, how many of a day's shifts of
a kind take their break at each allowed place (pattern ``p``): breaks are
placed apart from the shifts, which keeps the programme small and its
relaxation tight. People at work (on shift, not on break) cover every slot's
requirement, within the on-duty bounds and the people available per group and
day, at the least cost (paid hours times the contract's rate).

For a week it also chooses ``m[c]``, the people hired on each contract, and
keeps the week's shifts within what they can work: at most one shift a person
a day, each between the contract's minimum and maximum weekly hours, its days
off, and its consecutive days (runs of days, wrapping round when the week
repeats). With named staff the same limits come from the staff themselves.
These are necessary conditions for giving the shifts to people, so the second
stage (:mod:`sim.planning.roster.assign`) usually can.

Hiring is searched first: a branch and bound over ``m`` on the linear
relaxation (a few milliseconds each) with the shifts programme solved for the
promising hiring only, which proves optimality far sooner than one programme
over both (whose relaxation is loose in ``m``).
"""

from __future__ import annotations

import heapq
import itertools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.planning.roster.milp import INFEASIBLE, Programme, Solution, solve
from sim.planning.roster.patterns import Pattern
from sim.planning.roster.people import Person
from sim.planning.roster.programme import BreakColumn, Column, DayGrid, ShiftProgramme, Terms
from sim.planning.roster.rules import RosterRules

_TOLERANCE = 1e-4  # relative: HiGHS's own optimality gap


@dataclass(frozen=True)
class Counts:
    """The first stage's answer: shifts per column and breaks per break column,
    people hired per terms (anonymous weeks; else empty), the people short per
    soft row ``(day, group or None for on_duty.min, slot, need)`` (elastic
    only), the status (``optimal``, ``time limit, gap x%``) and the seconds
    HiGHS took, or ``solution`` None when it found nothing."""

    columns: tuple[Column, ...]
    shifts: tuple[int, ...]
    breaks: tuple[BreakColumn, ...]
    placed: tuple[int, ...]
    hired: tuple[int, ...]
    short: tuple[tuple[tuple[int, str | None, int, int], int], ...]
    status: str
    seconds: float
    infeasible: bool = False

    def patterns(self, day: int, group: int, terms: int) -> list[tuple[Pattern, int]]:
        """The shifts of one day, group and terms as patterns with counts (breaks
        placed: a kind's break places go to its terms in column order)."""
        left = {
            (b.day, b.group, b.pattern): n
            for b, n in zip(self.breaks, self.placed, strict=True)
            if n > 0
        }
        out: list[tuple[Pattern, int]] = []
        for col, n in zip(self.columns, self.shifts, strict=True):
            if n == 0 or col.day != day or col.group != group:
                continue
            start, length, meal = col.kind
            if meal == 0:
                if col.terms == terms:
                    out.append((Pattern(start, length, None), n))
                continue
            for (d, g, pat), free in sorted(left.items(), key=lambda item: item[0][2]):
                if (d, g) != (day, group) or pat.kind != col.kind or free == 0 or n == 0:
                    continue
                take = min(free, n)
                left[d, g, pat] = free - take
                n -= take
                if col.terms == terms:
                    out.append((pat, take))
        return sorted(out)


def counts_of(prog: ShiftProgramme, solution: Solution, elastic: bool, status: str) -> Counts:
    """The counts in ``solution`` (which holds a point)."""
    assert solution.x is not None
    x = [int(v) for v in np.rint(solution.x)]
    n_s, n_b, n_m = len(prog.columns), len(prog.breaks), prog.n_hired
    short: list[tuple[tuple[int, str | None, int, int], int]] = []
    if elastic:
        gaps = x[prog.first_extra + len(prog.extra_upper) :]
        for (_, tag), gap in zip(prog.rows.soft, gaps, strict=True):
            if gap > 0:
                short.append((tag, gap))  # type: ignore[arg-type]
    return Counts(
        columns=tuple(prog.columns),
        shifts=tuple(x[:n_s]),
        breaks=tuple(prog.breaks),
        placed=tuple(x[n_s : n_s + n_b]),
        hired=tuple(x[n_s + n_b : n_s + n_b + n_m]),
        short=tuple(short),
        status=status,
        seconds=solution.seconds,
    )


def _nothing(prog: ShiftProgramme, status: str, seconds: float, infeasible: bool) -> Counts:
    return Counts(
        tuple(prog.columns), (), tuple(prog.breaks), (), (), (), status, seconds, infeasible
    )


def solve_counts(
    grids: Sequence[DayGrid | None],
    terms: Sequence[Terms],
    rules: RosterRules,
    *,
    persons: Sequence[Person] | None = None,
    cyclic: bool = True,
    elastic: bool = False,
    time_limit_s: float | None = None,
) -> Counts:
    """The first stage (see the module docstring) over ``grids`` (one per
    roster day, None when closed). ``persons``: named staff (None: anonymous
    people hired per contract). With ``elastic``, coverage may fall short at a
    steep price per person short (:attr:`Counts.short` says where). A result
    without shifts is infeasible (``infeasible``) or ran out of time."""
    limit_s = rules.time_limit if time_limit_s is None else time_limit_s
    prog = ShiftProgramme(grids, terms, rules, persons, cyclic)
    if prog.hiring:
        return _search_hiring(prog, limit_s, elastic)
    solution = solve(prog.programme(elastic), limit_s)
    if solution.x is None:
        return _nothing(prog, solution.message, solution.seconds, solution.status == INFEASIBLE)
    return counts_of(prog, solution, elastic, solution.describe())


@dataclass(order=True)
class _Node:
    """A box of hiring ``[lower, upper]`` per terms and its relaxation's bound."""

    bound: float
    order: int
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    hired: tuple[float, ...]  # the relaxation's hiring


def _search_hiring(prog: ShiftProgramme, limit_s: float, elastic: bool) -> Counts:
    """Branch and bound over the people hired: best box first by its linear
    relaxation; a box whose relaxation hires whole people has its shifts
    programme solved with that hiring fixed (for part of the time limit, so
    that one hard hiring cannot starve the others), and the rest of
    the box split around it; a box whose relaxation hires a fraction is split
    at it. Without any roster found the result is ``infeasible``: the caller
    then looks for the nearest one (``elastic``)."""
    base = prog.programme(elastic)
    first, count = prog.first_hired, prog.n_hired
    started = time.perf_counter()
    order = itertools.count()
    best: tuple[float, Solution] | None = None
    seconds = 0.0
    tried = 0

    def left() -> float:
        return limit_s - (time.perf_counter() - started)

    def relax(lower: tuple[float, ...], upper: tuple[float, ...]) -> _Node | None:
        nonlocal seconds
        solution = solve(base, left(), bounds=_bounds(base, first, lower, upper), relaxed=True)
        seconds += solution.seconds
        if solution.x is None:
            return None
        hired = tuple(float(v) for v in solution.x[first : first + count])
        return _Node(float(base.cost @ solution.x), next(order), lower, upper, hired)

    root = relax((0.0,) * count, tuple(prog.most_hired(t) for t in range(count)))
    heap = [] if root is None else [root]
    while heap and left() > 0:
        node = heapq.heappop(heap)
        if best is not None and node.bound >= best[0] * (1 - _TOLERANCE):
            heap = [node]  # every box left is worse; keep one to report the bound
            break
        whole = [round(v) for v in node.hired]
        fraction = [abs(v - w) for v, w in zip(node.hired, whole, strict=True)]
        if max(fraction) > 1e-6:
            t = int(np.argmax(fraction))
            boxes = [
                _split(node, t, node.lower[t], math.floor(node.hired[t])),
                _split(node, t, math.ceil(node.hired[t]), node.upper[t]),
            ]
        else:
            fixed = tuple(float(w) for w in whole)
            bounds = _bounds(base, first, fixed, fixed)
            # the most promising hiring may take the time left, each later one a
            # quarter of the limit, so that a hard hiring (often one with no
            # roster at all, which HiGHS is slow to prove) cannot starve the others
            share = 1 if not tried else 4
            tried += 1
            solution = solve(base, min(left(), limit_s / share), bounds=bounds)
            seconds += solution.seconds
            value = math.inf if solution.x is None else float(base.cost @ solution.x)
            if best is None or value < best[0]:
                best = (value, solution) if solution.x is not None else best
            boxes = _around(node, fixed)
        for lower, upper in boxes:
            if all(lo <= hi for lo, hi in zip(lower, upper, strict=True)):
                child = relax(lower, upper)
                if child is not None:
                    heapq.heappush(heap, child)
    if best is None:
        done = root is None or not heap
        return _nothing(prog, "no roster" if done else "time limit", seconds, True)
    bound = min([node.bound for node in heap] + [best[0] * (1 - best[1].gap)])
    gap = max(0.0, (best[0] - bound) / best[0]) if best[0] > 0 else 0.0
    status = "optimal" if gap <= _TOLERANCE else f"within {gap:.2%} of optimal"
    if left() <= 0 and heap and heap[0].bound < best[0] * (1 - _TOLERANCE):
        status = f"time limit, gap {gap:.1%}"
    return counts_of(prog, best[1], elastic, status)


def _bounds(
    prog: Programme, first: int, lower: tuple[float, ...], upper: tuple[float, ...]
) -> tuple[np.ndarray, np.ndarray]:
    low, high = np.zeros(len(prog.cost)), prog.x_upper.copy()
    low[first : first + len(lower)] = lower
    high[first : first + len(upper)] = upper
    return low, high


def _split(
    node: _Node, t: int, low: float, high: float
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    lower, upper = list(node.lower), list(node.upper)
    lower[t], upper[t] = low, high
    return tuple(lower), tuple(upper)


def _around(
    node: _Node, point: tuple[float, ...]
) -> list[tuple[tuple[float, ...], tuple[float, ...]]]:
    """The box less ``point``, as boxes: for each terms ``t``, the terms before
    it fixed at the point and ``t`` below or above it."""
    out = []
    lower, upper = list(node.lower), list(node.upper)
    for t, value in enumerate(point):
        for low, high in ((lower[t], value - 1), (value + 1, upper[t])):
            box_lower, box_upper = list(lower), list(upper)
            box_lower[t], box_upper[t] = low, high
            out.append((tuple(box_lower), tuple(box_upper)))
        lower[t] = upper[t] = value
    return out
