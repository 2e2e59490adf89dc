"""Week rosters with people: every rule re-verified by an independent checker
(roster_check.py) on small halls where each rule binds, on the flagship week
with part-timers (hired, and the bundled named staff), on a dated week with a
holiday, and on staff too few to cover; the checker itself is shown to fail
on rosters broken on purpose."""

from __future__ import annotations

import copy
import csv
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from sim.model.scenario import Scenario, load_scenario, scenario_from_dict
from sim.model.week import WEEKDAYS
from sim.planning.roster.batch import HallJob, roster_hall
from sim.planning.roster.problems import RosterError
from sim.planning.roster.rules import RosterRules, rules_from_dict
from sim.planning.roster.staff import StaffMember, read_staff
from sim.planning.roster.week import WeekRoster, solve_week
from sim.reports.roster.week import week_json
from tests.sim.planning.roster_check import check_week
from tests.sim.planning.roster_halls import SMALL, scenario, small_rules, write_staff

H = 3600.0
RULES_PATH = Path("scenarios/rules/flagship-roster.yaml")
STAFF_PATH = Path("scenarios/staff/flagship-staff.csv")


def checked(
    result: WeekRoster,
    scn: Scenario,
    raw: dict[str, Any],
    staff: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """The roster's JSON, after the independent checker found nothing wrong."""
    data: dict[str, Any] = json.loads(json.dumps(week_json(result)))
    assert check_week(data, scn, raw, staff) == []
    return data


def staff_job(scn: Scenario, rules: RosterRules, members: tuple[StaffMember, ...]) -> WeekRoster:
    result = roster_hall(HallJob(scn, rules, members))
    assert isinstance(result, WeekRoster)
    return result


# --- small halls, one rule binding at a time -----------------------------------------------


@pytest.fixture(scope="module")
def small_week() -> tuple[WeekRoster, dict[str, Any]]:
    rules, raw = small_rules()
    return solve_week(scenario(), rules), raw


def test_small_week_keeps_every_rule(small_week: tuple[WeekRoster, dict[str, Any]]) -> None:
    result, raw = small_week
    data = checked(result, scenario(), raw)
    assert data["covered"] and data["repeating"] and not data["named_staff"]
    assert data["days"][6] == {"key": "sun", "weekday": "sun", "date": None, "open": None,
                               "close": None}  # fmt: skip
    assert all(p["shifts"]["sun"] is None for p in data["staff"])
    assert result.status == "optimal"


def test_small_week_costs_what_its_people_are_paid(
    small_week: tuple[WeekRoster, dict[str, Any]],
) -> None:
    result, _ = small_week
    rates = {"full_time": 40.0, "part_time": 30.0}  # part_time's own, full_time the workforce's
    assert result.cost == pytest.approx(
        sum(p.paid_hours * rates[p.person.contract] for p in result.people)
    )
    assert result.fte == pytest.approx(result.paid_hours / 40.0)
    assert result.paid_hours >= result.lower_bound_hours - 1e-9


def test_people_follow_shrinkage() -> None:
    """With more shrinkage the roster covers more people per slot."""
    rules, raw = small_rules()
    none = solve_week(scenario(workforce={"shrinkage": 0.0, "cost_per_hour": 40}), rules)
    more = solve_week(scenario(workforce={"shrinkage": 0.3, "cost_per_hour": 40}), rules)
    assert more.lower_bound_hours > none.lower_bound_hours
    assert more.paid_hours > none.paid_hours
    checked(more, scenario(workforce={"shrinkage": 0.3, "cost_per_hour": 40}), raw)


def test_rest_between_shifts_binds() -> None:
    """Open 07:00–22:00 with 12 h of rest: nobody closes at 22:00 and opens at 07:00."""
    scn = scenario(open="07:00", close="22:00", week={d: {} for d in WEEKDAYS},
                   counters=[{"id": "C", "count": 2, "services": ["a"]}])  # fmt: skip
    terms = {"hours_per_week": {"min": 20, "max": 40}, "shift_lengths": ["5h", "8h"],
             "days_off": 2, "max_consecutive_days": 5, "min_rest": "12h"}  # fmt: skip
    rules, raw = small_rules(
        groups=["C"], meal_break={"over": "6h", "min": "30m", "max": "30m",
                                  "window": ["11:00-14:00", "17:00-19:00"]},
        contracts={"full_time": terms},
    )  # fmt: skip
    result = solve_week(scn, rules)
    checked(result, scn, raw)
    loose = copy.deepcopy(raw)
    loose["contracts"]["full_time"]["min_rest"] = "1h"
    data = json.loads(json.dumps(week_json(result)))
    assert check_week(data, scn, loose) == []  # the same roster is fine with less rest
    late_then_early = [
        p["id"]
        for p in data["staff"]
        for a, b in zip(WEEKDAYS, WEEKDAYS[1:] + WEEKDAYS[:1], strict=True)
        if p["shifts"][a] and p["shifts"][b]
        and p["shifts"][a]["end"] == "22:00" and p["shifts"][b]["start"] == "07:00"
    ]  # fmt: skip
    assert late_then_early == []


@pytest.mark.slow
def test_consecutive_days_and_days_off_bind() -> None:
    """Open every day with 3 days at most in a row: nobody works 4 running,
    round the end of the week included (the week repeats)."""
    scn = scenario(week={d: {} for d in WEEKDAYS})
    terms = {"hours_per_week": {"min": 12, "max": 40}, "shift_lengths": ["4h", "8h"],
             "days_off": 1, "max_consecutive_days": 3}  # fmt: skip
    rules, raw = small_rules(contracts={"full_time": terms})
    result = solve_week(scn, rules)
    data = checked(result, scn, raw)
    for person in data["staff"]:
        on = [person["shifts"][d] is not None for d in WEEKDAYS]
        twice = on + on
        assert not any(all(twice[i : i + 4]) for i in range(7)), person["id"]


def test_max_people_binds() -> None:
    _, raw = small_rules()
    raw["contracts"]["part_time"]["max_people"] = 1
    result = solve_week(scenario(), rules_from_dict(raw))
    checked(result, scenario(), raw)
    assert sum(p.person.contract == "part_time" for p in result.people) <= 1


def test_a_weekday_staffing_schedule_is_what_that_day_covers() -> None:
    """A staffing plan for a week (what `hallsim staff --out` writes) gives each
    weekday its own counter schedule: the roster covers Friday's, not the
    typical day's."""
    week = copy.deepcopy(SMALL["week"]) | {"fri": {"counters": {"C": {"09:00": 4, "13:00": 2}}}}
    scn = scenario(week=week)
    rules, raw = small_rules()
    data = checked(solve_week(scn, rules), scn, raw)
    friday = data["coverage"]["fri"]["counters"]["C"]
    assert friday[:8] == [4] * 8 and friday[8:] == [2] * 8
    assert data["coverage"]["thu"]["counters"]["C"][:4] == [2] * 4


@pytest.mark.slow
def test_every_contract_needs_a_cost_when_one_has_one() -> None:
    """A contract without a rate would cost nothing next to one with a rate."""
    raw = small_rules()[1]
    scn = scenario(workforce={"shrinkage": 0.1})  # no cost per hour to fall back on
    with pytest.raises(RosterError, match=r"contracts.full_time.cost_per_hour: needed"):
        solve_week(scn, rules_from_dict(raw))
    del raw["contracts"]["part_time"]["cost_per_hour"]
    result = solve_week(scn, rules_from_dict(raw))  # no costs at all: the fewest paid hours
    assert result.cost is None and checked(result, scn, raw)["cost"] is None


def test_a_scenario_without_a_week_rosters_seven_equal_days() -> None:
    data = copy.deepcopy(SMALL)
    del data["week"]
    scn = scenario_from_dict(data)
    rules, raw = small_rules()
    result = roster_hall(HallJob(scn, rules, week=True))
    assert isinstance(result, WeekRoster)
    days = checked(result, scn, raw)["days"]
    assert [d["open"] for d in days] == ["09:00"] * 7
    day = roster_hall(HallJob(scn, rules))  # without --week: one day, as before
    assert not isinstance(day, WeekRoster)


def test_dated_week_applies_holidays_and_does_not_wrap() -> None:
    scn = scenario(holidays={"2027-01-01": {"name": "元旦", "open": "10:00", "close": "14:00"},
                             "2027-01-02": "closed"})  # fmt: skip
    rules, raw = small_rules()
    result = solve_week(scn, rules, start=date(2026, 12, 28))
    data = checked(result, scn, raw)
    assert not data["repeating"]
    assert [d["key"] for d in data["days"]][4] == "2027-01-01"
    assert data["days"][4]["open"] == "10:00" and data["days"][4]["close"] == "14:00"
    assert data["days"][5]["open"] is None  # the Saturday holiday is closed


# --- named staff ---------------------------------------------------------------------------


def small_staff(tmp_path: Path) -> tuple[list[dict[str, str]], tuple[StaffMember, ...]]:
    full = [{"id": f"F{i}", "name": f"员工{i}", "contract": "full_time", "skills": "C;D"}
            for i in range(1, 6)]  # fmt: skip
    full[0]["sat"] = "off"
    full[1]["mon"] = "09:00-15:00"
    full[2]["skills"] = "C"
    full[3]["off"] = "wed"
    afternoons = dict.fromkeys(WEEKDAYS[:5], "13:00-17:00") | {"sat": "off"}
    part = [{"id": f"P{i}", "name": "", "contract": "part_time", "skills": "C", **afternoons}
            for i in range(1, 3)]  # fmt: skip
    rows = write_staff(tmp_path / "staff.csv", full + part)
    return rows, read_staff(tmp_path / "staff.csv")


def test_named_staff_keep_skills_availability_and_days_off(tmp_path: Path) -> None:
    rows, members = small_staff(tmp_path)
    rules, raw = small_rules()
    result = staff_job(scenario(), rules, members)
    data = checked(result, scenario(), raw, rows)
    assert data["named_staff"] and data["staff"][0]["name"] == "员工1"
    assert {p["id"] for p in data["staff"]} == {r["id"] for r in rows}


def test_too_few_staff_leave_named_slots_short(tmp_path: Path) -> None:
    rows, _ = small_staff(tmp_path)
    rows = [r for r in rows if r["id"] in ("F1", "F2", "P1")]
    write_staff(tmp_path / "few.csv", rows)
    rules, raw = small_rules()
    result = staff_job(scenario(), rules, read_staff(tmp_path / "few.csv"))
    data = checked(result, scenario(), raw, rows)  # the shortfall is exactly what is missing
    assert not data["covered"] and data["short"]
    assert "SHORT in" in data["verdict"]


# --- the flagship week ---------------------------------------------------------------------


def flagship_raw() -> dict[str, Any]:
    raw: dict[str, Any] = yaml.safe_load(RULES_PATH.read_text(encoding="utf-8"))
    return raw


@pytest.mark.slow
def test_flagship_week_with_part_timers_keeps_every_rule() -> None:
    scn = load_scenario("scenarios/flagship.yaml")
    result = solve_week(scn, rules_from_dict(flagship_raw()))
    data = checked(result, scn, flagship_raw())
    assert data["covered"]
    contracts = data["contracts"]
    assert contracts["full_time"]["people"] > 0 and contracts["part_time"]["people"] > 0
    off = [sum(p["shifts"][d] is None for d in WEEKDAYS) for p in data["staff"]]
    assert min(off) >= 2  # days off for everyone


@pytest.mark.slow
def test_flagship_week_with_the_bundled_staff_keeps_every_rule() -> None:
    scn = load_scenario("scenarios/flagship.yaml")
    with STAFF_PATH.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    result = staff_job(scn, rules_from_dict(flagship_raw()), read_staff(STAFF_PATH))
    data = checked(result, scn, flagship_raw(), rows)
    assert data["covered"] and data["people"] == len(rows)


# --- the checker can fail ------------------------------------------------------------------


def broken(data: dict[str, Any], how: str) -> dict[str, Any]:
    data = copy.deepcopy(data)
    people = data["staff"]
    worker = next(p for p in people if sum(s is not None for s in p["shifts"].values()) >= 2)
    day = next(d for d, s in worker["shifts"].items() if s is not None)
    shift = worker["shifts"][day]
    if how == "uncovered":
        worker["shifts"][day] = None
    elif how == "longer":
        shift["end"] = "17:30"
    elif how == "break-moved":  # over the whole shift (or onto a short one)
        shift["break"] = f"{shift['start']}-{shift['end']}"
    elif how == "extra-day":
        free = next(d for d, s in worker["shifts"].items() if s is None and d != "sun")
        worker["shifts"][free] = copy.deepcopy(shift)
    elif how == "paid":
        shift["paid_hours"] += 1
    elif how == "cost":
        data["cost"] += 1
    elif how == "closed-day":
        worker["shifts"]["sun"] = copy.deepcopy(shift)
    return data


@pytest.mark.parametrize(
    "how", ["uncovered", "longer", "break-moved", "extra-day", "paid", "cost", "closed-day"]
)
def test_the_checker_finds_a_broken_rule(
    small_week: tuple[WeekRoster, dict[str, Any]], how: str
) -> None:
    result, raw = small_week
    data = json.loads(json.dumps(week_json(result)))
    assert check_week(data, scenario(), raw) == []
    assert check_week(broken(data, how), scenario(), raw) != []


def test_the_checker_finds_broken_staff_rules(tmp_path: Path) -> None:
    rows, members = small_staff(tmp_path)
    rules, raw = small_rules()
    data = checked(staff_job(scenario(), rules, members), scenario(), raw, rows)
    worker = next(p for p in data["staff"] if p["id"] == "F3")  # C only
    day = next(d for d, s in worker["shifts"].items() if s is not None)
    worker["shifts"][day]["group"] = "D"
    assert any("not among the skills" in p for p in check_week(data, scenario(), raw, rows))
