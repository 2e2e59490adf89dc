"""A week's roster with people: who works when, every day of a week.

Two stages. The first (:mod:`sim.planning.roster.counts`) chooses the shifts
of every day, group and contract, and how many people each contract hires,
at the least weekly cost; the second (:mod:`sim.planning.roster.assign`)
gives the shifts to people (named staff, or the people hired) under every
personal rule. When the first stage cannot cover every slot (too few staff,
too few people allowed), the roster it returns is the one short by the fewest
people-slots, and :attr:`WeekRoster.short` says where.

A week without a start date is a typical week that repeats: rest and
consecutive days wrap from Sunday to Monday. A dated week (``start``) applies
the holidays of its dates and does not wrap.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sim.model.scenario import Scenario
from sim.model.units import format_duration
from sim.model.week import Workforce
from sim.planning.roster.assign import Assignment, Supply, assign, supply_of
from sim.planning.roster.counts import Counts, solve_counts
from sim.planning.roster.demand import (
    Requirement,
    RosterDay,
    requirement,
    rostered_groups,
    week_days,
)
from sim.planning.roster.joint import Joint, solve_joint
from sim.planning.roster.patterns import Pattern
from sim.planning.roster.people import Person, anonymous
from sim.planning.roster.problems import RosterError
from sim.planning.roster.programme import DayGrid, Terms
from sim.planning.roster.rules import RosterRules


@dataclass(frozen=True)
class WorkedShift:
    """One person's shift: ``group`` from ``start_s`` to ``end_s`` (seconds after
    midnight) with ``meal_break`` or None, paid ``paid_h`` hours."""

    group: str
    start_s: float
    end_s: float
    meal_break: tuple[float, float] | None
    paid_h: float

    def works_at(self, t_s: float) -> bool:
        """On shift and not on break at ``t_s``."""
        brk = self.meal_break
        return self.start_s <= t_s < self.end_s and not (brk and brk[0] <= t_s < brk[1])


@dataclass(frozen=True)
class PersonWeek:
    """A person's week: ``shifts[d]`` on roster day ``d`` (None: a day off),
    paid ``rate`` per hour."""

    person: Person
    shifts: tuple[WorkedShift | None, ...]
    rate: float | None

    @property
    def paid_hours(self) -> float:
        return math.fsum(s.paid_h for s in self.shifts if s is not None)

    @property
    def days_worked(self) -> int:
        return sum(s is not None for s in self.shifts)

    @property
    def cost(self) -> float | None:
        return None if self.rate is None else self.paid_hours * self.rate


@dataclass(frozen=True)
class Short:
    """People short on ``day`` (index) for ``group`` (None: on_duty.min) in slot
    ``slot``: ``need`` to roster, ``short`` of them missing."""

    day: int
    group: str | None
    slot: int
    need: int
    short: int


@dataclass(frozen=True)
class ContractTotals:
    """One contract's share of a week roster."""

    people: int
    paid_hours: float
    fte: float
    cost: float | None


@dataclass(frozen=True)
class WeekRoster:
    """A week's roster of hall ``hall``: the days, each open day's requirement,
    everyone's week, the shortfalls (empty: every slot covered), the contracts
    (with their display ``labels``), the workforce figures, and how the solver
    did (``solve_s``: wall seconds of both stages)."""

    hall: str
    hall_name: str | None
    days: tuple[RosterDay, ...]
    requirements: tuple[Requirement | None, ...]
    people: tuple[PersonWeek, ...]
    short: tuple[Short, ...]
    contracts: tuple[str, ...]
    labels: dict[str, str]
    workforce: Workforce
    named: bool
    cyclic: bool
    status: str
    solve_s: float

    @property
    def groups(self) -> tuple[str, ...]:
        return next(r for r in self.requirements if r is not None).groups

    @property
    def paid_hours(self) -> float:
        return math.fsum(p.paid_hours for p in self.people)

    @property
    def fte(self) -> float:
        """Paid hours in full-time equivalents (``workforce.fte_hours_per_week``)."""
        return self.paid_hours / self.workforce.fte_hours_per_week

    @property
    def cost(self) -> float | None:
        """Paid hours times each person's rate; None if no rate is known."""
        costs = [p.cost for p in self.people]
        return None if any(c is None for c in costs) else math.fsum(c or 0.0 for c in costs)

    @property
    def lower_bound_hours(self) -> float:
        """People required per slot times slot length, summed over the week."""
        return math.fsum(r.lower_bound_hours for r in self.requirements if r is not None)

    def by_contract(self) -> dict[str, ContractTotals]:
        """People, paid hours, FTE and cost of each contract, in the rules' order."""
        out = {}
        for name in self.contracts:
            mine = [p for p in self.people if p.person.contract == name]
            hours = math.fsum(p.paid_hours for p in mine)
            costs = [p.cost for p in mine]
            cost = None if any(c is None for c in costs) else math.fsum(c or 0.0 for c in costs)
            out[name] = ContractTotals(
                len(mine), hours, hours / self.workforce.fte_hours_per_week, cost
            )
        return out

    @property
    def short_slots(self) -> int:
        """Slots (day, group, slot) short of people."""
        return len({(s.day, s.group, s.slot) for s in self.short})

    def at_work(self, day: int) -> tuple[tuple[int, ...], ...]:
        """People at work per group and slot of ``day`` (empty when closed)."""
        req = self.requirements[day]
        if req is None:
            return ()
        return tuple(
            tuple(
                sum(
                    1
                    for p in self.people
                    if (s := p.shifts[day]) is not None and s.group == group and s.works_at(start)
                )
                for start, _ in req.slots
            )
            for group in req.groups
        )


