"""One-day rosters: coverage, the rules, optimality against brute force,
shrinkage, infeasibility messages, the written scenario and scenario round
trips. Weeks with people: test_roster_week.py; rules files:
test_roster_rules.py; the command: test_roster_cli.py."""

from __future__ import annotations

import copy
import itertools
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.calendar import counter_instances
from sim.model.scenario import (
    Scenario,
    ScenarioError,
    load_scenario,
    parse_yaml,
    scenario_from_dict,
)
from sim.model.scenario_io import scenario_to_dict, scenario_yaml
from sim.model.week import Workforce
from sim.planning.roster import (
    Roster,
    RosterError,
    requirement,
    rostered_groups,
    rostered_scenario,
    solve_roster,
)
from sim.planning.roster.rules import RosterRules, load_rules, rules_from_dict

SCENARIOS = sorted(Path("scenarios").glob("*.yaml"))
# the one-day tests below pin numbers worked out without shrinkage
FLAGSHIP = load_scenario("scenarios/flagship.yaml").model_copy(
    update={"workforce": Workforce(), "week": None, "holidays": {}}
)
RULES_PATH = Path("scenarios/rules/flagship-roster.yaml")
RULES = load_rules(RULES_PATH)
H = 3600.0

SMALL: dict[str, Any] = {
    "hall": "small",
    "open": "09:00",
    "close": "13:00",
    "target": {"wait": "15m"},
    "services": {"a": {"service_time": {"dist": "exponential", "mean": "2m"}}},
    "segments": {"s": {"share": 1.0}},
    "arrivals": {"mix": {"a": 1.0}, "rate_per_hour": 10},
    "counters": [{"id": "C", "count": {"09:00": 1, "10:00": 2, "12:00": 1}, "services": ["a"]}],
}


def small(**changes: Any) -> Scenario:
    data = copy.deepcopy(SMALL) | changes
    return scenario_from_dict(data)


def rules(**changes: Any) -> RosterRules:
    base: dict[str, Any] = yaml.safe_load(RULES_PATH.read_text(encoding="utf-8"))
    return rules_from_dict(base | changes)


@pytest.fixture(scope="module")
def flagship_roster() -> Roster:
    return solve_roster(FLAGSHIP, RULES)


# --- the flagship roster --------------------------------------------------------------


def test_flagship_requirement_follows_the_counts() -> None:
    req = requirement(FLAGSHIP, RULES)
    assert req.groups == ("B", "Q")
    starts = [s for s, _ in req.slots]
    assert len(req.slots) == 24 and starts[0] == 9 * H and req.slots[-1][1] == 21 * H
    b, q = req.counts
    assert b[starts.index(12 * H)] == 3 and b[starts.index(13.5 * H)] == 5
    assert b[starts.index(17 * H)] == 7 and q[starts.index(17 * H)] == 2
    assert q[starts.index(17.5 * H)] == 3
    # B: 3 h x 5 + 1.5 h x 3 + 3.5 h x 5 + 4 h x 7; Q: 3 x 2 + 1.5 x 1 + 4 x 2 + 3.5 x 3
    assert req.lower_bound_hours == pytest.approx(65 + 26)


def test_requirement_is_the_most_staffed_within_a_slot() -> None:
    scn = small(
        counters=[{"id": "C", "count": {"09:00": 1, "09:15": 3, "09:45": 0}, "services": ["a"]}]
    )
    req = requirement(scn, rules(groups=["C"], available={}))
    assert req.counts[0][:3] == (3, 3, 0)


def test_flagship_roster_covers_every_slot(flagship_roster: Roster) -> None:
    assert flagship_roster.status == "optimal"
    req = flagship_roster.requirement
    for group, need, have in zip(req.groups, req.counts, flagship_roster.coverage(), strict=True):
        short = [req.slots[k] for k, (n, h) in enumerate(zip(need, have, strict=True)) if h < n]
        assert not short, f"group {group} short in {short}"


