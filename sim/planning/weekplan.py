"""Staffing a week: the days a scenario's week (or one date, or one calendar
week with its holidays) asks to plan, each distinct one-day scenario planned
once, and what the plans cost in counter-hours, paid hours, FTE and money.

Days whose one-day scenarios are equal (Tuesday to Thursday of the flagship
hall) share one plan. The first day planned is the one that stands for most
days; each later day starts its search from its own Erlang need plus what the
simulation added to the Erlang need on the first day at the same time of day,
so that it needs only a few rounds (:mod:`sim.planning.simplan`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import cast

from sim.model.calendar import intervals
from sim.model.days import day_scenario, typical_day
from sim.model.scenario import Scenario
from sim.model.week import WEEKDAYS, Weekday
from sim.planning.cost import staffed_hours
from sim.planning.evaluate import Evaluator, PlanOdds
from sim.planning.grid import apply_plan, count_steps
from sim.planning.judge import MeetRule
from sim.planning.simplan import FRESH, SearchSettings, sim_plan
from sim.planning.smooth import PlanRules
from sim.planning.staffing import Plan, erlang_need, erlang_plan, resized_groups
from sim.runs.executor import Executor

EVERY_DAY = ""


@dataclass(frozen=True)
class DayToPlan:
    """One distinct day of the plan: ``key`` names it (``mon``, ``2027-01-04``,
    or ``""`` when every day is alike), ``days`` are the weekdays or dates it
    stands for, ``scenario`` its one-day scenario (None: the hall is closed)."""

    key: str
    days: tuple[str, ...]
    scenario: Scenario | None
    holiday: str | None = None  # the holiday's name, for people


def days_to_plan(
    scn: Scenario, day: str | None = None, week_of: date | None = None
) -> list[DayToPlan]:
    """The distinct days to plan: ``day`` alone (a weekday ``mon`` … or a date),
    the calendar week (Monday to Sunday) holding ``week_of`` with its holidays,
    or by default the scenario's typical week (every weekday of ``week``, or
    one day standing for all seven)."""
    if day is not None:
        if day in WEEKDAYS:
            resolved = _weekday_scenario(scn, day)
            return [DayToPlan(day, (day,), resolved)]
        when = date.fromisoformat(day)
        return [DayToPlan(when.isoformat(), (when.isoformat(),), day_scenario(scn, when),
                          _holiday_name(scn, when))]  # fmt: skip
    if week_of is not None:
        monday = week_of - timedelta(days=week_of.weekday())
        dated = [(d.isoformat(), day_scenario(scn, d), _holiday_name(scn, d))
                 for d in (monday + timedelta(days=k) for k in range(7))]  # fmt: skip
        return _grouped(dated)
    if scn.week is None:
        return [DayToPlan(EVERY_DAY, WEEKDAYS, typical_day(scn))]
    return _grouped([(d, _weekday_scenario(scn, d), None) for d in WEEKDAYS])


def _weekday_scenario(scn: Scenario, name: str) -> Scenario | None:
    """The one-day scenario of an ordinary ``name`` day (no holiday)."""
    from sim.model.days import apply_plan as apply_day

    if scn.week is None:
        return typical_day(scn)
    return apply_day(scn, scn.week.plan(cast(Weekday, name)))


def _holiday_name(scn: Scenario, when: date) -> str | None:
    holiday = scn.holidays.get(when)
    if holiday is None:
        return None
    return holiday.name or "holiday"


def _grouped(days: Sequence[tuple[str, Scenario | None, str | None]]) -> list[DayToPlan]:
    out: list[DayToPlan] = []
    for key, scenario, holiday in days:
        same = next((k for k, d in enumerate(out) if d.scenario == scenario), None)
        if same is None or holiday is not None or out[same].holiday is not None:
            out.append(DayToPlan(key, (key,), scenario, holiday))
        else:
            d = out[same]
            out[same] = DayToPlan(d.key, (*d.days, key), d.scenario)
    return out


@dataclass(frozen=True)
class PlannedDay:
    """A distinct day with its plans (the Erlang plan, then the simulated one)
    and each plan simulated on fresh replications (``odds``, same order)."""

    day: DayToPlan
    plans: list[Plan]
    odds: list[PlanOdds]

    @property
    def scenario(self) -> Scenario:
        assert self.day.scenario is not None
        return self.day.scenario

    def hall_hours(self, plan: Plan) -> float:
        """Counter-hours of every counter group, the resized ones as ``plan`` staffs them."""
        return staffed_hours(apply_plan(self.scenario, plan.groups, plan.counts))


def _correction(ref: Scenario, ref_need: Sequence[Sequence[int]], scn: Scenario) -> list[list[int]]:
    """``scn``'s Erlang need plus what the search added to ``ref``'s at the same
    time of day (nothing where ``ref`` is closed)."""
    added = {
        start: [row[t] - erl[t] for row, erl in zip(ref_need, erlang_need(ref), strict=True)]
        for t, (start, _) in enumerate(intervals(ref))
    }
    own = erlang_need(scn)
    return [
        [
            max(0, n + added.get(start, [0] * len(own))[k])
            for n, (start, _) in zip(row, intervals(scn), strict=True)
        ]
        for k, row in enumerate(own)
    ]


def _prefixed(say: Callable[[str], None], key: str) -> Callable[[str], None]:
    name = key or "the day"
    return lambda text: say(f"{name}: {text}")


def _first_stage_only(_: PlanOdds) -> bool:
    return False


def plan_days(
    days: Sequence[DayToPlan],
    method: str,
    rule: MeetRule,
    rules: PlanRules,
    settings: SearchSettings,
    executor: Executor | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> list[PlannedDay | None]:
    """Plan every open day of ``days`` (None for a closed one), in their order
    in the result; see the module docstring."""
    say = on_progress or (lambda _: None)
    order = sorted(
        (k for k, d in enumerate(days) if d.scenario is not None), key=lambda k: -len(days[k].days)
    )
    out: list[PlannedDay | None] = [None] * len(days)
    reference: tuple[Scenario, Sequence[Sequence[int]]] | None = None
    for k in order:
        day = days[k]
        scn = day.scenario
        assert scn is not None
        groups = resized_groups(scn)
        fresh = Evaluator(
            scn, groups, rule, settings.seed, settings.stages, executor, first_replication=FRESH
        )
        plans = [erlang_plan(scn, rules)]
        if method == "sim":
            start = None if reference is None else _correction(*reference, scn)
            plan = sim_plan(
                scn, rule, rules, settings, executor, need=start, fresh=fresh,
                on_progress=_prefixed(say, day.key),
            )  # fmt: skip
            plans.append(plan)
            if reference is None:
                reference = (scn, plan.need)
            # the Erlang plan is shown beside it: one stage of fresh replications
            fresh.run([plans[0].counts], [_first_stage_only])
        else:
            fresh.run([plans[0].counts])
        out[k] = PlannedDay(day, plans, [fresh.odds(p.counts) for p in plans])
    return out


def planned_scenario(scn: Scenario, planned: Sequence[PlannedDay | None]) -> Scenario:
    """``scn`` with its resized groups following the last plan of each planned
    day: the counts themselves for a scenario without a week, else each
    weekday's (``week.<day>.counters``) and each date's
    (``holidays.<date>.counters``) schedule, so that every day it describes runs
    the plan."""
    from sim.model.scenario import scenario_from_dict
    from sim.model.scenario_io import scenario_to_dict
    from sim.model.units import format_clock

    days = [p for p in planned if p is not None]
    if len(days) == 1 and days[0].day.key == EVERY_DAY:
        plan = days[0].plans[-1]
        return apply_plan(scn, plan.groups, plan.counts)
    data = scenario_to_dict(scn)
    for day in days:
        plan = day.plans[-1]
        counters = {
            scn.counters[g].id: {format_clock(t): int(n) for t, n in count_steps(day.scenario, row)}
            for g, row in zip(plan.groups, plan.counts, strict=True)
        }
        for key in day.day.days:
            if key in WEEKDAYS:
                entry = data.setdefault("week", {}).setdefault(key, {})
            else:
                entry = data.setdefault("holidays", {}).setdefault(date.fromisoformat(key), {})
            if entry == "closed":
                continue
            entry.setdefault("counters", {}).update(counters)
    return scenario_from_dict(data)
