"""The command line a report shows: it names the arguments and every option
that changes the numbers (seed and replications always), and leaves out those
that only choose the output or the workers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from typer.testing import CliRunner

from sim.cli import app as hallsim
from sim.cli.options import AsJson, ReportDir, Seed, Workers, XlsxFile, command_line, replications

toy = typer.Typer()
seen: list[str] = []


@toy.callback()
def _root() -> None:
    """A group, so that commands have a name as in hallsim."""


@toy.command()
def plan(
    ctx: typer.Context,
    scenario: Path,
    sets: Annotated[list[str], typer.Option("--set")],
    replications: Annotated[int, replications(1)] = 20,
    seed: Seed = 1,
    method: str = "sim",
    fast: Annotated[bool, typer.Option("--fast")] = False,
    workers: Workers = None,
    as_json: AsJson = False,
    report: ReportDir = None,
    xlsx: XlsxFile = None,
) -> None:
    seen.append(command_line(ctx))


def test_defaults_left_out_but_seed_and_replications_kept() -> None:
    seen.clear()
    result = CliRunner().invoke(
        toy,
        ["plan", "my hall.yaml", "--set", "a=1,2", "--set", "b[0].c=3", "--workers", "2",
         "--json", "--report", "out", "--xlsx", "x.xlsx", "--fast"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert seen == [
        "hallsim plan 'my hall.yaml' --set a=1,2 --set 'b[0].c=3' --replications 20 --seed 1 --fast"
    ]
    seen.clear()
    result = CliRunner().invoke(toy, ["plan", "s.yaml", "--set", "a=1", "-n", "3",
                                      "--method", "erlang", "--seed", "9"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert seen == ["hallsim plan s.yaml --set a=1 --replications 3 --seed 9 --method erlang"]


def test_scenario_import_has_help() -> None:
    result = CliRunner().invoke(hallsim, ["scenario", "import", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for option in ("--into", "--counter", "--sheet", "--columns", "--out"):
        assert option in result.output
    assert "[default: arrivals.rate_per_hour]" in result.output


def test_every_planning_command_offers_report_and_xlsx() -> None:
    for command in ("run", "staff", "roster", "compare", "sweep"):
        result = CliRunner().invoke(hallsim, [command, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0
        assert "--report" in result.output and "--xlsx" in result.output, command
    staff = CliRunner().invoke(hallsim, ["staff", "--help"], env={"COLUMNS": "200"})
    assert "--step" in staff.output and "[default: every statistics interval]" in staff.output
