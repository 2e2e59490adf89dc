"""What-if runs: paired comparisons under common random numbers, sweeps over a
grid of scenario values, and the same numbers on a Dask cluster."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pytest
from typer.testing import CliRunner

from sim.cli import app as hallsim
from sim.model.scenario import ScenarioError, load_scenario, parse_yaml
from sim.model.scenario_io import scenario_to_dict
from sim.model.summary import KPI_KEYS
from sim.planning.whatif import (
    Assignment,
    apply_path,
    apply_sets,
    compare,
    parse_set,
    sweep,
)
from sim.reports.sweep import sweep_csv_table, write_sweep_csv
from sim.runs.executor import ProcessExecutor, SerialExecutor
from sim.runs.experiment import run_experiment

T = TypeVar("T")
R = TypeVar("R")
COUNTY = load_scenario("scenarios/county.yaml")
SCALES = [0.6, 1.0, 1.4]


class CountingExecutor(SerialExecutor):
    """Serial, remembering the size of every batch it was given."""

    def __init__(self) -> None:
        self.batches: list[int] = []

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[tuple[int, R]]:
        self.batches.append(len(items))
        return super().map(fn, items)


def width(ci: Sequence[float | None]) -> float:
    lo, hi = ci
    assert lo is not None and hi is not None
    return hi - lo


# --- compare ---------------------------------------------------------------------------------


def test_paired_ci_of_one_more_counter_is_narrower_than_unpaired() -> None:
    plus_one = apply_sets(COUNTY, [("counters[0].count", 3)])
    executor = CountingExecutor()
    result = compare([COUNTY, plus_one], 20, 1, executor, labels=["base", "plus"])
    assert executor.batches == [40]  # both scenarios' replications in one batch
    base, plus = (s.kpis.overall for s in result.scenarios)
    diff = result.differences[0]
    assert (diff.label, diff.against) == ("plus", "base")
    wait = diff.overall["wait_mean_s"]
    assert wait.paired.n == 20
    # no replication lacks a mean wait, so the mean difference is the difference of means
    base_wait, plus_wait = base["wait_mean_s"].mean, plus["wait_mean_s"].mean
    assert base_wait is not None and plus_wait is not None
    assert wait.paired.mean == pytest.approx(plus_wait - base_wait)
    mean, upper = wait.paired.mean, wait.paired.ci95[1]
    assert mean is not None and upper is not None
    assert mean < 0 and upper < 0  # a counter more: shorter waits
    assert width(wait.paired.ci95) < 0.8 * width(wait.welch_ci95)
    # common random numbers: the same customers arrive in both
    arrivals = diff.overall["arrivals"]
    assert arrivals.paired.mean == 0 and arrivals.paired.ci95 == (0, 0)
    assert width(arrivals.welch_ci95) > 0
    assert len(diff.by_interval) == len(result.scenarios[0].kpis.by_interval) == 18
    assert diff.by_interval[0].start == "08:30"


def test_a_scenario_against_itself_differs_by_exactly_zero() -> None:
    result = compare([COUNTY, COUNTY], 5, 3, SerialExecutor())
    assert result.scenarios[0].kpis == result.scenarios[1].kpis
    diff = result.differences[0]
    tables = [diff.overall] + [row.kpis for row in diff.by_interval]
    for table in tables:
        assert set(table) == set(KPI_KEYS)
        for d in table.values():
            if d.paired.n >= 2:
                assert d.paired.mean == 0 and d.paired.ci95 == (0, 0)
            else:
                assert d.paired.ci95 == (None, None)
    assert width(diff.overall["wait_mean_s"].welch_ci95) > 0
    json.dumps(result.to_json(), allow_nan=False)  # JSON-able as it stands


# --- parse_set, apply_path -------------------------------------------------------------------


def test_parse_set_reads_yaml_scalars() -> None:
    assert parse_set("arrivals.scale=0.8,1.0, 1.2") == ("arrivals.scale", [0.8, 1.0, 1.2])
    assert parse_set("counters[1].count=3,4,5") == ("counters[1].count", [3, 4, 5])
    assert parse_set("target.wait=15m,20m") == ("target.wait", ["15m", "20m"])
    assert parse_set("closing=turn_away") == ("closing", ["turn_away"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("arrivals.scale", r"'arrivals.scale': use PATH=V1,V2"),
        ("=1,2", r"'=1,2': use PATH="),
        ("arrivals.scale=", r"arrivals.scale: '' is not a comma-separated list"),
        ("arrivals.scale=1,,2", r"arrivals.scale: '1,,2' is not"),
        ("arrivals.scale=1,1", r"arrivals.scale: '1' is given twice"),
        ("counters[x].count=1", r"counters\[x\].count: is not a scenario path"),
        ("target.wait=~", r"target.wait: '~' is not a single number or word"),
    ],
)
def test_parse_set_errors_name_the_path(text: str, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        parse_set(text)


def test_apply_path_sets_keys_and_list_items_on_a_copy() -> None:
    data = scenario_to_dict(COUNTY)
    changed = apply_path(data, "counters[1].count", 4)
    changed = apply_path(changed, "segments.gotone.share", 0.5)
    changed = apply_path(changed, "arrivals.scale", 1.2)  # a default the file left out
    assert changed["counters"][1]["count"] == 4 and data["counters"][1]["count"] == 1
    assert changed["segments"]["gotone"]["share"] == 0.5
    assert changed["arrivals"]["scale"] == 1.2 and "scale" not in data["arrivals"]
    scn = apply_sets(COUNTY, [("counters[1].count", 4), ("target.wait", "20m")])
    assert scn.counters[1].count == ((0.0, 4.0),) and scn.target.wait == 1200.0
    assert apply_sets(COUNTY, [("counters[0].count", 2)]) == COUNTY


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("counters[7].count", r"^counters\[7\]: there are only 2 counter groups$"),
        ("kiosks[0].count", r"^kiosks\[0\]: there are no kiosk groups$"),
        ("segments.vip.share", r"^segments.vip: segments has no 'vip' \(it has: gotone, easyown\)"),
        (
            "counters.count",
            r"^counters.count: counters is a list of 2 \(index it: \[0\] to \[1\]\)",
        ),
        ("counters[0].count.x", r"^counters\[0\].count.x: counters\[0\].count is 2, not a mapping"),
        ("target[0]", r"^target\[0\]: target is a mapping, not a list"),
    ],
)
def test_apply_path_errors_name_the_path(path: str, message: str) -> None:
    data = scenario_to_dict(COUNTY)
    if path.startswith("kiosks"):
        data["kiosks"] = []
    with pytest.raises(ScenarioError, match=message):
        apply_path(data, path, 3)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("arrivals.scale", -1, r"arrivals.scale: -1 .*greater than or equal to 0"),
        ("target.wait", "soon", r"target.wait: 'soon' is not a duration"),
        (
            "arrivals.scal",
            1,
            r"arrivals.scal: unknown key `scal`, did you mean `scale`\? \(with arrivals.scal=1\)",
        ),
        ("segments.gotone.share", 0.5, r"segments: shares sum to 1.25, not 1"),
    ],
)
def test_a_bad_value_gives_the_usual_path_and_value_error(
    path: str, value: object, message: str
) -> None:
    with pytest.raises(ScenarioError, match=message):
        apply_sets(COUNTY, [(path, value)])


# --- sweep -----------------------------------------------------------------------------------


def test_sweep_runs_the_whole_grid_as_one_batch() -> None:
    executor = CountingExecutor()
    sets: list[Assignment] = [("arrivals.scale", [0.6, 1.4]), ("counters[0].count", [2, 3, 4])]
    points = sweep(COUNTY, sets, 3, 1, executor)
    assert executor.batches == [6 * 3]
    assert [tuple(p.values.values()) for p in points] == [
        (0.6, 2), (0.6, 3), (0.6, 4), (1.4, 2), (1.4, 3), (1.4, 4)
    ]  # fmt: skip
    for point in points:
        assert set(point.to_json()) == {"values", "target", "intervals_below_target", "staffing",
                                        "overall", "by_interval"}  # fmt: skip
        assert set(point.overall) == set(KPI_KEYS) and len(point.by_interval) == 18
    # a point is the same run as the scenario it stands for
    alone = run_experiment(
        apply_sets(COUNTY, [("arrivals.scale", 1.4), ("counters[0].count", 3)]), 3, 1
    )
    assert points[4].overall == alone.summary().kpis.overall


def test_sweep_checks_every_point_before_running() -> None:
    executor = CountingExecutor()
    with pytest.raises(ScenarioError, match=r"arrivals.scale: -1 .*\(with arrivals.scale=-1\)"):
        sweep(COUNTY, [("arrivals.scale", [1.0, -1])], 2, 1, executor)
    with pytest.raises(ScenarioError, match=r"arrivals\.scale: is set twice"):
        sweep(COUNTY, [("arrivals.scale", [1.0]), ("arrivals.scale", [2.0])], 2, 1, executor)
    assert executor.batches == []


def test_sweep_csv_has_a_row_per_point_and_round_trips(tmp_path: Path) -> None:
    sets: list[Assignment] = [("target.wait", ["10m", "20m"]), ("arrivals.scale", [0.8, 1.2])]
    points = sweep(COUNTY, sets, 2, 1, SerialExecutor())
    write_sweep_csv(points, tmp_path / "sweep.csv")
    with (tmp_path / "sweep.csv").open(encoding="utf-8", newline="") as f:
        header, *rows = list(csv.reader(f))
    assert header[:2] == ["target.wait", "arrivals.scale"]
    assert header[2:5] == ["arrivals_mean", "arrivals_ci_low", "arrivals_ci_high"]
    assert len(header) == 2 + 3 * len(KPI_KEYS) + 5 and header == sweep_csv_table(points)[0]
    assert header[-5:] == ["intervals_below_target", "counter_hours_day", "counter_hours_week",
                           "fte", "cost_week"]  # fmt: skip
    assert len(rows) == 4
    for row, point in zip(rows, points, strict=True):
        assert [parse_yaml(cell, source="csv") for cell in row[:2]] == list(point.values.values())
        for k, key in enumerate(KPI_KEYS):
            stat = point.overall[key]
            cells = row[2 + 3 * k : 5 + 3 * k]
            expected = [stat.mean, *stat.ci95]
            assert [float(c) if c else None for c in cells] == expected
    assert [float(r[header.index("service_level_mean")]) for r in rows] == [
        p.overall["service_level"].mean for p in points
    ]
    for row, point in zip(rows, points, strict=True):
        assert int(row[-5]) == len(point.below_target())
        assert float(row[-4]) == point.cost.counter_hours_day == 25.5  # the county hall's day
        assert row[-1] == ""  # the county hall gives no cost per hour


def test_service_level_falls_and_wait_rises_with_demand() -> None:
    points = sweep(COUNTY, [("arrivals.scale", SCALES)], 10, 1, SerialExecutor())

    def means(key: str) -> list[float]:
        values = [p.overall[key].mean for p in points]
        return [v for v in values if v is not None]

    levels, waits, arrivals = means("service_level"), means("wait_mean_s"), means("arrivals")
    assert len(levels) == len(waits) == len(arrivals) == len(points)
    assert levels == sorted(levels, reverse=True) and levels[0] > levels[-1]
    assert waits == sorted(waits) and waits[0] < waits[-1]
    assert arrivals == sorted(arrivals) and arrivals[0] < arrivals[-1]


# --- the CLI ---------------------------------------------------------------------------------

cli = hallsim
runner = CliRunner()


def invoke_json(*args: str) -> dict[str, Any]:
    result = runner.invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_compare_command_json_and_table(tmp_path: Path) -> None:
    plus = tmp_path / "plus.yaml"
    plus.write_text(
        Path("scenarios/county.yaml").read_text(encoding="utf-8").replace("count: 2,", "count: 3,"),
        encoding="utf-8",
    )
    args = ["compare", "scenarios/county.yaml", str(plus), "-n", "4", "--workers", "1"]
    data = invoke_json(*args)
    assert set(data) == {"replications", "seed", "scenarios", "differences"}
    assert [s["label"] for s in data["scenarios"]] == ["county", "plus"]
    assert set(data["scenarios"][0]) >= {"overall", "by_segment", "by_service", "by_interval"}
    assert set(data["differences"][0]["overall"]["wait_mean_s"]) == {
        "mean", "ci95", "n", "welch_ci95"
    }  # fmt: skip
    table = runner.invoke(cli, args)
    assert table.exit_code == 0 and "Δ plus" in table.stdout and "*" in table.stdout


def test_sweep_command_writes_csv_and_plot(tmp_path: Path) -> None:
    data = invoke_json(
        "sweep", "scenarios/county.yaml", "--set", "arrivals.scale=0.8,1.2",
        "--set", "counters[0].count=2,3", "-n", "2", "--workers", "1", "--out", str(tmp_path),
    )  # fmt: skip
    assert data["swept"] == ["arrivals.scale", "counters[0].count"]
    assert len(data["points"]) == 4 and data["points"][1]["values"] == {
        "arrivals.scale": 0.8, "counters[0].count": 3
    }  # fmt: skip
    assert len((tmp_path / "sweep.csv").read_text(encoding="utf-8").splitlines()) == 5
    assert (tmp_path / "sweep.png").read_bytes()[:4] == b"\x89PNG"
    table = runner.invoke(cli, ["sweep", "scenarios/county.yaml", "--set", "target.wait=10m,20m"])
    assert table.exit_code == 0 and "20m" in table.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sweep", "scenarios/county.yaml", "--set", "counters[7].count=3"], "counters[7]: there"),
        (["sweep", "scenarios/county.yaml", "--set", "arrivals.scale=-1"], "arrivals.scale: -1"),
        (["sweep", "scenarios/county.yaml", "--set", "scale"], "--set 'scale': use PATH="),
        (["compare", "scenarios/county.yaml"], "at least two scenario files"),
        (["compare", "scenarios/county.yaml", "nowhere.yaml"], "nowhere.yaml: cannot read"),
    ],
)
def test_bad_input_exits_2_with_the_message(args: list[str], message: str) -> None:
    result = runner.invoke(cli, [*args, "-n", "2", "--workers", "1"])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


# --- Dask ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dask_client() -> Iterator[Any]:
    """A client of a two-process local Dask cluster (dask is a dev dependency:
    a missing install fails here rather than skipping)."""
    import distributed

    with (
        distributed.LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,  # type: ignore[no-untyped-call]
    ):
        yield client


def test_dask_gives_the_same_numbers_as_local_processes(dask_client: Any) -> None:
    from sim.runs.dask_executor import DaskExecutor

    plus_one = apply_sets(COUNTY, [("counters[0].count", 3)])
    on_dask, local = DaskExecutor(dask_client), ProcessExecutor(2)
    try:
        for seed in (1, 7):
            assert compare([COUNTY, plus_one], 6, seed, on_dask) == compare(
                [COUNTY, plus_one], 6, seed, local
            )
        assert (
            run_experiment(COUNTY, 5, 2, on_dask).summary()
            == run_experiment(COUNTY, 5, 2, local).summary()
        )
        sets = [("arrivals.scale", [0.8, 1.2])]
        assert sweep(COUNTY, sets, 3, 1, on_dask) == sweep(COUNTY, sets, 3, 1, local)
    finally:
        on_dask.close()
        local.close()
    assert dask_client.status == "running"  # the caller's client stays open


def test_dask_executor_closes_the_client_it_opened(dask_client: Any) -> None:
    from sim.runs.dask_executor import DaskError, DaskExecutor, make_executor

    executor = make_executor(None, dask_client.scheduler.address, 10)
    assert isinstance(executor, DaskExecutor)
    assert sorted(executor.map(abs, [-3, 1, -2])) == [(0, 3), (1, 1), (2, 2)]
    assert list(executor.map(abs, [])) == []
    executor.close()
    assert executor._client.status == "closed" and dask_client.status == "running"
    assert isinstance(make_executor(1, None, 10), SerialExecutor)
    with pytest.raises(DaskError, match="cannot connect to the Dask scheduler"):
        DaskExecutor("tcp://127.0.0.1:9", timeout_s=0.5)


def test_compare_command_on_dask_matches_the_local_run(dask_client: Any) -> None:
    args = ["compare", "scenarios/county.yaml", "scenarios/county.yaml", "-n", "3", "--seed", "4"]
    on_dask = invoke_json(*args, "--dask", dask_client.scheduler.address)
    assert on_dask == invoke_json(*args, "--workers", "1")


def test_without_distributed_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sim.runs.dask_executor import DaskError, DaskExecutor

    monkeypatch.setitem(__import__("sys").modules, "distributed", None)
    with pytest.raises(DaskError, match=r"install hallq\[dask\]"):
        DaskExecutor("tcp://127.0.0.1:8786")
