"""The week format: weekdays, holidays and the workforce figures; a date
resolves to the one-day scenario the simulator runs."""

from __future__ import annotations

import copy
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from sim.model.days import day_key, day_plan, day_scenario, typical_day
from sim.model.scenario import ScenarioError, load_scenario, scenario_from_dict
from sim.model.scenario_io import scenario_to_dict, write_scenario
from tests.sim.model.test_scenario import MINIMAL

MONDAY = date(2026, 12, 7)
WEEK: dict[str, Any] = {
    "mon": {"level": 1.2},
    "tue": {},
    "wed": {},
    "thu": {},
    "fri": {"counters": {"C": {"09:00": 1, "17:00": 2}}},
    "sat": {"open": "10:00", "close": "16:00", "rate_per_hour": {"10:00": 6, "12:00": 12}},
    "sun": "closed",
}


def weekly(**extra: Any) -> dict[str, Any]:
    data = copy.deepcopy(MINIMAL) | {"week": copy.deepcopy(WEEK)}
    data["services"]["b"] = {"service_time": {"dist": "exponential", "mean": "5m"}}
    data["counters"][0]["services"] = ["a", "b"]
    return data | extra


def problems(data: dict[str, Any]) -> str:
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data)
    return str(info.value)


def test_a_weekday_plan_changes_only_what_it_names() -> None:
    scn = scenario_from_dict(weekly())
    monday = day_scenario(scn, MONDAY)
    assert monday is not None and monday.week is None and not monday.holidays
    assert monday.arrivals.rate_per_hour == ((0.0, 12.0),)  # 10 an hour, 20% busier
    assert (monday.open, monday.close, monday.counters) == (scn.open, scn.close, scn.counters)
    tuesday = day_scenario(scn, date(2026, 12, 8))
    assert tuesday == typical_day(scn)
    friday = day_scenario(scn, date(2026, 12, 11))
    assert friday is not None and friday.counters[0].count == (
        (9 * 3600.0, 1.0),
        (17 * 3600.0, 2.0),
    )
    saturday = day_scenario(scn, date(2026, 12, 12))
    assert saturday is not None
    assert (saturday.open, saturday.close) == (10 * 3600.0, 16 * 3600.0)
    assert saturday.arrivals.rate_per_hour == ((36000.0, 6.0), (43200.0, 12.0))
    assert day_scenario(scn, date(2026, 12, 13)) is None  # Sunday: closed


def test_holidays_are_dated_exceptions_over_a_weekday() -> None:
    scn = scenario_from_dict(
        weekly(
            holidays={
                "2026-12-09": "closed",
                "2026-12-10": {"like": "mon", "level": 1.5, "name": "day after"},
                "2026-12-13": {"open": "11:00"},  # a Sunday the hall opens
            }
        )
    )
    assert day_scenario(scn, date(2026, 12, 9)) is None
    after = day_scenario(scn, date(2026, 12, 10))
    assert after is not None and after.arrivals.rate_per_hour == ((0.0, 15.0),)
    sunday = day_scenario(scn, date(2026, 12, 13))
    assert sunday is None  # a plan over a closed weekday stays closed unless it reopens
    assert day_plan(scn, date(2026, 12, 10)).level == 1.5
    assert [day_key(scn, date(2026, 12, d)) for d in (7, 8, 10)] == ["mon", "tue", "2026-12-10"]


def test_a_holiday_can_reopen_a_closed_weekday() -> None:
    scn = scenario_from_dict(weekly(holidays={"2026-12-13": {"closed": False, "open": "11:00"}}))
    sunday = day_scenario(scn, date(2026, 12, 13))
    assert sunday is not None and sunday.open == 11 * 3600.0


