"""``hallsim run``: the JSON contract, exit codes, seed stability."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sim.cli.main import app
from sim.model.summary import KPI_KEYS

runner = CliRunner()
ISSUE_KEYS = {
    "arrivals", "served", "abandoned", "balked", "wait_mean_s", "wait_p90_s",
    "service_level", "abandon_rate", "queue_mean", "utilisation",
}  # fmt: skip


def run_json(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["run", *args, "--json"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def check_table(table: dict[str, Any]) -> None:
    assert set(table) >= ISSUE_KEYS
    assert set(KPI_KEYS) <= set(table)
    for stat in table.values():
        assert set(stat) >= {"mean", "ci95"}
        assert len(stat["ci95"]) == 2


def test_json_has_the_documented_shape() -> None:
    data = run_json("scenarios/county.yaml", "-n", "4", "--seed", "3", "--workers", "1")
    assert data["scenario"] == "county" and data["replications"] == 4 and data["seed"] == 3
    check_table(data["overall"])
    assert set(data["by_segment"]) == {"gotone", "easyown"}
    assert set(data["by_service"]) == {"consult", "business", "payment"}
    for table in [*data["by_segment"].values(), *data["by_service"].values()]:
        check_table(table)
    starts = [row["start"] for row in data["by_interval"]]
    assert starts[0] == "08:30" and starts[-1] == "17:00" and len(starts) == 18
    for row in data["by_interval"]:
        check_table({k: v for k, v in row.items() if k != "start"})
    overall = data["overall"]
    lo, hi = overall["wait_mean_s"]["ci95"]
    assert lo <= overall["wait_mean_s"]["mean"] <= hi
    assert overall["arrivals"]["mean"] == pytest.approx(
        sum(row["arrivals"]["mean"] for row in data["by_interval"])
    )


def test_same_seed_same_json_and_workers_do_not_matter() -> None:
    one = run_json("scenarios/county.yaml", "-n", "3", "--seed", "5", "--workers", "1")
    again = run_json("scenarios/county.yaml", "-n", "3", "--seed", "5", "--workers", "1")
    pooled = run_json("scenarios/county.yaml", "-n", "3", "--seed", "5", "--workers", "2")
    other = run_json("scenarios/county.yaml", "-n", "3", "--seed", "6", "--workers", "1")
    assert one == again == pooled
    assert one["overall"]["arrivals"] != other["overall"]["arrivals"]


def test_table_output_for_people() -> None:
    result = runner.invoke(app, ["run", "scenarios/county.yaml", "-n", "2"])
    assert result.exit_code == 0
    assert "By interval" in result.stdout and "By segment" in result.stdout
    assert "神州行" in result.stdout


def test_bad_scenario_exits_2_with_the_path_and_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = Path("scenarios/county.yaml").read_text(encoding="utf-8")
    bad.write_text(text.replace('shift: "08:30-17:30"', 'shift: "19:00-18:00"'), encoding="utf-8")
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("hallsim")), "run", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "counters[1].shift: '19:00-18:00' ends before it starts" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_help_lists_the_options() -> None:
    result = runner.invoke(app, ["run", "--help"])
    assert result.exit_code == 0
    for option in ("--replications", "--seed", "--workers", "--json", "--report"):
        assert option in result.stdout