def contract_rates(rules: RosterRules, workforce: Workforce) -> dict[str, float | None]:
    """Each contract's cost per paid hour: its own, else its type's in the
    workforce's ``contracts``, else the workforce's one cost per hour."""
    types = workforce.contracts or {}
    return {
        name: c.cost_per_hour
        if c.cost_per_hour is not None
        else (types[name].cost_per_hour if name in types else workforce.cost_per_hour)
        for name, c in rules.contracts.items()
    }


def solve_week(
    scn: Scenario,
    rules: RosterRules,
    staff: Sequence[Person] | None = None,
    start: date | None = None,
) -> WeekRoster:
    """The week roster of ``scn`` under ``rules`` (see the module docstring);
    ``staff``: named staff whose windows follow :func:`week_days` (None: hire
    anonymous people per contract). Raises RosterError when the rules have no
    contracts or no roster is found within the time limit."""
    if not rules.contracts:
        raise RosterError(
            "contracts: a week roster needs the contracts people work on (full_time, "
            "part_time, …) in the rules; or roster one day with --day"
        )
    days = week_days(scn, start)
    groups = rostered_groups(scn, rules)
    grids = [
        None
        if d.scenario is None
        else DayGrid(requirement(d.scenario, rules, groups), d.scenario.open, d.scenario.close)
        for d in days
    ]
    if all(g is None for g in grids):
        raise RosterError("week: the hall is closed every day of this week")
    started = time.perf_counter()
    rates = contract_rates(rules, scn.workforce)
    costed = any(r is not None for r in rates.values())
    unpriced = [name for name, rate in rates.items() if rate is None]
    if costed and unpriced:
        raise RosterError(
            f"contracts.{unpriced[0]}.cost_per_hour: needed, as other contracts have a cost "
            "(or set the scenario's workforce.cost_per_hour for every contract)"
        )
    terms = [
        Terms(name, rules.lengths(name), (rates[name] or 0.0) if costed else 1.0, contract)
        for name, contract in rules.contracts.items()
    ]
    cyclic = start is None
    counts = solve_counts(grids, terms, rules, persons=staff, cyclic=cyclic)
    if counts.infeasible:
        counts = solve_counts(grids, terms, rules, persons=staff, cyclic=cyclic, elastic=True)
    if not counts.shifts:
        raise RosterError(
            f"time_limit: no roster found within {format_duration(rules.time_limit)} "
            f"({counts.status}); allow more time"
        )
    counts, given = _Staffing(grids, terms, rules, staff, cyclic).run(counts)
    weeks = _weeks(counts, grids, rules, given, rates, staff is not None)
    short = tuple(Short(d, g, k, need, gap) for (d, g, k, need), gap in counts.short)
    return WeekRoster(
        hall=scn.hall,
        hall_name=scn.name,
        days=days,
        requirements=tuple(None if g is None else g.req for g in grids),
        people=tuple(weeks),
        short=short,
        contracts=tuple(rules.contracts),
        labels={name: c.name for name, c in rules.contracts.items() if c.name},
        workforce=scn.workforce,
        named=staff is not None,
        cyclic=cyclic,
        status=counts.status,
        solve_s=time.perf_counter() - started,
    )


def _supplies(
    counts: Counts, grids: Sequence[DayGrid | None], t: int, rules: RosterRules
) -> list[Supply]:
    """Terms ``t``'s shifts of the first stage, one supply per day, group and kind."""
    out = []
    for col, n in zip(counts.columns, counts.shifts, strict=True):
        grid = grids[col.day]
        if n > 0 and col.terms == t and grid is not None:
            group = grid.req.groups[col.group]
            out.append(supply_of(grid, col.day, group, col.kind, n, col.paid_h, rules))
    return out


