"""Options and arguments several ``hallsim`` commands share, declared once.

Help texts escape square brackets (``\\[``): typer renders help with rich
markup, which would otherwise swallow ``[default: …]`` as a style tag."""

from __future__ import annotations

import os
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

ScenarioArg = Annotated[
    Path, typer.Argument(metavar="SCENARIO", help="Scenario YAML file.", show_default=False)
]
Seed = Annotated[
    int, typer.Option(min=0, help="Seed of every random stream: the same customers for every run.")
]
Workers = Annotated[
    int | None,
    typer.Option(
        min=1,
        help="Local worker processes \\[default: number of CPUs]; 1 runs in-process.",
        show_default=False,
    ),
]
DaskAddress = Annotated[
    str | None,
    typer.Option(
        "--dask",
        metavar="ADDRESS",
        help="Run on the Dask scheduler at ADDRESS (needs `pip install 'hallq\\[dask]'`).",
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print the results as JSON on stdout.")]


def replications(minimum: int, what: str = "Replications (days)") -> object:
    """The ``--replications/-n`` option with its lower bound."""
    return typer.Option("--replications", "-n", min=minimum, help=f"{what}.")


Replications = Annotated[int, replications(2, "Replications (days) per scenario")]
ReportDir = Annotated[
    Path | None,
    typer.Option(
        metavar="DIR",
        help="Write DIR/<command>.html: one self-contained page with the tables and plots.",
    ),
]
XlsxFile = Annotated[
    Path | None,
    typer.Option(
        "--xlsx", metavar="FILE", help="Write the tables as sheets of an Excel workbook FILE."
    ),
]

# Options that change how results are shown or where they are computed, never the numbers.
_PRESENTATION = frozenset({"report", "xlsx", "as_json", "workers", "dask", "png"})
# Shown even at their default, so the line still reproduces if a default changes.
_ALWAYS = frozenset({"seed", "replications"})


def _words(param: Any, value: Any) -> list[str]:
    values = list(value) if isinstance(value, list | tuple) else [value]
    if param.param_type_name == "argument":
        return [str(v) for v in values]
    flag = max(param.opts, key=len)
    if getattr(param, "is_flag", False):
        return [flag] if value else []
    return [word for v in values for word in (flag, str(v))]


def command_line(ctx: typer.Context) -> str:
    """The ``hallsim ...`` command that reproduces the numbers of the command
    running in ``ctx`` (declare a ``ctx: typer.Context`` parameter to get it):
    its arguments and every option that differs from its default (seed and
    replications always), without the options that only choose the output or
    the workers (``--report``, ``--xlsx``, ``--json``, ``--png``, ``--workers``,
    ``--dask``)."""
    words = ["hallsim", *ctx.command_path.split()[1:]]
    for param in ctx.command.params:
        name = param.name or ""
        value = ctx.params.get(name)
        if name in _PRESENTATION or value is None or value == []:
            continue
        optional = param.param_type_name == "option" and name not in _ALWAYS
        if optional and value == param.default:
            continue
        words += _words(param, value)
    return shlex.join(words)


def _unwritable(path: Path, *, folder: bool) -> str | None:
    """Why ``path`` (a file, or a ``folder`` to create files in) cannot be
    written, or None: it is the wrong kind of thing, or its nearest existing
    folder is a file or is not writable."""
    if path.exists():
        if folder and not path.is_dir():
            return f"{path} is a file, not a folder"
        if not folder and path.is_dir():
            return f"{path} is a folder, not a file"
        where = path if folder else path.parent
        return None if os.access(where, os.W_OK | os.X_OK) else f"{where}: permission denied"
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        return f"{parent} is a file, not a folder"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"{parent}: permission denied"
    return None


def check_outputs(
    files: Sequence[tuple[str, Path | None]] = (), folders: Sequence[tuple[str, Path | None]] = ()
) -> None:
    """Exit 2 naming the option and the path when an output (``(option,
    path)``; None: not asked for) cannot be written: checked before anything is
    computed, so that a bad path costs nothing and nothing is written."""
    from sim.reports.terminal import fail

    for option, path, folder in [
        *((o, p, False) for o, p in files),
        *((o, p, True) for o, p in folders),
    ]:
        if path is None:
            continue
        why = _unwritable(path, folder=folder)
        if why is not None:
            raise fail(f"{option} {path}: {why}")
