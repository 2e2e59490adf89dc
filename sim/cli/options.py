"""Options and arguments several ``hallsim`` commands share, declared once.

Help texts escape square brackets (``\\[``): typer renders help with rich
markup, which would otherwise swallow ``[default: …]`` as a style tag."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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
    typer.Option(metavar="DIR", help="Write an HTML report with its plots into DIR."),
]
