"""What every ``hallsim`` command shares for output: stderr for messages and
progress, stdout for tables and JSON, and one way to fail on bad input."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from sim.model.scenario import Scenario, ScenarioError, load_scenario

err = Console(stderr=True)


def stdout_console() -> Console:
    """Console for tables: the terminal's width, or 120 columns when the output
    goes to a file or pipe (rich would otherwise squeeze tables into 80)."""
    return Console(width=None if sys.stdout.isatty() else 120)


def fail(message: str) -> typer.Exit:
    """Print ``error: message`` on stderr; the caller raises the returned exit
    (status 2: bad input, no traceback)."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, markup=True, soft_wrap=True)
    return typer.Exit(code=2)


def load_or_fail(path: Path) -> Scenario:
    """The scenario at ``path``, or exit 2 with each problem prefixed by the file."""
    try:
        return load_scenario(path)
    except ScenarioError as exc:
        lines = str(exc).splitlines()
        named = [ln if ln.startswith(str(path)) else f"{path}: {ln}" for ln in lines]
        raise fail("\n".join(named)) from None


def progress_bar() -> Progress:
    """A progress bar on stderr, shown only on a terminal and gone when done."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )
