"""``hallsim compare`` answers "what if 30% of business customers queue from
home": the flagship with and without remote tickets on the same customers
(common random numbers), paired differences, and the remote KPIs in the JSON,
the tables and the report only where a scenario has remote tickets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sim.cli import app as hallsim
from sim.model.remote import REMOTE_KEYS
from sim.model.scenario import Scenario, load_scenario, scenario_from_dict
from sim.model.scenario_io import scenario_to_dict
from sim.planning.whatif import CompareResult, compare
from sim.runs.executor import SerialExecutor

FLAGSHIP = Path("scenarios/flagship.yaml")
REMOTE = Path("scenarios/flagship-remote.yaml")
runner = CliRunner()


def half(ci: tuple[float | None, float | None]) -> float:
    lo, hi = ci
    assert lo is not None and hi is not None
    return (hi - lo) / 2


def with_rule(scn: Scenario, rule: str) -> Scenario:
    data = scenario_to_dict(scn)
    data["arrivals"]["remote"]["early_call"] = rule
    data["arrivals"]["remote"].pop("hold", None)
    return scenario_from_dict(data)


@pytest.fixture(scope="module")
def result() -> CompareResult:
    return compare(
        [load_scenario(FLAGSHIP), load_scenario(REMOTE)],
        10,
        1,
        SerialExecutor(),
        labels=["flagship", "from-home"],
    )


def test_the_bundled_what_if_differs_from_the_flagship_only_in_remote_tickets() -> None:
    base, remote = (
        scenario_to_dict(load_scenario(FLAGSHIP)),
        scenario_to_dict(load_scenario(REMOTE)),
    )
    assert remote["arrivals"].pop("remote")["share"]["business"] == 0.3
    assert (base.pop("hall"), remote.pop("hall")) == ("flagship", "flagship-remote")
    assert remote == base


def test_the_same_customers_arrive_with_and_without_remote_tickets(result: CompareResult) -> None:
    base, remote = result.scenarios
    diff = result.differences[0]
    arrivals = diff.overall["arrivals"]
    assert arrivals.paired.mean == 0 and arrivals.paired.ci95 == (0, 0)
    assert half(arrivals.welch_ci95) > 0  # the days differ from one another, not the pairs
    for part in ("by_segment", "by_service"):
        for name, stats in getattr(base.kpis, part).items():
            assert stats["arrivals"] == getattr(remote.kpis, part)[name]["arrivals"], name
    assert base.kpis.kiosk == remote.kpis.kiosk  # kiosk users never take a ticket remotely
    for row in diff.by_interval:
        assert row.kpis["arrivals"].paired.mean == 0, row.start


def test_queueing_from_home_moves_the_wait_out_of_the_hall(result: CompareResult) -> None:
    """Waits counted from the ticket grow (holders called while on the way lose
    their turn or wait for it again); the queue in the hall shrinks. Pairing
    makes both visible at 10 replications: their paired CIs exclude 0 and are
    far narrower than the unpaired ones."""
    diff = result.differences[0]
    wait, queue = diff.overall["wait_mean_s"], diff.overall["queue_mean"]
    assert wait.paired.excludes_zero() and wait.paired.mean is not None and wait.paired.mean > 0
    assert queue.paired.excludes_zero() and queue.paired.mean is not None
    assert queue.paired.mean < 0
    for d in (wait, queue):
        assert half(d.paired.ci95) < 0.5 * half(d.welch_ci95)
    remote = result.scenarios[1].kpis.remote
    assert remote is not None and list(remote) == list(REMOTE_KEYS)
    assert result.scenarios[0].kpis.remote is None
    assert diff.remote is None  # nothing to pair with in the flagship
    wait_hall, wait_ticket = remote["wait_hall_mean_s"].mean, remote["wait_ticket_mean_s"].mean
    assert wait_hall is not None and wait_ticket is not None and wait_hall < wait_ticket


def test_two_early_call_rules_pair_their_remote_kpis_on_the_same_holders() -> None:
    hold = load_scenario(REMOTE)
    requeue = with_rule(hold, "requeue")
    result = compare([hold, requeue], 6, 2, SerialExecutor(), labels=["hold", "requeue"])
    remote = result.differences[0].remote
    assert remote is not None and list(remote) == list(REMOTE_KEYS)
    for key in ("tickets", "share"):  # who takes a ticket remotely is common to both
        assert remote[key].paired.mean == 0 and remote[key].paired.ci95 == (0, 0), key
    # requeue gives no ticket up for an early call (its no-shows are holders who gave up)
    no_shows = remote["no_shows"].paired
    assert no_shows.excludes_zero() and no_shows.mean is not None and no_shows.mean < 0


def invoke(*args: str) -> Any:
    out = runner.invoke(hallsim, list(args))
    assert out.exit_code == 0, out.output
    return out


def test_the_compare_command_shows_remote_kpis(tmp_path: Path) -> None:
    args = ["compare", str(FLAGSHIP), str(REMOTE), "-n", "3", "--workers", "1"]
    data = json.loads(invoke(*args, "--json").stdout)
    first, second = data["scenarios"]
    assert "remote" not in first and list(second["remote"]) == list(REMOTE_KEYS)
    assert "remote" not in data["differences"][0]
    table = invoke(*args).stdout
    assert "remote: Mean wait in the hall (min)" in table
    invoke(*args, "--report", str(tmp_path))
    page = (tmp_path / "compare.html").read_text(encoding="utf-8")
    assert "<h2>Remote tickets</h2>" in page and "Mean time saved at home" in page


def test_run_shows_remote_kpis_only_with_remote_tickets(tmp_path: Path) -> None:
    with_remote = json.loads(
        invoke("run", str(REMOTE), "-n", "2", "--workers", "1", "--json").stdout
    )
    assert list(with_remote["remote"]) == list(REMOTE_KEYS)
    assert set(with_remote["remote"]["tickets"]) == {"mean", "ci95", "n"}
    without = invoke("run", str(FLAGSHIP), "-n", "2", "--workers", "1", "--json").stdout
    assert "remote" not in json.loads(without)
    assert "Remote tickets" in invoke("run", str(REMOTE), "-n", "2", "--workers", "1").stdout
    assert "Remote tickets" not in invoke("run", str(FLAGSHIP), "-n", "2", "--workers", "1").stdout
    invoke("run", str(REMOTE), "-n", "2", "--workers", "1", "--report", str(tmp_path))
    page = (tmp_path / "run.html").read_text(encoding="utf-8")
    assert "<h2>Remote tickets</h2>" in page and "Mean wait from the ticket" in page
