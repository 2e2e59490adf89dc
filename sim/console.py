"""What every ``hallsim`` command shares for output: stderr for messages and
progress, stdout for tables and JSON, and one way to fail on bad input."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

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
