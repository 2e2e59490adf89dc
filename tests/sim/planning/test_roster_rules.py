"""Roster rules files: every error names its path and value, contracts whose
terms no week can meet are refused, and the bundled rules keep breaks away
from the ends of a shift."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from sim.model.scenario import ScenarioError, load_scenario
from sim.planning.roster import solve_roster
from sim.planning.roster.patterns import patterns
from sim.planning.roster.rules import RosterRules, load_rules, rules_from_dict

RULES_PATH = Path("scenarios/rules/flagship-roster.yaml")
FLAGSHIP = load_scenario("scenarios/flagship.yaml")
H = 3600.0


def rules(**changes: Any) -> RosterRules:
    base: dict[str, Any] = yaml.safe_load(RULES_PATH.read_text(encoding="utf-8"))
    return rules_from_dict(base | changes)


def contract(**changes: Any) -> dict[str, Any]:
    """The bundled rules with full_time's terms changed."""
    base: dict[str, Any] = yaml.safe_load(RULES_PATH.read_text(encoding="utf-8"))
    base["contracts"]["full_time"] |= changes
    return base


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"shift_lengths": ["4h", "5x"]}, "shift_lengths[1]: '5x' is not a duration"),
        (
            {"shift_lengths": [], "contracts": {}},
            "shift_lengths: is required (or give contracts with their shift_lengths)",
        ),
        (
            {"shift_lengths": ["4h", "255m"]},
            "shift_lengths[1]: '255m' is not a whole number of 30m",
        ),
        ({"shift_lengths": ["4h", "240m"]}, "shift_lengths: ['4h', '4h'] names a length twice"),
        ({"grid": "soon"}, "grid: 'soon' is not a duration"),
        (
            {"meal_break": {"min": "30m", "max": "1h", "window": "14:00-11:00"}},
            "meal_break.window[0]: '14:00-11:00' ends before it starts",
        ),
        (
            {"meal_break": {"min": "30m", "window": ["11:00-14:00", "19:00-17:00"]}},
            "meal_break.window[1]: '19:00-17:00' ends before it starts",
        ),
        (
            {"meal_break": {"min": "45m", "window": "11:00-14:00"}},
            "meal_break.min: '45m' is not a whole number of 30m grid steps",
        ),
        ({"on_duty": {"min": 5, "max": 2}}, "on_duty: {'min': 5, 'max': 2} max 2 is below min 5"),
        ({"on_duty": {"min": -1}}, "on_duty.min: -1 "),
        ({"available": {"B": "many"}}, "available.B: 'many' "),
        ({"shifts": ["4h"]}, "shifts: unknown key `shifts`"),
        ({"contract": {}}, "contract: unknown key `contract`, did you mean `contracts`?"),
    ],
)
def test_rules_errors_name_path_and_value(changes: dict[str, Any], expected: str) -> None:
    with pytest.raises(ScenarioError) as info:
        rules(**changes)
    assert expected in str(info.value)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"hours_per_week": {"min": 45, "max": 40}},
            "contracts.full_time.hours_per_week: {'min': 45, 'max': 40} min 45 h exceeds max 40 h",
        ),
        (
            {"hours_per_week": {"min": 39, "max": 40}},
            "contracts.full_time.hours_per_week.min: 39 h cannot be reached: 5 days (2 off) "
            "of at most 7.5 paid h is 37.5 h",
        ),
        (
            {"hours_per_week": {"min": 0, "max": 5}},
            "contracts.full_time.hours_per_week.max: 5 h is below its shortest shift (6 paid h)",
        ),
        (
            {"shift_lengths": ["8h", "7h15m"]},
            "contracts.full_time.shift_lengths[1]: '7h15m' is not a duration",
        ),
        (
            {"shift_lengths": ["8h", "435m"]},
            "contracts.full_time.shift_lengths[1]: '435m' is not a whole number of 30m grid steps",
        ),
        ({"days_off": 7}, "contracts.full_time.days_off: 7 "),
        ({"max_consecutive_days": 0}, "contracts.full_time.max_consecutive_days: 0 "),
        ({"min_rest": "soon"}, "contracts.full_time.min_rest: 'soon' is not a duration"),
        ({"cost_per_hour": -1}, "contracts.full_time.cost_per_hour: -1 "),
        ({"hours": {"min": 1}}, "contracts.full_time.hours: unknown key `hours`"),
    ],
)
def test_contract_errors_name_path_and_value(changes: dict[str, Any], expected: str) -> None:
    with pytest.raises(ScenarioError) as info:
        rules_from_dict(contract(**changes))
    assert expected in str(info.value)


def test_a_contract_without_lengths_needs_the_rules_lengths() -> None:
    data = contract()
    del data["contracts"]["full_time"]["shift_lengths"]
    assert rules_from_dict(data).lengths("full_time") == (4 * H, 8 * H)  # the rules' own
    del data["shift_lengths"]
    with pytest.raises(ScenarioError, match=r"contracts.full_time.shift_lengths: is required"):
        rules_from_dict(data)


def test_one_day_lengths_default_to_every_contracts() -> None:
    data = contract()
    del data["shift_lengths"]
    assert rules_from_dict(data).lengths() == (4 * H, 5 * H, 7 * H, 8 * H)


def test_rules_naming_unknown_groups_fail() -> None:
    with pytest.raises(ScenarioError, match=r"groups\[1\]: 'X' is not a counter group"):
        solve_roster(FLAGSHIP, rules(groups=["B", "X"]))
    with pytest.raises(ScenarioError, match=r"available\.V: 'V' is not a rostered counter group"):
        solve_roster(FLAGSHIP, rules(available={"V": 1}))


def test_missing_shift_lengths_is_required() -> None:
    with pytest.raises(ScenarioError, match="shift_lengths: is required"):
        rules_from_dict({"grid": "30m"})


def test_bundled_rules_keep_two_hours_of_work_around_every_break() -> None:
    """Issue 20: the README's min_work example is in the bundled rules, so a
    12:00–20:00 shift takes its break at supper, never at 12:30."""
    bundled = load_rules(RULES_PATH)
    mb = bundled.meal_break
    assert mb is not None and mb.min_work == 2 * H
    noon = [
        p
        for p in patterns(24, [8 * H], bundled, 9 * H, 21 * H)
        if p.start == 6  # 12:00
    ]
    assert noon, "a 12:00–20:00 shift is allowed"
    for p in noon:
        assert p.meal is not None
        start_h = 9 + p.meal[0] / 2
        assert start_h >= 14 and start_h + p.meal[1] / 2 <= 18  # 2 h from either end
        assert start_h >= 17  # so at supper: no lunch window fits
