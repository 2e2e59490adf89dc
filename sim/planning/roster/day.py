"""A one-day roster: from the counters a scenario staffs over one day to shifts.

The requirement (:mod:`sim.planning.roster.demand`) says how many people each
rostered group needs per slot; the integer programme of
:mod:`sim.planning.roster.counts` chooses how many people work each shift
pattern so that people at work cover every slot, within the on-duty bounds and
the people available per group, at the fewest paid staff-hours. Rules that
cannot be met raise :class:`RosterError` naming the slots that cannot be
covered. A week with people is :mod:`sim.planning.roster.week`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.model.scenario import Scenario
from sim.model.units import format_clock, format_duration
from sim.planning.roster.counts import Counts, solve_counts
from sim.planning.roster.demand import Requirement, requirement
from sim.planning.roster.patterns import Pattern, paid_h
from sim.planning.roster.problems import RosterError, counters, listing, people_are
from sim.planning.roster.programme import DayGrid, Terms
from sim.planning.roster.rules import RosterRules


@dataclass(frozen=True)
class Shift:
    """``people`` working ``group`` from ``start_s`` to ``end_s`` (seconds after
    midnight) with ``meal_break`` ``(start_s, end_s)`` or None; each person is
    paid ``paid_hours``."""

    group: str
    start_s: float
    end_s: float
    meal_break: tuple[float, float] | None
    people: int
    paid_hours: float

    def works_at(self, t_s: float) -> bool:
        """True if these people are at work (on shift, not on break) at ``t_s``."""
        on_break = self.meal_break is not None and self.meal_break[0] <= t_s < self.meal_break[1]
        return self.start_s <= t_s < self.end_s and not on_break


def shift_of(
    pattern: Pattern, grid: DayGrid, rules: RosterRules, group: str, people: int, paid_h: float
) -> Shift:
    """The shift of ``pattern`` on ``grid``'s day, in seconds after midnight."""
    meal = pattern.meal
    return Shift(
        group=group,
        start_s=grid.clock(pattern.start, rules),
        end_s=grid.clock(pattern.start + pattern.length, rules),
        meal_break=None
        if meal is None
        else (grid.clock(meal[0], rules), grid.clock(meal[0] + meal[1], rules)),
        people=people,
        paid_hours=paid_h,
    )


@dataclass(frozen=True)
class Roster:
    """The cheapest one-day roster found: shifts, paid staff-hours, solver wall
    seconds and status (``optimal``, or ``time limit, gap x%`` with the best
    roster found)."""

    shifts: tuple[Shift, ...]
    requirement: Requirement
    staff_hours: float
    solve_s: float
    status: str

    @property
    def lower_bound_hours(self) -> float:
        """Sum of the people required per slot, hours."""
        return self.requirement.lower_bound_hours

    def coverage(self) -> tuple[tuple[int, ...], ...]:
        """People at work per rostered group (as ``requirement.groups``) per slot."""
        return tuple(
            tuple(
                sum(s.people for s in self.shifts if s.group == group and s.works_at(start))
                for start, _ in self.requirement.slots
            )
            for group in self.requirement.groups
        )


def needs(req: Requirement, group: str, n_counters: int, n_people: int) -> str:
    """``group B needs 7 counters``, or with shrinkage ``group B needs 9 people
    for 7 counters (15% shrinkage)``."""
    if n_people == n_counters:
        return f"group {group} needs {counters(n_counters)}"
    return (
        f"group {group} needs {n_people} people for {counters(n_counters)} "
        f"({req.shrinkage:.0%} shrinkage)"
    )


