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


def _groups(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every group under ``command`` (itself first), with the words that reach it."""
    if getattr(command, "commands", None) is None:
        return
    yield path, command
    for name, sub in command.commands.items():
        yield from _groups(sub, (*path, name))


LISTS = [
    pytest.param(app, path, group, id=f"{name} {' '.join(path)}".strip())
    for name, app in (("hallmon", hallmon), ("hallsim", hallsim))
    for path, group in _groups(typer.main.get_command(app))
]


def test_every_group_is_found() -> None:
    found = {case.id for case in LISTS}
    assert found >= {"hallmon", "hallmon model", "hallsim", "hallsim scenario"}


@pytest.mark.parametrize(("app", "path", "group"), LISTS)
def test_each_command_s_summary_flows_as_one_line_in_its_group_s_list(
    app: typer.Typer, path: tuple[str, ...], group: Any
) -> None:
    """rich kept a docstring's line breaks in the list (``hallsim roster``'s
    summary broke after "meal breaks for each" at any width)."""
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "400", "TERM": "dumb"})
    assert result.exit_code == 0, result.output
    rows = {
        words[0]: " ".join(words[1:])
        for line in result.stdout.splitlines()
        if (words := _BOX.sub(" ", line).split())
    }
    for name, command in group.commands.items():
        summary = " ".join((command.help or "").split("\n\n")[0].split())
        assert rows.get(name) == summary.replace("\\[", "["), name