def test_without_a_week_every_day_is_the_typical_day() -> None:
    scn = scenario_from_dict(copy.deepcopy(MINIMAL))
    assert day_scenario(scn, MONDAY) is scn
    assert day_key(scn, MONDAY) == day_key(scn, date(2027, 1, 1)) == ""
    with_holiday = scenario_from_dict(
        copy.deepcopy(MINIMAL) | {"holidays": {"2027-01-01": "closed"}}
    )
    assert day_scenario(with_holiday, date(2027, 1, 1)) is None
    assert day_scenario(with_holiday, MONDAY) == typical_day(with_holiday)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["week"].pop("wed"), "week: misses wed: give all seven weekdays"),
        (lambda d: d["week"].update(sun={"closed": True, "level": 2}), "a closed day takes no"),
        (lambda d: d["week"]["sat"].update(close="09:00"), r"week\.sat: closes at 9h"),
        (lambda d: d["week"]["mon"].update(mix={"z": 1.0}), r"week\.mon\.mix\.z: 'z' is not a"),
        (lambda d: d["week"]["mon"].update(mix={"a": 0.5}), "mix shares must sum to 1, not 0.5"),
        (lambda d: d["week"]["fri"]["counters"].update(X=1), r"week\.fri\.counters\.X: 'X' is not"),
        (lambda d: d["week"]["mon"].update(level=-1), r"week\.mon\.level: -1 "),
        (lambda d: d["week"].update(xyz={}), r"week\.xyz: unknown key `xyz`"),
        (lambda d: d.update(holidays={"2026-02-30": "closed"}), r"holidays\.2026-02-30"),
        (lambda d: d.update(workforce={"shrinkage": 0.95}), r"workforce\.shrinkage: 0.95"),
        (
            lambda d: d.update(
                workforce={"contracts": {"ft": {"share": 0.7, "cost_per_hour": 45}}}
            ),
            "shares add up to 0.7, not 1",
        ),
        (
            lambda d: d.update(
                workforce={
                    "cost_per_hour": 40,
                    "contracts": {"ft": {"share": 1, "cost_per_hour": 45}},
                }
            ),
            "either one cost per hour or contracts",
        ),
        (
            lambda d: d.update(workforce={"contracts": {"ft": {"share": 1}}}),
            r"workforce\.contracts\.ft\.cost_per_hour",
        ),
    ],
)
def test_mistakes_name_the_path_and_value(change: Any, message: str) -> None:
    data = weekly()
    change(data)
    found = problems(data)
    assert re.search(message, found), found


def test_a_holiday_like_a_weekday_needs_a_week() -> None:
    data = copy.deepcopy(MINIMAL) | {"holidays": {"2027-01-01": {"like": "mon"}}}
    assert "holidays.2027-01-01.like: 'mon' needs a week" in problems(data)


def test_a_stationary_run_has_no_week() -> None:
    data = weekly(horizon={"duration": "10h"})
    assert "a week needs opening hours" in problems(data)


def test_week_round_trips_through_yaml(tmp_path: Path) -> None:
    scn = scenario_from_dict(
        weekly(
            holidays={"2026-10-01": "closed", "2026-10-08": {"like": "mon", "level": 1.4}},
            workforce={"shrinkage": 0.15, "cost_per_hour": 48},
        )
    )
    assert scenario_from_dict(scenario_to_dict(scn)) == scn
    write_scenario(scn, tmp_path / "w.yaml")
    assert load_scenario(tmp_path / "w.yaml") == scn
    day = day_scenario(scn, MONDAY)
    assert day is not None
    assert "week" not in scenario_to_dict(day) and "holidays" not in scenario_to_dict(day)


def test_workforce_turns_counter_hours_into_people_and_money() -> None:
    scn = scenario_from_dict(weekly(workforce={"shrinkage": 0.2, "cost_per_hour": 50}))
    wf = scn.workforce
    assert wf.paid_hours(80.0) == pytest.approx(100.0)
    assert wf.fte(80.0) == pytest.approx(2.5)  # 100 paid hours over 40-hour weeks
    assert wf.cost(80.0) == pytest.approx(5000.0)
    assert scenario_from_dict(copy.deepcopy(MINIMAL)).workforce.cost(10.0) is None


def test_a_contract_mix_costs_each_contract_type_its_own_rate() -> None:
    """80% of the paid hours full-time at 45, 20% part-time at 32: a counter-hour
    at 20% shrinkage is 1.25 paid hours, 1 at 45 and 0.25 at 32."""
    mix = {"full_time": {"share": 0.8, "cost_per_hour": 45}, "part_time": {"share": 0.2,
           "cost_per_hour": 32}}  # fmt: skip
    wf = scenario_from_dict(weekly(workforce={"shrinkage": 0.2, "contracts": mix})).workforce
    split = wf.cost_by_contract(80.0)
    assert split is not None
    assert split["full_time"] == pytest.approx((80.0, 3600.0))
    assert split["part_time"] == pytest.approx((20.0, 640.0))
    assert wf.cost(80.0) == pytest.approx(4240.0)
    assert wf.fte(80.0) == pytest.approx(2.5)  # FTE is paid hours, whatever the contract