def simple_causes(
    req: Requirement, rules: RosterRules, grid: DayGrid, lengths_s: tuple[float, ...]
) -> list[tuple[int, str]]:
    """(slot, problem) for slots that no roster can cover, found without solving."""
    pats = grid.patterns(lengths_s, rules)
    coverable = [any(p.at_work(k) for p in pats) for k in range(len(req.slots))]
    last_end = max((e for (_, e), ok in zip(req.slots, coverable, strict=True) if ok), default=0.0)
    mb = rules.meal_break
    lengths = ", ".join(format_duration(s) for s in lengths_s)
    late = f"no allowed shift fits before closing at {format_clock(grid.close_s)} ({lengths} on "
    late += f"the {format_duration(rules.grid)} grid)"
    gap = "no allowed shift covers it"
    if mb is not None:
        over, window = format_duration(mb.over), mb.windows_text()
        work = format_duration(mb.work_around(rules.grid))
        gap += f" (shifts over {over} need a meal break inside {window}, {work} into the shift"
        gap += " and before its end)"
    duty = rules.on_duty
    problems: list[tuple[int, str]] = []
    for k, (_, end) in enumerate(req.slots):
        why = late if end > last_end else gap
        rows = zip(req.groups, req.counts, req.people, strict=True)
        for group, n, p in ((group, row[k], people[k]) for group, row, people in rows):
            if p > 0 and not coverable[k]:
                problems.append((k, f"{needs(req, group, n, p)} but {why}"))
            elif p > rules.available.get(group, p):
                limit = people_are(rules.available[group])
                problems.append((k, f"{needs(req, group, n, p)} but only {limit} available"))
        total = sum(people[k] for people in req.people)
        if duty.max is not None and total > duty.max:
            what = "counters" if req.people == req.counts else "people"
            text = f"the rostered groups need {total} {what} together but on_duty.max is {duty.max}"
            problems.append((k, text))
        if duty.min > 0 and not coverable[k]:
            problems.append((k, f"on_duty.min is {duty.min} but {why}"))
    everyone = sum(rules.available.values())
    if all(group in rules.available for group in req.groups) and everyone < duty.min:
        text = f"on_duty.min is {duty.min} but only {people_are(everyone)} available in all"
        problems += [(k, text) for k in range(len(req.slots))]
    return problems


def short_lines(req: Requirement, counts: Counts) -> list[tuple[int, str]]:
    """(slot, problem) of the nearest roster's shortfalls."""
    out = []
    for (_, group, k, need), gap in counts.short:
        if group is None:
            what = f"on_duty.min is {need}"
        else:
            n_counters = req.counts[req.groups.index(group)][k]
            what = needs(req, group, n_counters, need)
        out.append((k, f"{what}; the nearest roster is {gap} short"))
    return out


def solve_roster(scn: Scenario, rules: RosterRules) -> Roster:
    """The roster of least paid staff-hours covering the requirement of the one
    day ``scn`` describes, under ``rules``. Raises RosterError if the rules cannot
    be met (naming the slots) or no roster is found within ``rules.time_limit``,
    and ScenarioError if the rules name groups the scenario does not have."""
    req = requirement(scn, rules)
    grid = DayGrid(req, scn.open, scn.close)
    lengths = rules.lengths()
    problems = simple_causes(req, rules, grid, lengths)
    if problems:
        raise RosterError(listing("no roster meets these rules:", req.slots, problems))
    terms = [Terms("", lengths, 1.0, None)]
    counts = solve_counts([grid], terms, rules)
    if counts.infeasible:
        nearest = solve_counts([grid], terms, rules, elastic=True)
        head = "no roster meets these rules"
        if not nearest.shifts:
            raise RosterError(head + " (and no nearest roster was found within the time limit)")
        head += "; these slots cannot all be covered:"
        raise RosterError(listing(head, req.slots, short_lines(req, nearest)))
    if not counts.shifts:
        raise RosterError(
            f"time_limit: no roster found within {format_duration(rules.time_limit)} "
            f"({counts.status}); allow more time"
        )
    shifts = tuple(
        shift_of(pat, grid, rules, group, n, paid_h(pat, rules))
        for g, group in enumerate(req.groups)
        for pat, n in counts.patterns(0, g, 0)
    )
    staff_hours = math.fsum(s.people * s.paid_hours for s in shifts)
    return Roster(shifts, req, staff_hours, counts.seconds, counts.status)
