"""Every option's help text of both CLIs reaches ``--help`` whole: rich reads
``[...]`` as markup and drops it silently (``--config``'s "[default:
monitor.example.yaml]" of ``hallmon demo`` was shown as "to replay .")."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from monitor.cli.app import app as hallmon
from sim.cli import app as hallsim

runner = CliRunner()
_BOX = re.compile(r"[│╭╮╰╯─]")


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every leaf command under ``command``, with the words that reach it."""
    subcommands = getattr(command, "commands", None)
    if subcommands is None:
        yield path, command
        return
    for name, sub in subcommands.items():
        yield from _commands(sub, (*path, name))


def _flat(text: str) -> str:
    """Text without the panels' frames, its lines joined as one."""
    return " ".join(_BOX.sub(" ", text).split())


CASES = [
    pytest.param(app, path, command, id=f"{name} {' '.join(path)}")
    for name, app in (("hallmon", hallmon), ("hallsim", hallsim))
    for path, command in _commands(typer.main.get_command(app))
    if any(getattr(p, "help", None) for p in command.params)  # hash-token has none
]


def test_every_command_is_found() -> None:
    found = {case.id for case in CASES}
    assert {"hallmon demo", "hallmon prometheus-config", "hallsim run", "hallsim fit"} <= found


@pytest.mark.parametrize(("app", "path", "command"), CASES)
def test_help_shows_each_option_s_text_whole(
    app: typer.Typer, path: tuple[str, ...], command: Any
) -> None:
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "400", "TERM": "dumb"})
    assert result.exit_code == 0, result.output
    shown = _flat(result.stdout)
    for param in command.params:
        if getattr(param, "help", None):
            assert _flat(param.help.replace("\\[", "[")) in shown, param.name
