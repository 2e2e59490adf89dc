"""``hallsim roster``: people on shifts for a scenario's counters. Thin: load (the rules
via :mod:`sim.planning.roster_rules`), call :mod:`sim.planning.roster`, present with
:mod:`sim.reports.roster`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sim.cli.options import AsJson, ScenarioArg
from sim.model.scenario import ScenarioError
from sim.reports.terminal import emit_json, err, fail, load_or_fail, stdout_console


def _in_file(path: Path, exc: ScenarioError) -> str:
    """``exc``'s lines, each prefixed with the file it is about."""
    return "\n".join(
        line if line.startswith(str(path)) else f"{path}: {line}" for line in str(exc).splitlines()
    )


def roster(
    scenario: ScenarioArg,
    rules: Annotated[Path, typer.Option("--rules", metavar="FILE", help="Roster rules YAML file.")],
    out: Annotated[
        Path | None,
        typer.Option("--out", metavar="FILE", help="Write the scenario with these shifts to FILE."),
    ] = None,
    as_json: AsJson = False,
    png: Annotated[
        Path | None,
        typer.Option("--png", metavar="FILE", help="Write a Gantt chart of the roster (PNG)."),
    ] = None,
) -> None:
    """Put people on shifts that staff SCENARIO's counters at the least paid staff-hours."""
    from sim.model.scenario_io import scenario_yaml
    from sim.planning.roster import rostered_scenario, solve_roster
    from sim.planning.roster_rules import load_rules
    from sim.reports.roster import print_roster, roster_json, write_gantt

    scn = load_or_fail(scenario)
    try:
        result = solve_roster(scn, load_rules(rules))
        rostered = rostered_scenario(scn, result) if out is not None else None
    except ScenarioError as exc:
        raise fail(_in_file(rules, exc)) from None
    if out is not None and rostered is not None:
        header = f"# {scn.hall} rostered by `hallsim roster` with {rules.name}\n"
        out.write_text(header + scenario_yaml(rostered), encoding="utf-8")
        err.print(f"rostered scenario: {out}", highlight=False)
    if png is not None:
        write_gantt(result, png)
        err.print(f"gantt chart: {png}", highlight=False)
    if as_json:
        emit_json(roster_json(result, scn.hall))
    else:
        print_roster(stdout_console(), result, scn.hall)
