"""The second stage of a week roster: who works which shift.

The first stage (:mod:`sim.planning.roster.counts`) fixed how many shifts of
each kind every contract works each day for each group. Here, contract by
contract, an integer programme gives them to people (``z[p, d, g, k] = 1``:
person ``p`` works a shift of kind ``k`` for group ``g`` on day ``d``) so that
every shift is worked by someone with the skill and the availability, nobody
works twice a day, everyone's paid hours lie within the contract's weekly
minimum and maximum, days off and consecutive days are kept (wrapping round
the week when it repeats), and the rest from the end of a shift to the start
of the next is at least the contract's minimum. Among such rosters it prefers
one where each person keeps about the same start time all week.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.planning.roster.milp import Rows, solve
from sim.planning.roster.people import Person
from sim.planning.roster.programme import DayGrid, Kind, windows
from sim.planning.roster.rules import Contract, RosterRules

DAY_S = 86400.0
_GAP = 0.05  # of the start-time spread: any roster near the steadiest will do


@dataclass(frozen=True)
class Supply:
    """``count`` shifts of ``kind`` on ``day`` for group ``group`` (an id), each
    paid ``paid_h``, from ``start_s`` to ``end_s``."""

    day: int
    group: str
    kind: Kind
    count: int
    paid_h: float
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Assignment:
    """Person ``person`` (index) works ``supply`` (index)."""

    person: int
    supply: int


def supply_of(
    grid: DayGrid, day: int, group: str, kind: Kind, count: int, paid_h: float, rules: RosterRules
) -> Supply:
    """The :class:`Supply` of ``count`` shifts of ``kind`` on ``grid``'s day."""
    start, length, _ = kind
    return Supply(
        day,
        group,
        kind,
        count,
        paid_h,
        grid.clock(start, rules),
        grid.clock(start + length, rules),
    )


def _gap_s(before: Supply, after: Supply, n_days: int) -> float:
    """Rest from the end of ``before`` to the start of ``after`` the next day."""
    days = (after.day - before.day) % n_days or n_days
    return after.start_s + days * DAY_S - before.end_s


def able(supplies: Sequence[Supply], people: Sequence[Person]) -> list[tuple[int, int]]:
    """Every (person, supply) pair where the person may work the shift."""
    return [
        (p, s)
        for p, person in enumerate(people)
        for s, sup in enumerate(supplies)
        if person.can_work(sup.day, sup.group, sup.start_s, sup.end_s)
    ]


def person_rows(
    rows: Rows,
    z: dict[tuple[int, int], int],
    supplies: Sequence[Supply],
    contract: Contract,
    cyclic: bool,
    used: dict[int, int] | None = None,
) -> None:
    """Each person's rules over the columns ``z[(person, supply)]``: one shift
    a day, weekly hours, days off, consecutive days and rest. With ``used``
    (person -> column of a 0/1 "is employed"), the rules hold for those
    employed and nobody else works."""
    n_days = 7
    by_person_day: dict[tuple[int, int], dict[int, float]] = {}
    by_person: dict[int, dict[int, float]] = {}
    for (p, s), i in z.items():
        by_person_day.setdefault((p, supplies[s].day), {})[i] = 1.0
        by_person.setdefault(p, {})[i] = supplies[s].paid_h

    def scaled(p: int, k: float) -> dict[int, float]:
        return {} if used is None else {used[p]: -k}

    def bound(k: float) -> float:
        return k if used is None else 0.0

    weekly = contract.hours_per_week
    for (p, _), cols in by_person_day.items():
        rows.add(cols | scaled(p, 1.0), -math.inf, bound(1.0))
    people = set(by_person) | set(used or {})
    for p in sorted(people):
        hours = by_person.get(p, {})
        rows.add(hours | scaled(p, weekly.min), bound(weekly.min), math.inf)
        rows.add(hours | scaled(p, weekly.max), -math.inf, bound(weekly.max))
        rows.add(dict.fromkeys(hours, 1.0) | scaled(p, contract.max_days), -math.inf,
                 bound(contract.max_days))  # fmt: skip
        limit = contract.max_consecutive_days
        if limit < contract.max_days:
            for run in windows(n_days, limit + 1, cyclic):
                cols = {i: 1.0 for d in run for i in by_person_day.get((p, d), {})}
                if len(cols) > limit:
                    rows.add(cols, -math.inf, float(limit))
    _rest_rows(rows, z, supplies, contract, n_days, cyclic)


