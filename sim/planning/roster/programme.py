"""The first stage's integer programme, built column by column and row by row
(the model is described in :mod:`sim.planning.roster.counts`)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from sim.planning.roster.demand import Requirement
from sim.planning.roster.milp import Programme, Rows
from sim.planning.roster.patterns import Pattern, paid_hours, patterns
from sim.planning.roster.people import Person
from sim.planning.roster.rules import Contract, RosterRules

PERSON_COST = 0.01  # of an hour's rate: a tie between rosters goes to fewer people
SHORT_COST = 1000.0  # of the dearest shift's cost, per person short in a slot
Kind = tuple[int, int, int]  # start, length, meal-break length, in grid steps


@dataclass(frozen=True)
class DayGrid:
    """An open roster day: its requirement and opening hours."""

    req: Requirement
    open_s: float
    close_s: float

    def patterns(self, lengths_s: Sequence[float], rules: RosterRules) -> list[Pattern]:
        """The allowed patterns of ``lengths_s`` on this day."""
        return patterns(len(self.req.slots), lengths_s, rules, self.open_s, self.close_s)

    def clock(self, slot: int, rules: RosterRules) -> float:
        """Seconds after midnight at which grid step ``slot`` begins (capped at closing)."""
        return min(self.open_s + slot * rules.grid, self.close_s)


@dataclass(frozen=True)
class Terms:
    """What the programme needs of a contract: its ``lengths_s``, its ``rate``
    per paid hour, and its weekly rules (None: a one-day roster)."""

    name: str
    lengths_s: tuple[float, ...]
    rate: float
    contract: Contract | None


@dataclass(frozen=True)
class Column:
    """Shifts of ``kind`` on ``day`` for group ``group`` (index) by people on
    terms ``terms`` (index), each paid ``paid_h``."""

    day: int
    group: int
    terms: int
    kind: Kind
    paid_h: float


@dataclass(frozen=True)
class BreakColumn:
    """Shifts of ``pattern.kind`` on ``day`` for group ``group`` taking their
    break where ``pattern`` has it."""

    day: int
    group: int
    pattern: Pattern


def windows(n_days: int, size: int, cyclic: bool) -> list[list[int]]:
    """Runs of ``size`` consecutive days (wrapping round when ``cyclic``)."""
    if size > n_days:
        return []
    starts = range(n_days) if cyclic and size < n_days else range(n_days - size + 1)
    return [[(s + i) % n_days for i in range(size)] for s in starts]


def least_days(contract: Contract, paid_h: Iterable[float]) -> int:
    """The fewest shifts a person on ``contract`` works in a week to reach its
    minimum hours with shifts paid at most ``max(paid_h)``: the week's shifts
    are at least this many per person. The hours alone would let 20 people
    share 94 shifts of 7.5 h (705 ≥ 20 × 35), which nobody can work (four
    shifts are 30 h); this also tightens the relaxation."""
    longest = max(paid_h, default=0.0)
    if longest <= 0.0:
        return 0
    return math.ceil(contract.hours_per_week.min / longest - 1e-9)


class ShiftProgramme:
    """Columns ``s`` (one per :class:`Column`), then ``b`` (one per
    :class:`BreakColumn`), then ``m`` (people hired per terms, anonymous weeks
    only); rows as the model says. ``persons``: named staff, or None."""

    def __init__(
        self,
        grids: Sequence[DayGrid | None],
        terms: Sequence[Terms],
        rules: RosterRules,
        persons: Sequence[Person] | None,
        cyclic: bool,
    ) -> None:
        self.grids, self.terms, self.rules, self.persons = grids, terms, rules, persons
        self.groups = next(g for g in grids if g is not None).req.groups
        self.columns: list[Column] = []
        self.breaks: list[BreakColumn] = []
        self.s_upper: list[float] = []
        self.extra_upper: list[float] = []  # further columns (people, in the joint model)
        self.rows = Rows()
        for d, grid in enumerate(grids):
            if grid is not None:
                self._day_columns(d, grid)
        self.week = terms[0].contract is not None
        self.hiring = self.week and persons is None
        self.n_hired = len(terms) if self.hiring else 0
        self._cover()
        if self.week:
            self._weekly(cyclic)
        if persons is not None:
            self._staff_per_day(persons)

    @property
    def first_break(self) -> int:
        return len(self.columns)

    @property
    def first_hired(self) -> int:
        return len(self.columns) + len(self.breaks)

    @property
    def first_extra(self) -> int:
        return self.first_hired + self.n_hired

    def extra(self, upper: float) -> int:
        """A further integer column of cost 0 and bounds [0, ``upper``]; its index."""
        self.extra_upper.append(upper)
        return self.first_extra + len(self.extra_upper) - 1

    def _day_columns(self, d: int, grid: DayGrid) -> None:
        placed: dict[Kind, set[Pattern]] = {}
        for t, terms in enumerate(self.terms):
            pats = grid.patterns(terms.lengths_s, self.rules)
            paid = dict(zip((p.kind for p in pats), paid_hours(pats, self.rules), strict=True))
            for pat in pats:
                placed.setdefault(pat.kind, set()).add(pat)
            for g, group in enumerate(self.groups):
                for kind, hours in paid.items():
                    cap = self._able(d, group, terms.name, kind, grid)
                    if cap > 0:
                        self.columns.append(Column(d, g, t, kind, float(hours)))
                        self.s_upper.append(cap)
        for kind in sorted(placed):
            if kind[2] == 0:
                continue
            for pat in sorted(placed[kind]):
                for g in range(len(self.groups)):
                    self.breaks.append(BreakColumn(d, g, pat))

    def _able(self, d: int, group: str, contract: str, kind: Kind, grid: DayGrid) -> float:
        """People who could work a shift of ``kind`` (inf: anonymous)."""
        if self.persons is None:
            return math.inf
        start = grid.clock(kind[0], self.rules)
        end = grid.clock(kind[0] + kind[1], self.rules)
        return float(
            sum(p.contract == contract and p.can_work(d, group, start, end) for p in self.persons)
        )

    def _cover(self) -> None:
        """Coverage (soft), on-duty bounds, people available per group and day,
        and each kind's breaks placed."""
        rules = self.rules
        cover: dict[tuple[int, int, int], dict[int, float]] = {}
        at_work: dict[tuple[int, int], dict[int, float]] = {}
        on_shift: dict[tuple[int, int], dict[int, float]] = {}
        per_group: dict[tuple[int, int], dict[int, float]] = {}
        link: dict[tuple[int, int, Kind], dict[int, float]] = {}
        for i, col in enumerate(self.columns):
            start, length, meal = col.kind
            per_group.setdefault((col.day, col.group), {})[i] = 1.0
            if meal:
                link.setdefault((col.day, col.group, col.kind), {})[i] = 1.0
            for k in range(start, start + length):
                on_shift.setdefault((col.day, k), {})[i] = 1.0
                cover.setdefault((col.day, col.group, k), {})[i] = 1.0
                at_work.setdefault((col.day, k), {})[i] = 1.0
        for j, brk in enumerate(self.breaks, self.first_break):
            first, steps = brk.pattern.meal or (0, 0)
            link.setdefault((brk.day, brk.group, brk.pattern.kind), {})[j] = -1.0
            for k in range(first, first + steps):
                cover.setdefault((brk.day, brk.group, k), {})[j] = -1.0
                at_work.setdefault((brk.day, k), {})[j] = -1.0
        for cols in link.values():
            self.rows.add(cols, 0.0, 0.0)
        for d, grid in enumerate(self.grids):
            if grid is None:
                continue
            need = grid.req.people
            for k in range(len(grid.req.slots)):
                for g, group in enumerate(self.groups):
                    if need[g][k] > 0:
                        cols = cover.get((d, g, k), {})
                        self.rows.add(cols, need[g][k], math.inf, soft=(d, group, k, need[g][k]))
                if rules.on_duty.min > sum(row[k] for row in need):
                    cols, least = at_work.get((d, k), {}), rules.on_duty.min
                    self.rows.add(cols, least, math.inf, soft=(d, None, k, least))
                if rules.on_duty.max is not None:
                    self.rows.add(on_shift.get((d, k), {}), -math.inf, rules.on_duty.max)
            for g, group in enumerate(self.groups):
                if group in rules.available:
                    self.rows.add(per_group.get((d, g), {}), -math.inf, rules.available[group])

    def _weekly(self, cyclic: bool) -> None:
        """Each contract's weekly rows, over its people hired or its staff."""
        for t, terms in enumerate(self.terms):
            contract = terms.contract
            assert contract is not None
            shifts: dict[int, dict[int, float]] = {}
            hours: dict[int, float] = {}
            for i, col in enumerate(self.columns):
                if col.terms == t:
                    shifts.setdefault(col.day, {})[i] = 1.0
                    hours[i] = col.paid_h
            if self.persons is None:
                self._pool_rows(contract, shifts, hours, cyclic, hired=self.first_hired + t)
            else:
                mine = [p for p in self.persons if p.contract == terms.name]
                self._pool_rows(contract, shifts, hours, cyclic, staff=mine)

    def _pool_rows(
        self,
        contract: Contract,
        shifts: dict[int, dict[int, float]],
        hours: dict[int, float],
        cyclic: bool,
        *,
        hired: int | None = None,
        staff: Sequence[Person] = (),
    ) -> None:
        """What the contract's people can work, summed over them: at most one
        shift each a day, weekly hours, days (at least enough for the minimum
        hours, at most the days off allow) and consecutive days. The people are
        the ``hired`` column (then each bound is that column times the
        per-person figure) or the named ``staff`` (a number)."""

        def most(per_person: float, total: float) -> tuple[dict[int, float], float]:
            return ({hired: -per_person}, 0.0) if hired is not None else ({}, total)

        n = len(staff)
        weekly = contract.hours_per_week
        every = dict.fromkeys(hours, 1.0)
        least = least_days(contract, hours.values())
        for d, cols in shifts.items():
            extra, bound = most(1.0, sum(p.windows[d] is not None for p in staff))
            self.rows.add(cols | extra, -math.inf, bound)
        for per_person, sign, cols in (
            (weekly.min, 1, hours), (weekly.max, -1, hours), (float(least), 1, every),
        ):  # fmt: skip
            extra, bound = most(per_person, per_person * n)
            low, high = (bound, math.inf) if sign > 0 else (-math.inf, bound)
            self.rows.add(cols | extra, low, high)
        days = sum(min(contract.max_days, p.days_available()) for p in staff)
        extra, bound = most(float(contract.max_days), days)
        self.rows.add(every | extra, -math.inf, bound)
        limit = contract.max_consecutive_days
        if limit < contract.max_days:
            for run in windows(7, limit + 1, cyclic):
                cols = {i: 1.0 for d in run for i in shifts.get(d, {})}
                extra, bound = most(float(limit), limit * n)
                self.rows.add(cols | extra, -math.inf, bound)

    def _staff_per_day(self, persons: Sequence[Person]) -> None:
        """Per day and group at most the staff who can work the group that day,
        and per day at most the staff who can work that day."""
        per_day: dict[int, dict[int, float]] = {}
        per_group: dict[tuple[int, int], dict[int, float]] = {}
        for i, col in enumerate(self.columns):
            per_day.setdefault(col.day, {})[i] = 1.0
            per_group.setdefault((col.day, col.group), {})[i] = 1.0
        for (d, g), cols in per_group.items():
            group = self.groups[g]
            able = sum(group in p.skills and p.windows[d] is not None for p in persons)
            self.rows.add(cols, -math.inf, able)
        for d, cols in per_day.items():
            self.rows.add(cols, -math.inf, sum(p.windows[d] is not None for p in persons))

    def most_hired(self, t: int) -> float:
        """The most people terms ``t`` may hire."""
        contract = self.terms[t].contract
        most = None if contract is None else contract.max_people
        return math.inf if most is None else float(most)

    def programme(self, elastic: bool) -> Programme:
        """The programme (shortfalls allowed at :data:`SHORT_COST` if ``elastic``)."""
        rates = np.array([self.terms[c.terms].rate * c.paid_h for c in self.columns])
        hired = [PERSON_COST * self.terms[t].rate for t in range(self.n_hired)]
        free = np.zeros(len(self.breaks) + len(hired) + len(self.extra_upper))
        free[len(self.breaks) : len(self.breaks) + len(hired)] = hired
        cost = np.concatenate([rates, free])
        upper = self.s_upper + [math.inf] * len(self.breaks)
        upper += [self.most_hired(t) for t in range(self.n_hired)] + self.extra_upper
        penalty = SHORT_COST * max(1.0, float(rates.max(initial=1.0))) if elastic else None
        return self.rows.programme(cost, np.array(upper), np.ones(len(cost), dtype=bool), penalty)
