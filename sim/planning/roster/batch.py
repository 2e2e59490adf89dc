"""Rosters of many halls at once (a district or a province): one picklable job
per hall, run on an executor of :mod:`sim.runs.executor` (in this process, a
pool of local processes, or a Dask cluster), so that a planner's batch of
dozens of halls takes the time of the slowest few, not of all in a row.

A hall's job says what to roster: one day (``day``: a weekday or a date, or
the typical day of a scenario without a week) or a week (a scenario with a
``week``, ``week=True``, named ``staff`` or a ``start`` date).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from sim.model.scenario import Scenario
from sim.planning.roster.day import Roster, solve_roster
from sim.planning.roster.demand import one_day, rostered_groups, week_days
from sim.planning.roster.rules import RosterRules
from sim.planning.roster.staff import StaffMember, staff_persons
from sim.planning.roster.week import WeekRoster, solve_week
from sim.runs.executor import Executor


@dataclass(frozen=True)
class HallJob:
    """What to roster for one hall (see the module docstring)."""

    scenario: Scenario
    rules: RosterRules
    staff: tuple[StaffMember, ...] | None = None
    day: str | None = None
    week: bool = False
    start: date | None = None

    @property
    def is_week(self) -> bool:
        """True if this job rosters a week."""
        if self.day is not None:
            return False
        wanted = self.week or self.start is not None or self.staff is not None
        return wanted or self.scenario.week is not None


@dataclass(frozen=True)
class DayResult:
    """A one-day roster of ``day`` (``typical``, ``mon`` or a date) and the
    one-day scenario it covers."""

    day: str
    scenario: Scenario
    roster: Roster


HallResult = DayResult | WeekRoster


def roster_hall(job: HallJob) -> HallResult:
    """The roster ``job`` asks for; raises the errors of :func:`solve_roster`
    and :func:`solve_week` (and StaffError for staff that do not fit)."""
    if not job.is_week:
        day = one_day(job.scenario, job.day)
        assert day.scenario is not None
        return DayResult(day.key, day.scenario, solve_roster(day.scenario, job.rules))
    persons = None
    if job.staff is not None:
        scn = job.scenario
        days = week_days(scn, job.start)
        rostered = [scn.counters[g].id for g in rostered_groups(scn, job.rules)]
        groups = [g.id for g in scn.counters]
        persons = staff_persons(job.staff, days, job.rules, groups, rostered)
    return solve_week(job.scenario, job.rules, persons, job.start)


def roster_halls(
    jobs: Sequence[HallJob],
    executor: Executor,
    on_done: Callable[[int], None] | None = None,
) -> list[HallResult]:
    """Every job's roster, in the order of ``jobs``, computed on ``executor``;
    ``on_done(index)`` is called as each hall finishes."""
    results: dict[int, HallResult] = {}
    for index, result in executor.map(roster_hall, list(jobs)):
        results[index] = result
        if on_done is not None:
            on_done(index)
    return [results[i] for i in range(len(jobs))]