def assign(
    supplies: Sequence[Supply],
    people: Sequence[Person],
    contract: Contract,
    *,
    cyclic: bool,
    time_limit_s: float,
) -> list[Assignment] | None:
    """Every shift of ``supplies`` given to one of ``people`` (all on
    ``contract``) under the rules of the module docstring; None if that cannot
    be done (or not within ``time_limit_s``)."""
    if not supplies:
        return [] if not people or contract.hours_per_week.min == 0 else None
    columns = able(supplies, people)
    z = {pair: i for i, pair in enumerate(columns)}
    rows = Rows()
    by_supply: dict[int, dict[int, float]] = {}
    for i, (_, s) in enumerate(columns):
        by_supply.setdefault(s, {})[i] = 1.0
    for s, sup in enumerate(supplies):
        cols = by_supply.get(s, {})
        if len(cols) < sup.count:
            return None
        rows.add(cols, sup.count, sup.count)
    idle = any(p not in {q for q, _ in columns} for p in range(len(people)))
    if idle and contract.hours_per_week.min > 0:
        return None  # someone who can work none of the shifts
    person_rows(rows, z, supplies, contract, cyclic)
    anchor = anchors(supplies, len(people))
    cost = np.array([drift(supplies[s], anchor[p]) for p, s in columns])
    prog = rows.programme(cost, np.ones(len(columns)), np.ones(len(columns), dtype=bool))
    solution = solve(prog, time_limit_s, gap=_GAP)
    if solution.x is None:
        return None
    return [Assignment(p, s) for (p, s), v in zip(columns, solution.x, strict=True) if v > 0.5]


def anchors(supplies: Sequence[Supply], n_people: int) -> list[tuple[float, str]]:
    """A start time and group each person leans to: the shifts' (start, group)
    (each counted as often as it is worked) at evenly spaced quantiles, the
    earliest for the first person. Shifts away from a person's anchor cost a
    little (:func:`drift`), so each person keeps roughly one start and one
    group through the week."""
    units = sorted((s.start_s, s.group) for s in supplies for _ in range(s.count))
    if not units:
        return [(0.0, "")] * n_people
    return [
        units[min(len(units) - 1, int((p + 0.5) * len(units) / n_people))] for p in range(n_people)
    ]


def drift(supply: Supply, anchor: tuple[float, str]) -> float:
    """Hours the shift starts away from the anchor, plus one if in another group."""
    return abs(supply.start_s - anchor[0]) / 3600.0 + (supply.group != anchor[1])


def _rest_rows(
    rows: Rows,
    z: dict[tuple[int, int], int],
    supplies: Sequence[Supply],
    contract: Contract,
    n_days: int,
    cyclic: bool,
) -> None:
    """A shift and a next-day shift starting too soon after it: not both."""
    by_person: dict[int, list[int]] = {}
    for p, s in z:
        by_person.setdefault(p, []).append(s)
    for p, mine in by_person.items():
        for s in mine:
            before = supplies[s]
            if before.day == n_days - 1 and not cyclic:
                continue
            after = [
                t
                for t in mine
                if supplies[t].day == (before.day + 1) % n_days
                and _gap_s(before, supplies[t], n_days) < contract.min_rest - 1e-6
            ]
            if after:
                cols = {z[p, s]: 1.0} | {z[p, t]: 1.0 for t in after}
                rows.add(cols, -math.inf, 1.0)