def _worked(
    pattern: Pattern, grid: DayGrid, rules: RosterRules, group: str, paid_h: float
) -> WorkedShift:
    meal = pattern.meal
    clock = grid.clock
    brk = None if meal is None else (clock(meal[0], rules), clock(meal[0] + meal[1], rules))
    return WorkedShift(
        group, clock(pattern.start, rules), clock(pattern.start + pattern.length, rules), brk,
        paid_h,
    )  # fmt: skip


@dataclass(frozen=True)
class _Given:
    """One contract's people, its shifts (supplies) and who works which."""

    people: list[Person]
    supplies: list[Supply]
    done: list[Assignment]


class _Staffing:
    """The second stage over every contract, falling back to the joint model
    (:mod:`sim.planning.roster.joint`) for a contract whose shifts cannot be
    given to its people as they are."""

    def __init__(
        self,
        grids: Sequence[DayGrid | None],
        terms: Sequence[Terms],
        rules: RosterRules,
        staff: Sequence[Person] | None,
        cyclic: bool,
    ) -> None:
        self.grids, self.terms, self.rules, self.staff, self.cyclic = (
            grids, terms, rules, staff, cyclic,
        )  # fmt: skip
        self.groups = next(g for g in grids if g is not None).req.groups

    def people_of(self, t: int, hired: int) -> list[Person]:
        """Terms ``t``'s staff, or ``hired`` anonymous people."""
        name = self.terms[t].name
        if self.staff is not None:
            return [p for p in self.staff if p.contract == name]
        return anonymous(name, hired, [x.name for x in self.terms], self.groups, len(self.grids))

    def run(self, counts: Counts) -> tuple[Counts, list[_Given]]:
        given = []
        for t, item in enumerate(self.terms):
            assert item.contract is not None
            people = self.people_of(t, counts.hired[t] if counts.hired else 0)
            supplies = _supplies(counts, self.grids, t, self.rules)
            done = assign(
                supplies, people, item.contract, cyclic=self.cyclic,
                time_limit_s=self.rules.time_limit,
            )  # fmt: skip
            if done is None:
                counts, joint, people = self._joint(counts, t)
                supplies, done = list(joint.supplies), list(joint.assignments)
            given.append(_Given(people, supplies, done))
        return counts, given

    def _joint(self, counts: Counts, t: int) -> tuple[Counts, Joint, list[Person]]:
        item = self.terms[t]
        assert item.contract is not None
        people = self.people_of(t, 0)
        if self.staff is None:
            hired = counts.hired[t]
            most = item.contract.max_people
            more = hired + max(2, math.ceil(hired / 4))
            people = self.people_of(t, more if most is None else min(more, most))
        for elastic in (False, True):
            joint = solve_joint(
                self.grids, self.terms, self.rules, self.staff, counts, t, people,
                cyclic=self.cyclic, elastic=elastic, time_limit_s=self.rules.time_limit,
            )  # fmt: skip
            if joint is not None:
                return joint.counts, joint, people
        raise RosterError(
            f"contracts.{item.name}: no roster gives the {item.name} shifts to people under "
            f"the contract's rules within {format_duration(self.rules.time_limit)}; allow more "
            "time or loosen the contract"
        )


def _weeks(
    counts: Counts,
    grids: Sequence[DayGrid | None],
    rules: RosterRules,
    given: Sequence[_Given],
    rates: dict[str, float | None],
    named: bool,
) -> list[PersonWeek]:
    """Everyone's week; each kind's break places (from ``counts``) handed out
    in the order the people come. Anonymous people without a shift are left out."""
    out = []
    for t, item in enumerate(given):
        weeks: list[list[WorkedShift | None]] = [[None] * len(grids) for _ in item.people]
        for s, sup in enumerate(item.supplies):
            grid = grids[sup.day]
            assert grid is not None
            who = sorted(a.person for a in item.done if a.supply == s)
            g = grid.req.groups.index(sup.group)
            places = [
                pat
                for pat, n in counts.patterns(sup.day, g, t)
                if pat.kind == sup.kind
                for _ in range(n)
            ]
            for person, pat in zip(who, places, strict=True):
                weeks[person][sup.day] = _worked(pat, grid, rules, sup.group, sup.paid_h)
        out += [
            PersonWeek(person, tuple(week), rates[person.contract])
            for person, week in zip(item.people, weeks, strict=True)
            if named or any(s is not None for s in week)
        ]
    return out
