"""Plans a hall can staff: with ``--step``, counts change only on that grid, the
plan still meets the target in every interval, and it is minimal on its grid
(no block can lose a counter)."""

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
from sim.planning.grid import grid_blocks
from sim.planning.staffing import Plan, erlang_plan, evaluate_plans, meets, sim_plan
from sim.runs.executor import ProcessExecutor
from tests.sim.planning.test_staffing import SINGLE_GROUP

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


def test_erlang_plan_on_a_grid_takes_the_busiest_interval_of_each_block(
    quarter_hours: Scenario,
) -> None:
    fine, (row,) = erlang_plan(quarter_hours), erlang_plan(quarter_hours, H).counts
    blocks = grid_blocks(quarter_hours, H)
    assert constant_on(row, blocks)
    for block in blocks:
        assert {row[i] for i in block} == {max(fine.counts[0][i] for i in block)}


@pytest.fixture(scope="module")
def hourly(quarter_hours: Scenario, executor: ProcessExecutor) -> Plan:
    return sim_plan(quarter_hours, REPS, SEED, executor, step_s=H)


@pytest.mark.slow
def test_hourly_plan_changes_on_the_hour_and_meets_the_target(
    quarter_hours: Scenario, hourly: Plan, executor: ProcessExecutor
) -> None:
    (row,) = hourly.counts
    assert constant_on(row, grid_blocks(quarter_hours, H))
    assert len(set(row)) > 1  # demand varies: so does the plan
    (ev,) = evaluate_plans(quarter_hours, [hourly], REPS, SEED, executor)
    assert all(meets(ev, quarter_hours.target.service_level))


@pytest.mark.slow
def test_hourly_plan_is_minimal_on_its_grid(
    quarter_hours: Scenario, hourly: Plan, executor: ProcessExecutor
) -> None:
    """One counter fewer over any hour (above the minimum) misses the target somewhere."""
    (row,) = hourly.counts
    trials = []
    for block in grid_blocks(quarter_hours, H):
        if row[block[0]] > 1:
            fewer = list(row)
            for i in block:
                fewer[i] -= 1
            trials.append(Plan("trial", hourly.groups, (tuple(fewer),)))
    assert trials
    results = evaluate_plans(quarter_hours, trials, REPS, SEED, executor)
    for trial, ev in zip(trials, results, strict=True):
        assert not all(meets(ev, quarter_hours.target.service_level)), trial.counts


@pytest.mark.slow
def test_hourly_plan_needs_no_fewer_counter_hours_than_the_free_one(
    quarter_hours: Scenario, hourly: Plan, executor: ProcessExecutor
) -> None:
    free = sim_plan(quarter_hours, REPS, SEED, executor)
    assert not constant_on(free.counts[0], grid_blocks(quarter_hours, H))  # it does jump
    assert hourly.staff_hours(quarter_hours) >= free.staff_hours(quarter_hours)


def test_cli_step(tmp_path: Any) -> None:
    runner = CliRunner()
    args = ["staff", "scenarios/county.yaml", "-n", "3", "--workers", "1", "--json"]
    data = json.loads(runner.invoke(hallsim, [*args, "--step", "1h"]).stdout)
    assert data["step_s"] == 3600.0
    by_hour: dict[str, set[int]] = {}
    for row in data["intervals"]:
        for method in ("erlang", "sim"):
            by_hour.setdefault(method + row["start"][:2], set()).add(row["counts"][method]["C"])
    assert all(len(counts) == 1 for counts in by_hour.values())
    assert all(p["intervals_missing"] == 0 for p in data["plans"] if p["method"] == "sim")
    bad = runner.invoke(hallsim, [*args, "--step", "45m"])
    assert bad.exit_code == 2
    assert "--step 45m: the interval 09:30–10:00 crosses 09:45" in bad.output
