"""The plan a hall is measured against (:mod:`monitor.core.plan`): counters per
group at a time of a date, from the scenario's schedule for that date (its
weekday's plan, a holiday's, shifts and breaks) or from a roster file as
``hallsim roster --json`` writes it; every problem of a roster named."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from monitor.core.config import ConfigError, load_settings
from monitor.core.plan import HallPlan, RosterError, read_roster
from sim.model.scenario import Scenario, load_scenario
from tests.monitor.conftest import ENV, ROOT, write_config

MONDAY, SATURDAY = date(2026, 3, 2), date(2026, 3, 7)
NEW_YEAR = date(2027, 1, 1)  # a holiday of the flagship: 10:00-16:00


@pytest.fixture(scope="module")
def flagship() -> Scenario:
    return load_scenario(ROOT / "scenarios/flagship.yaml")


def _h(clock: str) -> float:
    hours, minutes = clock.split(":")
    return int(hours) * 3600 + int(minutes) * 60


@pytest.mark.parametrize(
    ("day", "clock", "expected"),
    [
        (MONDAY, "09:30", {"V": 1, "B": 5, "Q": 2, "A": 2}),
        (MONDAY, "12:10", {"V": 1, "B": 3, "Q": 1, "A": 0}),  # lunch, the A desk's break
        (MONDAY, "17:40", {"V": 1, "B": 7, "Q": 3, "A": 2}),
        (MONDAY, "18:30", {"V": 1, "B": 7, "Q": 3, "A": 0}),  # A's shift ended at 18:00
        (MONDAY, "08:59", {"V": 0, "B": 0, "Q": 0, "A": 0}),  # before opening
        (SATURDAY, "09:30", {"V": 0, "B": 0, "Q": 0, "A": 0}),  # Saturdays open at 10:00
        (SATURDAY, "10:30", {"V": 1, "B": 5, "Q": 2, "A": 2}),
        (NEW_YEAR, "16:30", {"V": 0, "B": 0, "Q": 0, "A": 0}),  # the holiday closes at 16:00
    ],
)
def test_the_scenario_plans_each_date_by_its_own_schedule(
    flagship: Scenario, day: date, clock: str, expected: dict[str, int]
) -> None:
    plan = HallPlan(flagship).at(day, _h(clock))
    assert plan.source == "scenario" and plan.by_group == expected
    assert plan.total == sum(expected.values())


def _hallsim_roster(tmp_path: Path, *args: str) -> tuple[Path, dict[str, Any]]:
    rules = ROOT / "scenarios/rules/flagship-roster.yaml"
    hallsim = str(Path(sys.executable).with_name("hallsim"))
    ran = subprocess.run(
        [hallsim, "roster", str(ROOT / "scenarios/flagship.yaml"), "--rules", str(rules),
         "--json", *args],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    path = tmp_path / f"roster{'-'.join(args)}.json"
    path.write_text(ran.stdout, encoding="utf-8")
    written: dict[str, Any] = json.loads(ran.stdout)
    return path, written


@pytest.mark.slow
def test_a_roster_as_hallsim_roster_writes_it_is_the_plan(
    flagship: Scenario, tmp_path: Path
) -> None:
    """The plan is the counters the roster covers, not its people: with the
    flagship's 15% shrinkage more people are rostered than counters planned
    (a week roster's people are per person, a day's per shift)."""
    week_path, week = _hallsim_roster(tmp_path)
    day_path, day = _hallsim_roster(tmp_path, "--day", "mon")
    assert week["shrinkage"] == day["shrinkage"] == 0.15
    for path, slots, counters, people in (
        (week_path, week["coverage"]["mon"]["slots"], week["coverage"]["mon"]["counters"],
         week["coverage"]["mon"]["people"]),
        (day_path, day["slots"], day["requirement"], day["people"]),
    ):  # fmt: skip
        plan, scheduled = HallPlan(flagship, read_roster(path, flagship)), HallPlan(flagship)
        assert sum(map(sum, people.values())) > sum(map(sum, counters.values()))
        for k, slot in enumerate(slots):
            for clock in (_h(slot), _h(slot) + 1799):
                at = plan.at(MONDAY, clock)
                assert at.source == "roster"
                # the groups the roster leaves out (the VIP desk, the appointments
                # desk) as the scenario schedules them
                expected = scheduled.at(MONDAY, clock).by_group | {
                    g: n[k] for g, n in counters.items()
                }
                assert at.by_group == expected, (path.name, slot)
        assert plan.at(MONDAY, _h("08:59")).total == 0
        assert plan.at(MONDAY, _h("21:00")).total == 0  # closed
        assert set(counters) < set(plan.groups)  # some groups are left out


def test_a_week_roster_plans_each_day_by_the_shifts_of_its_date_then_weekday(
    flagship: Scenario, tmp_path: Path
) -> None:
    path = tmp_path / "week.yaml"
    path.write_text(
        """
