"""Staffing: the Erlang plan is what textbook workforce management would say,
made a plan a hall can staff; the simulated plan keeps the rules, meets the
target in every interval on fresh replications, cannot lose a block of
counters, and hardly depends on the replications it started with."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from sim.model.calendar import intervals
from sim.model.scenario import Scenario, ScenarioError, load_scenario, scenario_from_dict
from sim.model.scenario_io import write_scenario
from sim.planning import erlang
from sim.planning.evaluate import Evaluator
from sim.planning.grid import apply_plan
from sim.planning.judge import MeetRule
from sim.planning.simplan import FRESH, SearchSettings, sim_plan
from sim.planning.smooth import PlanRules, keeps_rules
from sim.planning.staffing import Plan, erlang_need, erlang_plan, offered_load
from sim.runs.executor import ProcessExecutor
from sim.runs.experiment import run_experiment

SINGLE_GROUP: dict[str, Any] = {
    "hall": "one-group",
    "open": "09:00",
    "close": "14:00",
    "interval": "30m",
    "target": {"wait": "10m", "service_level": 0.8},
    "services": {
        "consult": {"service_time": {"dist": "lognormal", "mean": "4m", "cv": 0.8}},
        "business": {"service_time": {"dist": "gamma", "mean": "9m", "cv": 0.7}},
    },
    "segments": {
        "vip": {"share": 0.1, "priority": 0, "patience": {"dist": "exponential", "mean": "30m"}},
        "rest": {"share": 0.9, "priority": 1, "patience": {"dist": "exponential", "mean": "20m"}},
    },
    "arrivals": {
        "mix": {"consult": 0.4, "business": 0.6},
        "rate_per_hour": {"09:00": 20, "10:00": 45, "11:30": 60, "12:30": 30},
    },
    "counters": [{"id": "C", "count": 3, "services": ["business", "consult"]}],
}
REPS, SEED = 12, 3
RULE = MeetRule(0.8, 0.9)
RULES = PlanRules(3600.0)


@pytest.fixture(scope="module")
def single() -> Scenario:
    return scenario_from_dict(copy.deepcopy(SINGLE_GROUP))


@pytest.fixture(scope="module")
def executor() -> Any:
    ex = ProcessExecutor(2)
    yield ex
    ex.close()


@pytest.fixture(scope="module")
def planned(single: Scenario, executor: Any) -> Plan:
    return sim_plan(single, RULE, RULES, SearchSettings(REPS, 160, SEED), executor)


@pytest.mark.slow
def test_the_plan_keeps_the_rules_and_meets_the_target_on_fresh_days(
    single: Scenario, planned: Plan, executor: Any
) -> None:
    (row,) = planned.counts
    assert keeps_rules(row, RULES.block_intervals(single.interval)) == []
    fresh = Evaluator(single, (0,), RULE, SEED + 1, (160,), executor, first_replication=FRESH)
    (odds,) = fresh.run([planned.counts])
    assert not odds.clear_misses().any(), [o.probability for o in odds.odds()]


@pytest.mark.slow
def test_written_plan_meets_the_target_when_run(
    single: Scenario, planned: Plan, executor: Any, tmp_path: Path
) -> None:
    """``--out`` then ``hallsim run`` on other days: the mean service level of
    every interval reaches the target (a day meets it with probability 0.9)."""
    out = tmp_path / "staffed.yaml"
    write_scenario(apply_plan(single, planned.groups, planned.counts), out)
    summary = run_experiment(load_scenario(out), 40, SEED + 7, executor).summary()
    lows = [row.kpis["service_level"].ci95[0] for row in summary.kpis.by_interval]
    assert all(low is not None and low >= single.target.service_level for low in lows), lows
    before = run_experiment(single, REPS, SEED, executor).summary()
    assert any(
        (low := row.kpis["service_level"].ci95[0]) is not None and low < single.target.service_level
        for row in before.kpis.by_interval
    )  # the fixed staffing of 3 did not


@pytest.mark.slow
def test_no_block_can_lose_a_counter(single: Scenario, planned: Plan, executor: Any) -> None:
    """Every plan with one counter fewer over a run of intervals that still keeps
    the rules misses the target somewhere on the search's days."""
    (row,) = planned.counts
    block = RULES.block_intervals(single.interval)
    trials = []
    for start in range(len(row)):
        for end in range(start + 1, len(row) + 1):
            fewer = [n - (start <= t < end) for t, n in enumerate(row)]
            if min(fewer) >= 1 and not keeps_rules(fewer, block):
                trials.append((tuple(fewer),))
    assert trials
    ev = Evaluator(single, (0,), RULE, SEED, (160,), executor)
    for trial, odds in zip(trials, ev.run(trials), strict=True):
        assert not odds.meets().all(), trial


@pytest.mark.slow
def test_the_plan_hardly_depends_on_the_replications_it_starts_with(
    single: Scenario, planned: Plan, executor: Any
) -> None:
    hours = {
        n: sim_plan(single, RULE, RULES, SearchSettings(n, 160, SEED), executor).staff_hours(single)
        for n in (10, 40)
    }
    hours[REPS] = planned.staff_hours(single)
    assert max(hours.values()) - min(hours.values()) <= 1.0, hours


def test_erlang_need_is_erlang_c_on_the_lagged_load() -> None:
    data = copy.deepcopy(SINGLE_GROUP)
    for seg in data["segments"].values():
        del seg["patience"]  # no patience: Erlang C
    scn = scenario_from_dict(data)
    (need,) = erlang_need(scn)
    rates, loads, mean_s = offered_load(scn)
    assert mean_s == pytest.approx(0.4 * 240 + 0.6 * 540)
    # one mean service time (7.0 min) after a rate change, the load has caught up
    assert loads[3] == pytest.approx(45 / 3600 * mean_s)
    assert loads[2] < loads[3]  # 10:00-10:30 still partly carries the 09:00 rate
    assert rates[2] == pytest.approx(45)
    for load, count in zip(loads, need, strict=True):
        expected = erlang.servers_for_service_level(load / mean_s, mean_s, 600.0, 0.8)
        assert count == max(1, expected)
    (plan,) = erlang_plan(scn, RULES).counts
    assert all(c >= n for c, n in zip(plan, need, strict=True))
    assert keeps_rules(plan, RULES.block_intervals(scn.interval)) == []


def test_erlang_under_staffs_the_flagship_hall() -> None:
    """The flagship day has priorities, impatience, skills and a VIP counter:
    the Erlang plan misses the target in many intervals when simulated."""
    from sim.model.days import typical_day

    scn = typical_day(load_scenario("scenarios/flagship.yaml"))
    plan = erlang_plan(scn)
    (odds,) = Evaluator(scn, plan.groups, RULE, 1, (10,)).run([plan.counts])
    assert (~odds.meets()).sum() >= 10


def test_apply_plan_sets_counts_per_interval(single: Scenario) -> None:
    n = len(intervals(single))
    counts = (tuple([2] * (n // 2) + [4] * (n - n // 2)),)
    scn = apply_plan(single, (0,), counts)
    assert scn.counters[0].count == ((9 * 3600.0, 2.0), (9 * 3600.0 + 1800 * (n // 2), 4.0))


def test_several_groups_need_a_resize_mark() -> None:
    data = copy.deepcopy(SINGLE_GROUP)
    data["counters"].append({"id": "D", "count": 1, "services": ["consult"]})
    with pytest.raises(ScenarioError, match="resize"):
        erlang_plan(scenario_from_dict(data))
