"""Issue 20's "done means" on the flagship day at 15-minute intervals: no
counter group turns within the minimum block, the plan meets the target in
every interval on fresh replications, and its counter-hours at -n 10 and
-n 40 differ by at most one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sim.model.days import typical_day
from sim.model.scenario import Scenario, load_scenario
from sim.planning.evaluate import Evaluator
from sim.planning.judge import MeetRule
from sim.planning.simplan import FRESH, SearchSettings, sim_plan
from sim.planning.smooth import PlanRules, keeps_rules
from sim.planning.staffing import Plan
from sim.runs.executor import ProcessExecutor

RULE = MeetRule(0.8, 0.9)
RULES = PlanRules(3600.0)


@pytest.fixture(scope="module")
def flagship() -> Scenario:
    return typical_day(load_scenario("scenarios/flagship.yaml"))


@pytest.fixture(scope="module")
def executor() -> Iterator[ProcessExecutor]:
    ex = ProcessExecutor(2)
    yield ex
    ex.close()


@pytest.fixture(scope="module")
def plans(flagship: Scenario, executor: Any) -> dict[int, Plan]:
    return {
        n: sim_plan(flagship, RULE, RULES, SearchSettings(n, 120, 1), executor) for n in (10, 40)
    }


@pytest.mark.slow
@pytest.mark.statistical
def test_no_group_turns_within_the_minimum_block(
    flagship: Scenario, plans: dict[int, Plan]
) -> None:
    for plan in plans.values():
        (row,) = plan.counts
        assert keeps_rules(row, RULES.block_intervals(flagship.interval)) == [], row
        assert len(set(row)) > 3  # it follows the day's demand


@pytest.mark.slow
@pytest.mark.statistical
def test_the_plan_meets_the_target_on_days_it_never_saw(
    flagship: Scenario, plans: dict[int, Plan], executor: Any
) -> None:
    """Another seed's replications: no interval is clearly below the
    probability asked for (its Wilson 95% interval wholly below 0.9). An
    estimate a little under 0.9 on 120 days is within their noise."""
    for plan in plans.values():
        other = Evaluator(flagship, plan.groups, RULE, 2, (120,), executor, FRESH)
        (odds,) = other.run([plan.counts])
        assert not odds.clear_misses().any(), [round(o.probability, 2) for o in odds.odds()]


@pytest.mark.slow
@pytest.mark.statistical
def test_counter_hours_hardly_depend_on_the_replications(
    flagship: Scenario, plans: dict[int, Plan]
) -> None:
    hours = {n: plan.staff_hours(flagship) for n, plan in plans.items()}
    assert abs(hours[10] - hours[40]) <= 1.0, hours
