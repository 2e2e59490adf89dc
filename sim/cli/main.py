"""``hallsim``: the planner's command line. Thin: parse, call into ``sim``,
present with :mod:`sim.reports`. Every command is registered through
:func:`user_errors`, so a bad scenario, rules file or log, or a file that
cannot be read or written, ends as ``hallsim: <what>: <why>`` and exit 2.

Each command lives in its own module, imported only when the app is built
with it: the entry point builds the app with just the command the command
line names (typer reads the annotations of every command it registers, and
the modules import what their commands need), ``app`` has them all."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sim.cli import startup
from sim.reports.terminal import flowing_summaries
from sim.reports.terminal import user_errors as _user_errors

if TYPE_CHECKING:
    import typer

user_errors = _user_errors("hallsim")

# name -> (module, attribute), in the order ``hallsim --help`` lists them.
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("sim.cli.run", "run"),
    "staff": ("sim.cli.staff", "staff"),
    "roster": ("sim.cli.roster", "roster"),
    "compare": ("sim.cli.whatif", "compare"),
    "sweep": ("sim.cli.whatif", "sweep"),
    "events": ("sim.cli.events", "events"),
    "fit": ("sim.cli.fit", "fit"),
}
# name -> (module, attribute) of each command group.
GROUPS: dict[str, tuple[str, str]] = {"scenario": ("sim.cli.scenario", "app")}


def _main() -> None:
    """Queue and waiting-time simulation for service halls (营业厅)."""


def _attribute(where: tuple[str, str]) -> Any:
    module, name = where
    return getattr(importlib.import_module(module), name)


def build_app(only: str | None = None) -> typer.Typer:
    """The ``hallsim`` app with every command, or with just the command or
    group ``only`` (whose help, options and errors are the same either way)."""
    import typer  # here: the entry point sets the process up before it loads

    built = typer.Typer(
        help="Simulate a service hall's queues: waits, service level and staffing.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    built.callback()(_main)
    for name, where in COMMANDS.items():
        if only in (None, name):
            command: Callable[..., None] = _attribute(where)
            built.command(name)(user_errors(command))
    for name, where in GROUPS.items():
        if only in (None, name):
            built.add_typer(_attribute(where), name=name)
    return flowing_summaries(built)


def __getattr__(name: str) -> typer.Typer:
    # ``app`` (every command, for tests and documentation) is built on first use.
    if name == "app":
        full = build_app()
        globals()["app"] = full
        return full
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Console-script entry point."""
    startup.begin()  # before the command imports numpy and pydantic
    with startup.start_up():
        # The root takes no option but --help, so the first word, when it names
        # a command, is the command click would run.
        first = sys.argv[1] if len(sys.argv) > 1 else None
        app = build_app(first if first in COMMANDS or first in GROUPS else None)
    app()
