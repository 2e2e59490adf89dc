"""``hallsim staff``: counters per interval to meet the wait target, for a
day or a week. Thin: check the options and output paths, plan with
:mod:`sim.planning.weekplan`, present with :mod:`sim.reports.staffing`."""

from __future__ import annotations

import dataclasses
import time
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from sim.cli.options import (
    AsJson,
    DaskAddress,
    ReportDir,
    Seed,
    Workers,
    XlsxFile,
    check_outputs,
    command_line,
    replications,
)
from sim.model.scenario import Scenario, ScenarioError
from sim.model.units import parse_duration_s
from sim.reports.terminal import emit_json, err, fail, load_or_fail, stdout_console

WEEKDAY_NAMES = "mon, tue, wed, thu, fri, sat, sun"


def _duration(option: str, text: str) -> float:
    try:
        value = parse_duration_s(text)
    except ValueError as exc:
        raise fail(f"{option} {text}: {exc}") from None
    if value <= 0:
        raise fail(f"{option} {text}: must be positive")
    return value


def _check_day(day: str | None, week_of: str | None) -> date | None:
    from sim.model.week import WEEKDAYS

    if day is not None and week_of is not None:
        raise fail("--day and --week-of: give one of them")
    if day is not None and day not in WEEKDAYS:
        try:
            date.fromisoformat(day)
        except ValueError:
            raise fail(
                f"--day {day}: is neither a weekday ({WEEKDAY_NAMES}) nor a date (2027-01-04)"
            ) from None
    if week_of is None:
        return None
    try:
        return date.fromisoformat(week_of)
    except ValueError:
        raise fail(f"--week-of {week_of}: is not a date such as 2027-01-04") from None


def _check_grid(scn: Scenario, name: str, step: str | None, step_s: float | None) -> None:
    from sim.planning.grid import grid_blocks
    from sim.planning.staffing import resized_groups

    resized_groups(scn)
    if step_s is not None:
        try:
            grid_blocks(scn, step_s)
        except ScenarioError as exc:
            where = f" on {name}" if name else ""
            raise fail(f"--step {step}{where}: {exc}") from None


def staff(
    ctx: typer.Context,
    scenario: Annotated[
        Path,
        typer.Argument(
            metavar="SCENARIO",
            help="Scenario YAML; the counter groups with `resize` are sized.",
            show_default=False,
        ),
    ],
    method: Annotated[
        str,
        typer.Option(help="sim (simulation-based) or erlang (Erlang C/A per interval)."),
    ] = "sim",
    probability: Annotated[
        float,
        typer.Option(
            metavar="P",
            help="An interval meets the target when a day meets it there with probability >= P.",
        ),
    ] = 0.9,
    judge: Annotated[
        str,
        typer.Option(
            help="Judge each interval by the customers who arrived in it (arrival) or who were "
            "called in it, or whose target wait ran out in it (called).",
        ),
    ] = "arrival",
    min_block: Annotated[
        str,
        typer.Option(
            metavar="DURATION",
            help="A counter opened stays open, and one closed stays closed, at least DURATION.",
        ),
    ] = "1h",
    max_change: Annotated[
        int | None,
        typer.Option(
            min=1,
            metavar="N",
            help="A group gains or loses at most N counters from one interval to the next "
            "\\[default: no limit].",
            show_default=False,
        ),
    ] = None,
    step: Annotated[
        str | None,
        typer.Option(
            metavar="DURATION",
            help="Counts change only every DURATION from midnight, e.g. 30m or 1h "
            "\\[default: every statistics interval].",
            show_default=False,
        ),
    ] = None,
    day: Annotated[
        str | None,
        typer.Option(
            metavar="DAY",
            help="Plan one day: a weekday (mon … sun) or a date (2027-01-04) "
            "\\[default: the scenario's week].",
            show_default=False,
        ),
    ] = None,
    week_of: Annotated[
        str | None,
        typer.Option(
            metavar="DATE",
            help="Plan the week (Monday to Sunday) holding DATE, with its holidays.",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Write a scenario whose counters follow the plan."),
    ] = None,
    replications: Annotated[
        int, replications(2, "Replications each plan starts with; more where a decision is close")
    ] = 20,
    max_replications: Annotated[
        int, typer.Option(min=2, metavar="N", help="At most N replications for a close decision.")
    ] = 120,
    seed: Seed = 1,
    workers: Workers = None,
    dask: DaskAddress = None,
    as_json: AsJson = False,
    report: ReportDir = None,
    xlsx: XlsxFile = None,
) -> None:
    """Counters needed per interval to meet the wait target, for a day or the scenario's week."""
    check_outputs([("--out", out), ("--xlsx", xlsx)], [("--report", report)])
    if method not in ("sim", "erlang"):
        raise fail(f"--method: {method!r} is not one of sim, erlang")
    if judge not in ("arrival", "called"):
        raise fail(f"--judge: {judge!r} is not one of arrival, called")
    if not 0.0 < probability < 1.0:
        raise fail(f"--probability {probability:g}: must be between 0 and 1")
    if max_replications < replications:
        raise fail(f"--max-replications {max_replications}: is below -n {replications}")
    block_s = _duration("--min-block", min_block)
    step_s = None if step is None else _duration("--step", step)
    week_date = _check_day(day, week_of)
    scn = load_or_fail(scenario)
    if scn.stationary:
        raise ScenarioError(
            f"{scenario}: horizon: staffing plans an opening day, not a stationary run"
        )

    from sim.planning.judge import MeetRule
    from sim.planning.simplan import SearchSettings
    from sim.planning.smooth import PlanRules
    from sim.planning.staffing_result import staffing_result
    from sim.planning.weekplan import days_to_plan, plan_days
    from sim.runs.dask_executor import DaskError, make_executor

    days = days_to_plan(scn, day, week_date)
    if all(d.scenario is None for d in days):
        raise fail(f"{scenario}: the hall is closed on every day asked for")
    for d in days:
        if d.scenario is not None:
            _check_grid(d.scenario, d.key, step, step_s)
    rule = MeetRule(scn.target.service_level, probability, judge)  # type: ignore[arg-type]
    rules = PlanRules(block_s, max_change, step_s)
    settings = SearchSettings(replications, max_replications, seed)
    started = time.perf_counter()
    try:
        executor = make_executor(workers, dask, max_replications * 4)
    except DaskError as exc:
        raise fail(f"--dask: {exc}") from None
    try:
        with err.status("planning…") as status:
            planned = plan_days(days, method, rule, rules, settings, executor, status.update)
    finally:
        executor.close()
    result = staffing_result(scn, days, planned, rule, rules, settings, week=day is None)
    result = dataclasses.replace(result, seconds=round(time.perf_counter() - started, 3))
    if out is not None:
        from sim.model.scenario_io import write_scenario
        from sim.planning.weekplan import planned_scenario

        write_scenario(planned_scenario(scn, planned), out)
        err.print(f"plan written to {out}", highlight=False)
    if report is not None:
        from sim.reports.staffing import write_staffing_report

        path = write_staffing_report(result, report, command_line(ctx))
        err.print(f"report: {path}", highlight=False)
    if xlsx is not None:
        from sim.reports.sheets import staffing_sheets
        from sim.reports.xlsx import write_workbook

        path = write_workbook(xlsx, staffing_sheets(result, command_line(ctx)))
        err.print(f"workbook: {path}", highlight=False)
    if as_json:
        emit_json(result.to_json())
    else:
        from sim.reports.staffing import print_staffing

        print_staffing(stdout_console(), result)