def test_flagship_roster_keeps_the_rules(flagship_roster: Roster) -> None:
    mb = RULES.meal_break
    assert mb is not None
    for s in flagship_roster.shifts:
        assert s.people >= 1
        assert FLAGSHIP.open <= s.start_s < s.end_s <= FLAGSHIP.close
        assert (s.start_s - FLAGSHIP.open) % RULES.grid == 0
        assert s.end_s - s.start_s in RULES.shift_lengths
        if s.end_s - s.start_s > mb.over:
            assert s.meal_break is not None
            b0, b1 = s.meal_break
            assert mb.min <= b1 - b0 <= mb.max and (b0 - FLAGSHIP.open) % RULES.grid == 0
            assert any(w0 <= b0 and b1 <= w1 for w0, w1 in mb.window)
            assert s.start_s < b0 and b1 < s.end_s
        else:
            assert s.meal_break is None
    for group, limit in RULES.available.items():
        assert sum(s.people for s in flagship_roster.shifts if s.group == group) <= limit
    for start, _ in flagship_roster.requirement.slots:
        at_work = sum(s.people for s in flagship_roster.shifts if s.works_at(start))
        on_shift = sum(s.people for s in flagship_roster.shifts if s.start_s <= start < s.end_s)
        assert at_work >= RULES.on_duty.min
        assert RULES.on_duty.max is None or on_shift <= RULES.on_duty.max


def test_staff_hours_are_paid_hours_above_the_lower_bound(flagship_roster: Roster) -> None:
    paid = 0.0
    for s in flagship_roster.shifts:
        unpaid = 0.0 if s.meal_break is None else s.meal_break[1] - s.meal_break[0]
        assert s.paid_hours == pytest.approx((s.end_s - s.start_s - unpaid) / H)
        paid += s.people * s.paid_hours
    assert flagship_roster.staff_hours == pytest.approx(paid)
    assert flagship_roster.staff_hours >= flagship_roster.lower_bound_hours - 1e-9
    assert flagship_roster.lower_bound_hours == pytest.approx(91.0)


def test_default_groups_are_those_whose_count_changes() -> None:
    plain = RosterRules(shift_lengths=(4 * H,))
    assert [FLAGSHIP.counters[g].id for g in rostered_groups(FLAGSHIP, plain)] == ["B", "Q"]
    county = load_scenario("scenarios/county.yaml")
    assert rostered_groups(county, plain) == (0, 1)  # none changes: every group


# --- optimality by brute force -----------------------------------------------------------

Pattern = tuple[float, float, tuple[float, float] | None]


def brute_patterns(scn: Scenario, r: RosterRules) -> list[Pattern]:
    """Every allowed shift, enumerated straight from the rules' wording."""
    grid_points = [scn.open + i * r.grid for i in range(int((scn.close - scn.open) / r.grid) + 1)]
    out: list[Pattern] = []
    for start, length in itertools.product(grid_points, r.shift_lengths):
        end = start + length
        if end > scn.close:
            continue
        mb = r.meal_break
        if mb is None or length <= mb.over:
            out.append((start, end, None))
            continue
        n_lengths = int((mb.max - mb.min) / r.grid) + 1
        work = r.grid if mb.min_work is None else mb.min_work  # before and after the break
        for b0, b_len in itertools.product(
            grid_points, [mb.min + i * r.grid for i in range(n_lengths)]
        ):
            if (
                start + work <= b0
                and b0 + b_len + work <= end
                and any(w0 <= b0 and b0 + b_len <= w1 for w0, w1 in mb.window)
            ):
                out.append((start, end, (b0, b0 + b_len)))
    return out


def brute_force_hours(scn: Scenario, r: RosterRules) -> float | None:
    """Least paid hours over every multiset of at most ``available`` patterns that
    meets the requirement and the on-duty bounds (None if none does)."""
    req = requirement(scn, r)
    (group,) = req.groups
    patterns = brute_patterns(scn, r)
    unpaid = r.meal_break is not None and not r.meal_break.paid
    starts = np.array([t for t, _ in req.slots])
    present = np.array([(p[0] <= starts) & (starts < p[1]) for p in patterns], dtype=int)
    on_break = np.array(
        [(p[2][0] <= starts) & (starts < p[2][1]) if p[2] else 0 * starts for p in patterns],
        dtype=int,
    )
    working = present - on_break
    cost = np.array(
        [(p[1] - p[0] - (p[2][1] - p[2][0] if p[2] and unpaid else 0.0)) / H for p in patterns]
    )
    need = np.maximum(np.array(req.counts[0]), r.on_duty.min)
    cap = np.inf if r.on_duty.max is None else r.on_duty.max
    best: float | None = None
    for n in range(1, r.available[group] + 1):
        teams = np.array(list(itertools.combinations_with_replacement(range(len(patterns)), n)))
        ok = (working[teams].sum(axis=1) >= need).all(axis=1)
        ok &= (present[teams].sum(axis=1) <= cap).all(axis=1)
        if ok.any():
            hours = float(cost[teams[ok]].sum(axis=1).min())
            best = hours if best is None else min(best, hours)
    return best


