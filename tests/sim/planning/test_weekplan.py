"""A week to plan: the distinct days of a scenario's week (or a calendar week
with its holidays), the plan written back into each weekday, and what
counters cost in hours, people and money."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from sim.model.calendar import intervals
from sim.model.days import day_scenario, typical_day
from sim.model.scenario import load_scenario
from sim.model.scenario_io import write_scenario
from sim.model.week import ContractShare
from sim.planning.cost import staff_cost, staffed_hours
from sim.planning.grid import apply_plan
from sim.planning.judge import MeetRule
from sim.planning.simplan import SearchSettings
from sim.planning.smooth import PlanRules
from sim.planning.weekplan import days_to_plan, plan_days, planned_scenario

FLAGSHIP = load_scenario("scenarios/flagship.yaml")
COUNTY = load_scenario("scenarios/county.yaml")


def test_equal_weekdays_share_one_plan() -> None:
    days = days_to_plan(FLAGSHIP)
    assert [(d.key, d.days) for d in days] == [
        ("mon", ("mon",)), ("tue", ("tue", "wed", "thu")), ("fri", ("fri",)),
        ("sat", ("sat",)), ("sun", ("sun",)),
    ]  # fmt: skip
    tue = next(d for d in days if d.key == "tue").scenario
    assert tue == typical_day(FLAGSHIP)
    (every,) = days_to_plan(COUNTY)
    assert every.key == "" and len(every.days) == 7 and every.scenario == COUNTY


def test_a_calendar_week_has_its_holidays() -> None:
    days = days_to_plan(FLAGSHIP, week_of=date(2027, 1, 6))  # Monday 2027-01-04 .. Sunday
    keys = [(d.key, d.holiday) for d in days]
    assert keys[0] == ("2027-01-04", "元旦后首个工作日")  # a holiday stands alone
    assert ("2027-01-05", None) in keys
    tuesday = next(d for d in days if d.key == "2027-01-05")
    assert tuesday.days == ("2027-01-05", "2027-01-06", "2027-01-07")
    new_year = days_to_plan(FLAGSHIP, day="2027-01-01")
    assert new_year[0].holiday == "元旦" and new_year[0].scenario is not None
    assert new_year[0].scenario.close == 16 * 3600


def test_the_written_plan_is_each_weekdays_plan() -> None:
    """--out with a week: every weekday's counters follow that day's plan."""
    days = days_to_plan(FLAGSHIP)
    planned = plan_days(days, "erlang", MeetRule(0.8, 0.9), PlanRules(), SearchSettings(2, 2))
    written = planned_scenario(FLAGSHIP, planned)
    for day, plan in zip(days, planned, strict=True):
        assert plan is not None and day.scenario is not None
        expected = apply_plan(day.scenario, plan.plans[-1].groups, plan.plans[-1].counts)
        for name in day.days:
            when = date(2027, 1, 11 + ("mon", "tue", "wed", "thu", "fri", "sat", "sun").index(name))
            resolved = day_scenario(written, when)
            assert resolved is not None
            assert resolved.counters == expected.counters, name


def test_a_written_week_loads_back(tmp_path: Path) -> None:
    days = days_to_plan(FLAGSHIP, day="sat")
    planned = plan_days(days, "erlang", MeetRule(0.8, 0.9), PlanRules(), SearchSettings(2, 2))
    path = tmp_path / "staffed.yaml"
    write_scenario(planned_scenario(FLAGSHIP, planned), path)
    loaded = load_scenario(path)
    assert loaded.week is not None and "B" in loaded.week.sat.counters
    assert "B" not in loaded.week.sun.counters  # only the day planned


def test_counter_hours_people_and_money() -> None:
    # county: C two counters 08:30-17:30, P one counter with a 1.5 h lunch break
    assert staffed_hours(COUNTY) == pytest.approx(2 * 9 + 7.5)
    cost = staff_cost(COUNTY)
    assert cost.counter_hours_week == pytest.approx(7 * 25.5)
    assert cost.fte == pytest.approx(7 * 25.5 / 40) and cost.cost_week is None
    flagship = staff_cost(FLAGSHIP)
    wf = FLAGSHIP.workforce
    assert flagship.paid_hours_week == pytest.approx(flagship.counter_hours_week / (1 - 0.15))
    assert wf.cost_per_hour == 45.0
    assert flagship.cost_week == pytest.approx(flagship.paid_hours_week * 45.0)
    assert flagship.by_contract is None and "by_contract" not in flagship.to_json()
    # Saturday and Sunday are shorter days: the week is less than seven typical days
    assert flagship.counter_hours_week < 7 * flagship.counter_hours_day
    assert len(intervals(typical_day(FLAGSHIP))) == 48


def test_a_contract_mix_costs_the_plan_per_contract_type() -> None:
    """The flagship's week at 70% full-time (¥45) and 30% part-time (¥32): each
    type's paid hours and cost, adding up to the week's."""
    mix = {"full_time": ContractShare(share=0.7, cost_per_hour=45.0),
           "part_time": ContractShare(share=0.3, cost_per_hour=32.0)}  # fmt: skip
    wf = FLAGSHIP.workforce.model_copy(update={"cost_per_hour": None, "contracts": mix})
    mixed = staff_cost(FLAGSHIP.model_copy(update={"workforce": wf}))
    one_rate = staff_cost(FLAGSHIP)
    paid = one_rate.paid_hours_week
    assert mixed.paid_hours_week == pytest.approx(paid) and mixed.fte == pytest.approx(one_rate.fte)
    assert mixed.to_json()["by_contract"] == {
        "full_time": {"paid_hours_week": pytest.approx(0.7 * paid),
                      "cost_week": pytest.approx(0.7 * paid * 45.0)},
        "part_time": {"paid_hours_week": pytest.approx(0.3 * paid),
                      "cost_week": pytest.approx(0.3 * paid * 32.0)},
    }  # fmt: skip
    assert mixed.cost_week == pytest.approx(paid * (0.7 * 45.0 + 0.3 * 32.0))
