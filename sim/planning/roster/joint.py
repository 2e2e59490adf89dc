"""When the second stage cannot give a contract's shifts to its people (the
first stage's limits are necessary, not sufficient: a run of busy days, a
skill two people share, a narrow availability), the contract is solved
jointly: the first stage's programme again, its shifts for that contract now
made of people (``z[p, shift] = 1``) under every personal rule of
:func:`sim.planning.roster.assign.person_rows`, the other contracts' shifts
held where they are. It finds a roster every person can work, or shows there
is none; the elastic version then names the slots left short.

For anonymous people the candidates are more than the first stage hired;
whether each is employed is a 0/1 column (the first ones first), and the
hired count is their sum.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.planning.roster.assign import Assignment, Supply, able, person_rows, supply_of
from sim.planning.roster.counts import Counts, counts_of
from sim.planning.roster.milp import solve
from sim.planning.roster.people import Person
from sim.planning.roster.programme import DayGrid, ShiftProgramme, Terms
from sim.planning.roster.rules import RosterRules


@dataclass(frozen=True)
class Joint:
    """The joint model's answer: the new counts (all contracts), the contract's
    shifts as supplies (one per day, group and kind) and who works them."""

    counts: Counts
    supplies: tuple[Supply, ...]
    assignments: tuple[Assignment, ...]


def solve_joint(
    grids: Sequence[DayGrid | None],
    terms: Sequence[Terms],
    rules: RosterRules,
    staff: Sequence[Person] | None,
    counts: Counts,
    t: int,
    people: Sequence[Person],
    *,
    cyclic: bool,
    elastic: bool,
    time_limit_s: float,
) -> Joint | None:
    """Terms ``t``'s shifts and who works them, chosen together (``people``:
    the contract's staff, or candidates to hire when ``staff`` is None); the
    other contracts' shifts and hiring stay as in ``counts``. None if no such
    roster exists (or none was found within ``time_limit_s``)."""
    contract = terms[t].contract
    assert contract is not None
    prog = ShiftProgramme(grids, terms, rules, staff, cyclic)
    mine = [i for i, col in enumerate(prog.columns) if col.terms == t]
    supplies = []
    for i in mine:
        col = prog.columns[i]
        grid = grids[col.day]
        assert grid is not None
        group = grid.req.groups[col.group]
        supplies.append(supply_of(grid, col.day, group, col.kind, 0, col.paid_h, rules))
    pairs = able(supplies, people)
    z = {pair: prog.extra(1.0) for pair in pairs}
    for s, i in enumerate(mine):
        cols = {z[p, q]: -1.0 for p, q in pairs if q == s}
        prog.rows.add(cols | {i: 1.0}, 0.0, 0.0)
    used: dict[int, int] | None = None
    if prog.hiring:
        used = {p: prog.extra(1.0) for p in range(len(people))}
        hired = prog.first_hired + t
        prog.rows.add({hired: 1.0} | {u: -1.0 for u in used.values()}, 0.0, 0.0)
        for p in range(len(people) - 1):  # the first candidates first: no mirror rosters
            prog.rows.add({used[p]: 1.0, used[p + 1]: -1.0}, 0.0, np.inf)
    person_rows(prog.rows, z, supplies, contract, cyclic, used)
    programme = prog.programme(elastic)
    lower, upper = np.zeros(len(programme.cost)), programme.x_upper.copy()
    for i, (col, n) in enumerate(zip(counts.columns, counts.shifts, strict=True)):
        if col.terms != t:
            lower[i] = upper[i] = n
    for other, n in enumerate(counts.hired):
        if other != t:
            lower[prog.first_hired + other] = upper[prog.first_hired + other] = n
    solution = solve(programme, time_limit_s, bounds=(lower, upper))
    if solution.x is None:
        return None
    joint = counts_of(prog, solution, elastic, solution.describe())
    x = solution.x
    worked = tuple(
        Supply(s.day, s.group, s.kind, joint.shifts[i], s.paid_h, s.start_s, s.end_s)
        for s, i in zip(supplies, mine, strict=True)
    )
    chosen = tuple(Assignment(p, s) for (p, s), col in z.items() if x[col] > 0.5)
    return Joint(joint, worked, chosen)