SMALL_RULES: dict[str, Any] = {
    "grid": "30m",
    "shift_lengths": ["1h", "3h"],
    "meal_break": {"over": "2h", "min": "30m", "max": "1h", "window": "10:00-12:00"},
    "groups": ["C"],
}
LATE = SMALL_RULES["meal_break"] | {"window": "10:30-12:30"}
EARLY = SMALL_RULES["meal_break"] | {"window": "09:30-11:30"}


@pytest.mark.parametrize(
    ("changes", "hours"),
    [
        ({"available": {"C": 3}}, 6.0),  # the lower bound
        ({"available": {"C": 4}, "meal_break": SMALL_RULES["meal_break"] | {"paid": True}}, 7.0),
        ({"available": {"C": 4}, "shift_lengths": ["150m", "3h"]}, 6.5),
        ({"available": {"C": 5}, "on_duty": {"min": 2, "max": 3}}, 8.0),
        ({"available": {"C": 5}, "shift_lengths": ["90m", "3h"], "on_duty": {"max": 2}}, 6.0),
        ({"available": {"C": 2}}, None),
        ({"available": {"C": 4}, "on_duty": {"max": 2}}, None),  # people on break count
        # a break at least an hour from either end of the shift costs half an hour more
        ({"available": {"C": 4}, "shift_lengths": ["150m", "3h"], "meal_break": LATE}, 6.0),
        (
            {
                "available": {"C": 4},
                "shift_lengths": ["150m", "3h"],
                "meal_break": LATE | {"min_work": "1h"},
            },
            6.5,
        ),
        ({"available": {"C": 4}, "shift_lengths": ["3h"], "meal_break": EARLY}, 7.0),
        (
            {
                "available": {"C": 4},
                "shift_lengths": ["3h"],
                "meal_break": EARLY | {"min_work": "1h"},
            },
            7.5,
        ),
    ],
    ids=[
        "lower-bound",
        "paid-break",
        "long-shifts",
        "on-duty",
        "on-duty-max",
        "infeasible",
        "max-counts-breaks",
        "late-window",
        "late-window-min-work",
        "early-window",
        "early-window-min-work",
    ],
)
def test_optimal_against_brute_force(changes: dict[str, Any], hours: float | None) -> None:
    """The pinned hours are what brute force finds; HiGHS must find the same."""
    scn, r = small(), rules_from_dict(SMALL_RULES | changes)
    best = brute_force_hours(scn, r)
    assert best == (None if hours is None else pytest.approx(hours))
    if best is None:
        with pytest.raises(RosterError, match=r"slots? 1\d:\d\d–1\d:\d\d: group C needs 2"):
            solve_roster(scn, r)
        return
    result = solve_roster(scn, r)
    assert result.status == "optimal"
    assert result.staff_hours == pytest.approx(best)
    assert result.staff_hours >= result.lower_bound_hours == pytest.approx(6.0)


def test_min_work_keeps_the_break_away_from_the_ends_of_a_shift() -> None:
    """A shift starting at 12:00 may not take its break at 12:30 once the rules
    ask for two hours of work before and after it."""
    scn = small(
        open="09:00", close="20:00",
        counters=[{"id": "C", "count": {"09:00": 1, "12:00": 2, "16:00": 1}, "services": ["a"]}],
    )  # fmt: skip
    meal: dict[str, str] = {"over": "6h", "min": "30m", "max": "30m", "window": "12:00-15:00"}
    base: dict[str, Any] = {
        "grid": "30m",
        "shift_lengths": ["8h"],
        "groups": ["C"],
        "available": {"C": 4},
        "meal_break": meal,
    }
    patterns_loose = brute_patterns(scn, rules_from_dict(base))
    assert (12 * H, 20 * H, (12.5 * H, 13 * H)) in patterns_loose  # allowed without the rule
    strict_rules = rules_from_dict(base | {"meal_break": meal | {"min_work": "2h"}})
    patterns = brute_patterns(scn, strict_rules)
    assert (12 * H, 20 * H, (12.5 * H, 13 * H)) not in patterns
    assert (12 * H, 20 * H, (14 * H, 14.5 * H)) in patterns
    strict = solve_roster(scn, strict_rules)
    for s in strict.shifts:
        assert s.meal_break is not None
        assert s.meal_break[0] - s.start_s >= 2 * H and s.end_s - s.meal_break[1] >= 2 * H
    assert brute_force_hours(scn, strict_rules) == pytest.approx(strict.staff_hours)


