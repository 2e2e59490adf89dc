"""Plans a hall can staff: with ``--step``, counts change only on that grid and
the plan still meets the target in every interval."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from sim.cli import app as hallsim
from sim.model.calendar import intervals
from sim.model.scenario import Scenario, ScenarioError, scenario_from_dict
from sim.planning.evaluate import Evaluator
from sim.planning.grid import grid_blocks
from sim.planning.simplan import FRESH, SearchSettings, sim_plan
from sim.planning.smooth import PlanRules
from sim.planning.staffing import Plan, erlang_need, erlang_plan
from sim.runs.executor import ProcessExecutor
from tests.sim.planning.test_staffing import RULE, SINGLE_GROUP

H = 3600.0
REPS, SEED = 12, 3


@pytest.fixture(scope="module")
def quarter_hours() -> Scenario:
    """The one-group hall of test_staffing on 15-minute intervals, 09:00-14:00."""
    data: dict[str, Any] = copy.deepcopy(SINGLE_GROUP) | {"interval": "15m"}
    return scenario_from_dict(data)


@pytest.fixture(scope="module")
def executor() -> Iterator[ProcessExecutor]:
    ex = ProcessExecutor(2)
    yield ex
    ex.close()


def constant_on(counts: tuple[int, ...], blocks: list[list[int]]) -> bool:
    return all(len({counts[i] for i in block}) == 1 for block in blocks)


def test_blocks_follow_the_clock_from_midnight(quarter_hours: Scenario) -> None:
    assert grid_blocks(quarter_hours) == [[i] for i in range(20)]
    assert grid_blocks(quarter_hours, 900.0) == [[i] for i in range(20)]
    assert grid_blocks(quarter_hours, H) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11],
                                            [12, 13, 14, 15], [16, 17, 18, 19]]  # fmt: skip
    # a hall opening at 08:30 has a half-hour first block on an hourly grid
    early = quarter_hours.model_copy(update={"open": 8.5 * H})
    blocks = grid_blocks(early, H)
    assert blocks[0] == [0, 1] and blocks[1] == [2, 3, 4, 5]
    starts = [s for s, _ in intervals(early)]
    assert all(starts[b[0]] % H == 0 for b in blocks[1:])


@pytest.mark.parametrize(
    ("step_s", "message"),
    [
        (600.0, "is shorter than the scenario's 15m interval"),
        (1200.0, "the interval 09:15–09:30 crosses 09:20"),
    ],
)
def test_a_step_off_the_interval_grid_is_refused(
    quarter_hours: Scenario, step_s: float, message: str
) -> None:
    with pytest.raises(ScenarioError, match=message):
        grid_blocks(quarter_hours, step_s)


def test_erlang_plan_on_a_grid_changes_only_where_a_block_starts(
    quarter_hours: Scenario,
) -> None:
    (need,) = erlang_need(quarter_hours)
    (row,) = erlang_plan(quarter_hours, PlanRules(step_s=H)).counts
    assert constant_on(row, grid_blocks(quarter_hours, H))
    assert all(n >= k for n, k in zip(row, need, strict=True))


@pytest.fixture(scope="module")
def hourly(quarter_hours: Scenario, executor: ProcessExecutor) -> Plan:
    settings = SearchSettings(REPS, 160, SEED)
    return sim_plan(quarter_hours, RULE, PlanRules(step_s=H), settings, executor)


@pytest.mark.slow
def test_hourly_plan_changes_on_the_hour_and_meets_the_target(
    quarter_hours: Scenario, hourly: Plan, executor: ProcessExecutor
) -> None:
    (row,) = hourly.counts
    assert constant_on(row, grid_blocks(quarter_hours, H))
    assert len(set(row)) > 1  # demand varies: so does the plan
    fresh = Evaluator(quarter_hours, (0,), RULE, SEED, (160,), executor, first_replication=FRESH)
    (odds,) = fresh.run([hourly.counts])
    assert not odds.clear_misses().any()


@pytest.mark.slow
def test_hourly_plan_needs_no_fewer_counter_hours_than_the_free_one(
    quarter_hours: Scenario, hourly: Plan, executor: ProcessExecutor
) -> None:
    settings = SearchSettings(REPS, 160, SEED)
    free = sim_plan(quarter_hours, RULE, PlanRules(), settings, executor)
    assert not constant_on(free.counts[0], grid_blocks(quarter_hours, H))  # it does move
    assert hourly.staff_hours(quarter_hours) >= free.staff_hours(quarter_hours) - 0.5


def test_cli_step(tmp_path: Any) -> None:
    runner = CliRunner()
    args = ["staff", "scenarios/county.yaml", "-n", "3", "--workers", "1", "--json"]
    args += ["--method", "erlang"]
    data = json.loads(runner.invoke(hallsim, [*args, "--step", "1h"]).stdout)
    assert data["rules"]["step_s"] == 3600.0
    by_hour: dict[str, set[int]] = {}
    for row in data["days"][0]["intervals"]:
        by_hour.setdefault(row["start"][:2], set()).add(row["counts"]["erlang"]["C"])
    assert all(len(counts) == 1 for counts in by_hour.values())
    bad = runner.invoke(hallsim, [*args, "--step", "45m"])
    assert bad.exit_code == 2
    assert "--step 45m: the interval 09:30–10:00 crosses 09:45" in bad.output