shifts:
  - {group: B, start: "09:00", end: "21:00", people: 2}          # every day
days:
  sat:
    shifts: [{group: B, start: "10:00", end: "18:00", people: 4, break: "12:00-13:00"}]
  2026-03-07:
    shifts: [{group: Q, start: "10:00", end: "18:00", people: 1}]
""",
        encoding="utf-8",
    )
    plan = HallPlan(flagship, read_roster(path, flagship))
    assert plan.at(MONDAY, _h("10:00")).by_group["B"] == 2
    assert plan.at(date(2026, 3, 14), _h("11:00")).by_group["B"] == 4  # another Saturday
    assert plan.at(date(2026, 3, 14), _h("12:30")).by_group["B"] == 0  # its break
    dated = plan.at(SATURDAY, _h("11:00")).by_group
    assert dated["Q"] == 1 and dated["B"] == 0  # the date's own shifts


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"shifts": [{"group": "Z", "start": "09:00", "end": "17:00"}]}',
         r"shifts\[0\]\.group: 'Z' is not a counter group \(V, B, Q, A\)"),
        ('{"shifts": [{"group": "B", "start": "9 o\'clock", "end": "17:00"}]}',
         r"shifts\[0\]\.start: \"9 o'clock\" is not a time of day"),
        ('{"shifts": [{"group": "B", "start": "17:00", "end": "09:00"}]}',
         r"shifts\[0\]: ends at '09:00', not after '17:00'"),
        ('{"shifts": [{"group": "B", "start": "09:00", "end": "17:00", "people": -1}]}',
         r"shifts\[0\]\.people: -1 is not a number of people"),
        ('{"days": {"someday": {"shifts": [{"group": "B", "start": "09:00", "end": "17:00"}]}}}',
         r"days\.someday\.shifts\[0\]\.day: 'someday' is not a weekday"),
        ('{"people": []}', r"a roster has shifts"),
        ("{not json", r"roster\.json: "),
    ],
)  # fmt: skip
def test_a_bad_roster_is_named(flagship: Scenario, tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "roster.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RosterError, match=problem):
        read_roster(path, flagship)


def test_the_config_names_a_roster_and_refuses_a_bad_one(tmp_path: Path) -> None:
    (tmp_path / "roster.yaml").write_text(
        'shifts: [{group: B, start: "09:00", end: "21:00", people: 9}]\n', encoding="utf-8"
    )
    config = write_config(tmp_path)
    text = config.read_text(encoding="utf-8").replace(
        "token_env: T_FLAGSHIP}", "token_env: T_FLAGSHIP, roster: roster.yaml}"
    )
    config.write_text(text, encoding="utf-8")
    settings = load_settings(config, environ=ENV)
    flagship = next(h for h in settings.halls if h.id == "flagship")
    assert flagship.roster is not None
    assert HallPlan(flagship.scenario, flagship.roster).at(MONDAY, _h("10:00")).by_group["B"] == 9
    (tmp_path / "roster.yaml").write_text("shifts: [{group: X}]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"halls\[1\]\.roster: .*roster\.yaml: shifts\[0\]"):
        load_settings(config, environ=ENV)