def test_min_work_must_fit_the_grid() -> None:
    bad = SMALL_RULES["meal_break"] | {"min_work": "45m"}
    with pytest.raises(ScenarioError, match=r"meal_break.min_work: '45m' is not a whole number"):
        rules_from_dict(SMALL_RULES | {"meal_break": bad})


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=8, max_size=8))
def test_any_profile_is_covered_or_refused(profile: list[int]) -> None:
    counts = {f"{9 + k // 2:02d}:{30 * (k % 2):02d}": n for k, n in enumerate(profile)}
    scn = small(counters=[{"id": "C", "count": counts, "services": ["a"]}])
    r = rules_from_dict(SMALL_RULES | {"shift_lengths": ["1h", "2h", "3h"], "available": {"C": 6}})
    try:
        result = solve_roster(scn, r)
    except RosterError as exc:
        assert re.search(r"slots? \d\d:\d\d–\d\d:\d\d", str(exc))
        return
    for need, have in zip(result.requirement.counts[0], result.coverage()[0], strict=True):
        assert have >= need
    assert result.staff_hours >= result.lower_bound_hours - 1e-9
    assert sum(s.people for s in result.shifts) <= 6


# --- rules that cannot be met ------------------------------------------------------------


def test_too_few_people_names_the_slot() -> None:
    with pytest.raises(RosterError) as info:
        solve_roster(FLAGSHIP, rules(available={"B": 6, "Q": 5}))
    assert str(info.value) == (
        "no roster meets these rules:\n"
        "  slots 17:00–21:00: group B needs 7 counters but only 6 people are available"
    )


def test_no_shift_fits_before_closing() -> None:
    scn = small(close="13:15")
    with pytest.raises(
        RosterError,
        match="slot 13:00–13:15: group C needs 1 counter but no "
        "allowed shift fits before closing at 13:15",
    ):
        solve_roster(scn, rules_from_dict(SMALL_RULES))


def test_on_duty_max_below_the_requirement_names_the_slot() -> None:
    with pytest.raises(
        RosterError,
        match=r"slots 17:30–21:00: the rostered groups need 10 "
        "counters together but on_duty.max is 8",
    ):
        solve_roster(FLAGSHIP, rules(on_duty={"min": 2, "max": 8}))


def test_infeasible_combination_names_short_slots() -> None:
    """Each slot alone is coverable; 9 people for B cannot do mornings and evenings."""
    with pytest.raises(RosterError) as info:
        solve_roster(FLAGSHIP, rules(available={"B": 9, "Q": 5}))
    message = str(info.value)
    assert "cannot all be covered" in message
    shorts = re.findall(r"slots? (\d\d:\d\d)–\d\d:\d\d: group (B|Q) needs (\d+) counters", message)
    assert shorts and all(group == "B" for _, group, _ in shorts)


def test_stationary_scenario_cannot_be_rostered() -> None:
    with pytest.raises(RosterError, match="horizon"):
        solve_roster(load_scenario("scenarios/mmc-validation.yaml"), RULES)


# --- the rostered scenario ---------------------------------------------------------------


