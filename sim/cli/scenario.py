"""``hallsim scenario import``: a scenario's arrival profile or a counter
group's count schedule filled from a spreadsheet. Thin: read with
:mod:`sim.planning.profile_import`, validate like any scenario, write."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml

from sim.model.scenario import ScenarioError, read_yaml_file
from sim.reports.terminal import err, fail, user_errors

app = typer.Typer(
    help="Scenario files: fill a schedule from a spreadsheet.",
    no_args_is_help=True,
)


def _leading_comments(path: Path) -> str:
    """The comment block that heads the file (kept when it is rewritten)."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line + "\n")
    return "".join(lines)


@app.command("import")
@user_errors("hallsim")
def import_(
    table: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="A .csv or .xlsx file with a time of day (09:30) and a value per row.",
            show_default=False,
        ),
    ],
    into: Annotated[
        Path,
        typer.Option("--into", metavar="SCENARIO", help="The scenario YAML to fill."),
    ],
    counter: Annotated[
        str | None,
        typer.Option(
            "--counter",
            metavar="GROUP",
            help="Fill this counter group's count \\[default: arrivals.rate_per_hour].",
            show_default=False,
        ),
    ] = None,
    sheet: Annotated[
        str | None,
        typer.Option(metavar="NAME", help="Sheet of an .xlsx file \\[default: the first]."),
    ] = None,
    columns: Annotated[
        str, typer.Option(metavar="TIME,VALUE", help="Column letters of the time and the value.")
    ] = "A,B",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", metavar="FILE", help="Write the filled scenario here \\[default: --into]."
        ),
    ] = None,
) -> None:
    """Fill SCENARIO's arrivals.rate_per_hour (or a counter group's count) from FILE.

    The schedule holds each value from its time until the next row's; a first row
    that is not a time is a header. The filled scenario is validated like any
    scenario before it is written. Comments inside the YAML are not kept, except
    the block at its top."""
    from sim.planning.profile_import import fill_schedule, read_profile

    names = [c.strip() for c in columns.split(",")]
    if len(names) != 2:
        raise fail(f"--columns: {columns!r} is not two column letters such as A,B")
    data = read_yaml_file(into)
    if not isinstance(data, dict):
        raise ScenarioError(f"{into}: the top level must be a mapping")
    try:
        profile = read_profile(table, whole=counter is not None, sheet=sheet, columns=names)
    except ScenarioError as exc:
        raise fail(str(exc) if str(exc).startswith(str(table)) else f"--columns {exc}") from None
    filled, _ = fill_schedule(data, profile, counter=counter, source=str(into))
    target = out or into
    what = "arrivals.rate_per_hour" if counter is None else f"counter group {counter}'s count"
    note = f"# {what} imported from {table.name} by `hallsim scenario import`\n"
    head = _leading_comments(into)
    text = yaml.safe_dump(
        filled, allow_unicode=True, sort_keys=False, default_flow_style=None, width=100
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(head + note + text, encoding="utf-8")
    err.print(
        f"{target}: {what} from {table} ({len(profile.steps)} steps, {profile.as_yaml()})",
        highlight=False,
        soft_wrap=True,
    )
