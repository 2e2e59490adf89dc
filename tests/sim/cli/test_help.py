"""What a newcomer reads first: ``--help`` of every command, and the error of
a command that cannot write its output."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app

runner = CliRunner()
COMMANDS = ("run", "staff", "roster", "compare", "sweep", "events", "fit")


@pytest.mark.parametrize("command", COMMANDS)
def test_help_shows_usage_in_capitals_and_keeps_bracketed_text(command: str) -> None:
    result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    usage = next(line for line in result.output.splitlines() if "Usage:" in line)
    assert "{" not in usage and "<" not in usage, usage  # not {scenario} or <list[Path]>
    assert "<bool>" not in result.output and "<path>" not in result.output
    if "--workers" in result.output:
        assert "[default: number of CPUs]" in result.output  # not eaten as rich markup
    if "--dask" in result.output:
        assert "hallq[dask]" in result.output


def test_an_unwritable_report_is_one_line_and_exit_2(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    args = ["run", "scenarios/county.yaml", "-n", "2", "--workers", "1"]
    result = runner.invoke(app, [*args, "--report", str(blocker / "out")])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("hallsim: ") and "Traceback" not in result.output
    assert str(blocker) in result.output