def test_written_scenario_loads_and_covers(flagship_roster: Roster, tmp_path: Path) -> None:
    out = tmp_path / "rostered.yaml"
    out.write_text(scenario_yaml(rostered_scenario(FLAGSHIP, flagship_roster)), encoding="utf-8")
    scn = load_scenario(out)
    ids = [g.id for g in scn.counters]
    assert "B" not in ids and "Q" not in ids and "B-1700-4h" in ids
    assert scn.counters[ids.index("V")] == FLAGSHIP.counters[0]
    assert scn.counters[ids.index("A")] == FLAGSHIP.counters[3]
    assert len(ids) == 2 + len(flagship_roster.shifts)
    assert all(g.resize is None for g in scn.counters)
    instances = counter_instances(scn)
    req = flagship_roster.requirement
    for group, need in zip(req.groups, req.counts, strict=True):
        mine = [c for c in instances if not c.kiosk and ids[c.group].startswith(f"{group}-")]
        assert sum(c.windows != () for c in mine) == sum(
            s.people for s in flagship_roster.shifts if s.group == group
        )
        for (start, end), n in zip(req.slots, need, strict=True):
            staffed = sum(any(a <= start and end <= b for a, b in c.windows) for c in mine)
            assert staffed >= n, f"{group} {start / H:g}h: {staffed} < {n}"


# --- scenario_to_dict --------------------------------------------------------------------


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_scenario_to_dict_round_trips(path: Path) -> None:
    scn = load_scenario(path)
    assert scenario_from_dict(scenario_to_dict(scn)) == scn
    assert scenario_from_dict(parse_yaml(scenario_yaml(scn), source="again")) == scn


def test_round_trip_keeps_odd_values_exact() -> None:
    data = copy.deepcopy(SMALL) | {
        "open": "08:59:30",
        "close": "24:00",
        "interval": 1234.5678,
        "no_show_delay": "0.25s",
        "services": {"a": {"service_time": {"dist": "empirical", "samples": ["1.5m", 0.001, 7]}}},
        "arrivals": {"mix": {"a": 1.0}, "rate_per_hour": {"00:00": 3.5, "10:00:15": 0}},
        "counters": [{"id": "C", "count": 2, "services": ["a"], "shift": "09:00:05-17:00",
                      "breaks": ["12:00-12:00:30"], "resize": {"min": 0}}],
    }  # fmt: skip
    scn = scenario_from_dict(data)
    again = scenario_to_dict(scn)
    assert again["open"] == "08:59:30" and again["counters"][0]["count"] == 2
    assert scenario_from_dict(again) == scn
    assert scenario_from_dict(parse_yaml(scenario_yaml(scn), source="again")) == scn


@settings(max_examples=50, deadline=None)
@given(st.floats(min_value=1e-4, max_value=1e7, allow_nan=False), st.integers(0, 86399))
def test_any_duration_and_clock_round_trip(mean_s: float, at_s: int) -> None:
    data = copy.deepcopy(SMALL) | {
        "services": {"a": {"service_time": {"dist": "fixed", "mean": mean_s}}},
        "arrivals": {"mix": {"a": 1.0}, "rate_per_hour": {"00:00": 1, format_hms(at_s): 2}}
        if at_s
        else {"mix": {"a": 1.0}, "rate_per_hour": 2},
    }
    scn = scenario_from_dict(data)
    assert scenario_from_dict(parse_yaml(scenario_yaml(scn), source="again")) == scn


def format_hms(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


# --- shrinkage -----------------------------------------------------------------------------


@pytest.mark.parametrize("shrinkage", [0.0, 0.1, 0.15, 0.3, 0.5])
def test_people_cover_the_counters_after_shrinkage(shrinkage: float) -> None:
    """People rostered per slot are the fewest whose expected presence
    (1 - shrinkage of them) staffs every counter."""
    scn = FLAGSHIP.model_copy(update={"workforce": Workforce(shrinkage=shrinkage)})
    req = requirement(scn, RULES)
    for counts, people in zip(req.counts, req.people, strict=True):
        for n, p in zip(counts, people, strict=True):
            assert p * (1 - shrinkage) >= n - 1e-9
            assert p == 0 or (p - 1) * (1 - shrinkage) < n - 1e-9


def test_a_day_with_shrinkage_rosters_more_people() -> None:
    gross = FLAGSHIP.model_copy(update={"workforce": Workforce(shrinkage=0.15)})
    net_roster = solve_roster(FLAGSHIP, RULES)
    roster = solve_roster(gross, RULES)
    req = roster.requirement
    assert req.people[0][req.slots.index((17 * H, 17.5 * H))] == 9  # 7 counters / 0.85
    for need, have in zip(req.people, roster.coverage(), strict=True):
        assert all(h >= n for h, n in zip(have, need, strict=True))
    assert roster.staff_hours > net_roster.staff_hours
    assert roster.lower_bound_hours == pytest.approx(119.0)  # B 81, Q 38 people-hours
