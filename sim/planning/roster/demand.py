"""What a roster must cover: the days it spans and, per day, the people each
rostered counter group needs per slot of the rules' grid.

The *counters* a group needs in a slot are the most it staffs at any moment of
that slot. The *people* rostered for it cover shrinkage the way a
workforce-management suite turns a base staff requirement into a schedule
requirement: ``people = ⌈counters / (1 − shrinkage)⌉`` in every slot, so that
the people expected at work after absence, training and meetings
(``(1 − shrinkage) × people``) still staff every counter. Meal breaks are not
shrinkage: the roster places them and covers around them.

A week is seven :class:`RosterDay` s: the weekdays of the scenario's ``week``
(Monday first; every day alike without one), or seven dates from a start date
with the holidays applied. A closed day has no scenario.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from sim.model.calendar import counter_instances, step_value
from sim.model.days import apply_plan, day_scenario, typical_day, weekday
from sim.model.scenario import Scenario, ScenarioError
from sim.model.week import WEEKDAYS, Weekday
from sim.planning.roster.problems import RosterError
from sim.planning.roster.rules import RosterRules

_EPS = 1e-6


@dataclass(frozen=True)
class Requirement:
    """Per grid slot of one day, the counters each rostered group must staff:
    ``slots`` are ``(start_s, end_s)`` from opening to closing, ``counts[g][k]``
    is group ``groups[g]``'s counters in slot ``k``; ``shrinkage`` turns them
    into :attr:`people`."""

    groups: tuple[str, ...]
    slots: tuple[tuple[float, float], ...]
    counts: tuple[tuple[int, ...], ...]
    shrinkage: float = 0.0

    @property
    def people(self) -> tuple[tuple[int, ...], ...]:
        """People to roster per group and slot: ``⌈counters / (1 − shrinkage)⌉``."""
        keep = 1.0 - self.shrinkage
        return tuple(tuple(math.ceil(n / keep - _EPS) for n in row) for row in self.counts)

    @property
    def lower_bound_hours(self) -> float:
        """People to roster times slot length, summed over groups and slots, hours:
        no roster pays fewer hours."""
        return _hours(self.people, self.slots)

    @property
    def counter_hours(self) -> float:
        """Counters required times slot length, summed, hours."""
        return _hours(self.counts, self.slots)


def _hours(rows: tuple[tuple[int, ...], ...], slots: tuple[tuple[float, float], ...]) -> float:
    return math.fsum(
        n * (end - start) / 3600.0
        for row in rows
        for n, (start, end) in zip(row, slots, strict=True)
    )


def rostered_groups(scn: Scenario, rules: RosterRules) -> tuple[int, ...]:
    """Indices of the counter groups to roster: ``rules.groups``; by default those
    whose count changes during opening hours, or every group if none does."""
    ids = [g.id for g in scn.counters]
    if rules.groups is not None:
        problems = [
            f"groups[{i}]: {name!r} is not a counter group of the scenario ({', '.join(ids)})"
            for i, name in enumerate(rules.groups)
            if name not in ids
        ]
        if len(set(rules.groups)) != len(rules.groups):
            problems.append(f"groups: {list(rules.groups)!r} names a group twice")
        if problems:
            raise ScenarioError("\n".join(problems))
        return tuple(ids.index(name) for name in rules.groups)
    varying = tuple(
        i
        for i, g in enumerate(scn.counters)
        if any(
            step_value(g.count, t) != step_value(g.count, scn.open)
            for t, _ in g.count
            if scn.open < t < scn.close
        )
    )
    return varying or tuple(range(len(scn.counters)))


def requirement(
    scn: Scenario, rules: RosterRules, groups: tuple[int, ...] | None = None
) -> Requirement:
    """The requirement of the rostered groups (``groups``: indices, default
    :func:`rostered_groups`) on the one day ``scn`` describes."""
    if scn.stationary:
        raise RosterError("horizon: rostering needs opening hours (open, close), not a horizon")
    if groups is None:
        groups = rostered_groups(scn, rules)
    for name in rules.available:
        if name not in {scn.counters[g].id for g in groups}:
            raise ScenarioError(f"available.{name}: {name!r} is not a rostered counter group")
    n_slots = math.ceil((scn.close - scn.open) / rules.grid - _EPS)
    slots = tuple(
        (scn.open + k * rules.grid, min(scn.open + (k + 1) * rules.grid, scn.close))
        for k in range(n_slots)
    )
    instances = [c for c in counter_instances(scn) if not c.kiosk]
    counts = []
    for g in groups:
        windows = [c.windows for c in instances if c.group == g]
        row = []
        for start, end in slots:
            moments = {start} | {w0 for ws in windows for w0, _ in ws if start < w0 < end}
            row.append(
                max(sum(any(w0 <= t < w1 for w0, w1 in ws) for ws in windows) for t in moments)
            )
        counts.append(tuple(row))
    ids = tuple(scn.counters[g].id for g in groups)
    return Requirement(ids, slots, tuple(counts), scn.workforce.shrinkage)


@dataclass(frozen=True)
class RosterDay:
    """One day of a roster: ``key`` names it (``mon``, ``2027-01-04`` or ``typical``),
    ``scenario`` is its one-day scenario (None: the hall is closed)."""

    key: str
    weekday: Weekday | None
    date: date | None
    scenario: Scenario | None


def week_days(scn: Scenario, start: date | None = None) -> tuple[RosterDay, ...]:
    """The seven days a week roster covers: Monday to Sunday of the scenario's
    ``week`` (every day the typical day without one), or seven dates from
    ``start`` with holidays applied."""
    if start is not None:
        dates = [start + timedelta(days=i) for i in range(7)]
        return tuple(RosterDay(d.isoformat(), weekday(d), d, day_scenario(scn, d)) for d in dates)
    if scn.week is None:
        day = typical_day(scn)
        return tuple(RosterDay(w, w, None, day) for w in WEEKDAYS)
    return tuple(RosterDay(w, w, None, apply_plan(scn, scn.week.plan(w))) for w in WEEKDAYS)


def one_day(scn: Scenario, which: str | None) -> RosterDay:
    """The day ``which`` names: a weekday (``mon``), a date (``2027-01-04``), or
    None for the typical day. Raises RosterError for anything else or a day
    the hall is closed."""
    if which is None:
        day = typical_day(scn)
        return RosterDay("typical", None, None, day)
    if which in WEEKDAYS:
        plan = scn.week.plan(which) if scn.week is not None else None
        found = RosterDay(
            which, which, None, typical_day(scn) if plan is None else apply_plan(scn, plan)
        )
    else:
        try:
            when = date.fromisoformat(which)
        except ValueError:
            raise RosterError(
                f"--day: {which!r} is not a weekday (mon … sun) or a date (YYYY-MM-DD)"
            ) from None
        found = RosterDay(which, weekday(when), when, day_scenario(scn, when))
    if found.scenario is None:
        raise RosterError(f"--day: the hall is closed on {which}")
    return found
