"""``hallsim roster``: people on shifts for a scenario's counters. Thin: load (the rules
via :mod:`sim.planning.roster_rules`), call :mod:`sim.planning.roster`, present with
:mod:`sim.reports.roster`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sim.cli.options import AsJson, ReportDir, ScenarioArg, XlsxFile, command_line
from sim.model.scenario import ScenarioError
from sim.reports.terminal import emit_json, err, fail, load_or_fail, stdout_console


def _in_file(path: Path, exc: ScenarioError) -> str:
    """``exc``'s lines, each prefixed with the file it is about."""
    return "\n".join(
        line if line.startswith(str(path)) else f"{path}: {line}" for line in str(exc).splitlines()
    )


def roster(
    ctx: typer.Context,
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
    report: ReportDir = None,
    xlsx: XlsxFile = None,
) -> None:
    """Put people on shifts that staff SCENARIO's counters at the least paid staff-hours."""
    from sim.model.scenario_io import scenario_yaml
    from sim.planning.roster import rostered_scenario, solve_roster
    from sim.planning.roster_rules import load_rules
    from sim.reports.roster import print_roster, roster_json, write_gantt, write_roster_report

    scn = load_or_fail(scenario)
    try:
        result = solve_roster(scn, load_rules(rules))
        rostered = rostered_scenario(scn, result) if out is not None else None
    except ScenarioError as exc:
        raise fail(_in_file(rules, exc)) from None
    groups = [g.id for g in scn.counters]
    if out is not None and rostered is not None:
        header = f"# {scn.hall} rostered by `hallsim roster` with {rules.name}\n"
        out.write_text(header + scenario_yaml(rostered), encoding="utf-8")
        err.print(f"rostered scenario: {out}", highlight=False)
    if png is not None:
        write_gantt(result, png, scn.hall, scn.name, groups)
        err.print(f"gantt chart: {png}", highlight=False)
    if report is not None:
        path = write_roster_report(
            result, scn.hall, scn.name, str(rules), report, command_line(ctx), groups
        )
        err.print(f"report: {path}", highlight=False)
    if xlsx is not None:
        from sim.reports.sheets import roster_sheets
        from sim.reports.xlsx import write_workbook

        sheets = roster_sheets(result, scn.hall, scn.name, command_line(ctx))
        err.print(f"workbook: {write_workbook(xlsx, sheets)}", highlight=False)
    if as_json:
        emit_json(roster_json(result, scn.hall))
    else:
        print_roster(stdout_console(), result, scn.hall)
