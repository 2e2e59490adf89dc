"""``hallsim``: the planner's command line. Thin: parse, call into ``sim``,
present with :mod:`sim.reports`. Every command is registered through
:func:`user_errors`, so a bad scenario, rules file or log, or a file that
cannot be read or written, ends as ``hallsim: <what>: <why>`` and exit 2."""

from __future__ import annotations

import atexit
import dataclasses
import gc
import time
from pathlib import Path
from typing import Annotated

import typer

from sim.cli.events import events
from sim.cli.fit import fit
from sim.cli.options import (
    AsJson,
    ReportDir,
    ScenarioArg,
    Seed,
    Workers,
    XlsxFile,
    command_line,
    replications,
)
from sim.cli.roster import roster
from sim.cli.scenario import app as scenario_app
from sim.cli.whatif import compare, sweep
from sim.model.scenario import ScenarioError
from sim.model.units import parse_duration_s
from sim.reports.terminal import emit_json, err, fail, load_or_fail, progress_bar, stdout_console
from sim.reports.terminal import user_errors as _user_errors

app = typer.Typer(
    help="Simulate a service hall's queues: waits, service level and staffing.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
user_errors = _user_errors("hallsim")


@app.callback()
def _main() -> None:
    """Queue and waiting-time simulation for service halls (营业厅)."""


@app.command()
@user_errors
def run(
    ctx: typer.Context,
    scenario: ScenarioArg,
    replications: Annotated[int, replications(1, "Independent replications (days)")] = 20,
    seed: Seed = 1,
    workers: Workers = None,
    as_json: AsJson = False,
    report: ReportDir = None,
    xlsx: XlsxFile = None,
) -> None:
    """Simulate SCENARIO and print each KPI's mean and 95% confidence interval."""
    scn = load_or_fail(scenario)

    from sim.runs.executor import local_executor
    from sim.runs.experiment import run_experiment

    executor = local_executor(workers, replications)
    progress = progress_bar()
    try:
        with progress:
            task = progress.add_task(f"simulating {scn.hall}", total=replications)
            experiment = run_experiment(
                scn, replications, seed, executor, on_done=lambda _: progress.advance(task)
            )
    finally:
        executor.close()
    summary = experiment.summary()
    from sim.calibration.known import patience_warnings  # issue 13: a fitted hall's limits

    for line in patience_warnings(scn, summary.kpis.by_segment):
        err.print(f"warning: {line}", highlight=False)
    labels = {k: v.name or k for k, v in scn.services.items()}
    labels |= {k: v.name or k for k, v in scn.segments.items()}
    if report is not None:
        from sim.reports.run import write_report

        path = write_report(experiment, summary, report, command_line(ctx))
        err.print(f"report: {path}", highlight=False)
    if xlsx is not None:
        from sim.reports.sheets import run_sheets
        from sim.reports.xlsx import write_workbook

        names = {k: v.name for k, v in scn.services.items()}
        names |= {k: v.name for k, v in scn.segments.items()}
        sheets = run_sheets(summary, names, scn.name, command_line(ctx))
        err.print(f"workbook: {write_workbook(xlsx, sheets)}", highlight=False)
    if as_json:
        emit_json(summary.to_json())
    else:
        from sim.reports.kpi_tables import print_run

        print_run(stdout_console(), summary, labels)


@app.command()
@user_errors
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
    step: Annotated[
        str | None,
        typer.Option(
            metavar="DURATION",
            help="Counts change only every DURATION from midnight, e.g. 30m or 1h "
            "\\[default: every statistics interval].",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Write a scenario whose counters follow the plan."),
    ] = None,
    replications: Annotated[int, replications(2, "Replications per evaluated plan")] = 20,
    seed: Seed = 1,
    workers: Workers = None,
    as_json: AsJson = False,
    report: ReportDir = None,
    xlsx: XlsxFile = None,
) -> None:
    """Counters needed per interval to meet the wait target, by Erlang C/A and by simulation."""
    if method not in ("sim", "erlang"):
        raise fail(f"--method: {method!r} is not one of sim, erlang")
    scn = load_or_fail(scenario)
    from sim.planning.grid import grid_blocks
    from sim.planning.staffing import erlang_plan, evaluate_plans, sim_plan
    from sim.planning.staffing_result import staffing_result
    from sim.runs.executor import local_executor

    if scn.stationary:
        raise ScenarioError(
            f"{scenario}: horizon: staffing plans an opening day, not a stationary run"
        )
    step_s = None
    if step is not None:
        try:
            step_s = parse_duration_s(step)
            grid_blocks(scn, step_s)
        except (ValueError, ScenarioError) as exc:
            raise fail(f"--step {step}: {exc}") from None
        if step_s <= 0:
            raise fail(f"--step {step}: must be positive")
    started = time.perf_counter()
    executor = local_executor(workers, replications * 64)
    try:
        plans = [erlang_plan(scn, step_s)]
        if method == "sim":
            with err.status("planning by simulation…") as status:
                plans.append(
                    sim_plan(
                        scn, replications, seed, executor, plans[0],
                        on_progress=status.update, step_s=step_s,
                    )
                )  # fmt: skip
        evaluations = evaluate_plans(scn, plans, replications, seed, executor)
    finally:
        executor.close()
    result = staffing_result(scn, plans, evaluations, replications, seed, step_s)
    result = dataclasses.replace(result, seconds=round(time.perf_counter() - started, 3))
    chosen = plans[-1]
    if out is not None:
        from sim.model.scenario_io import write_scenario
        from sim.planning.staffing import apply_plan

        write_scenario(apply_plan(scn, chosen.groups, chosen.counts), out)
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


for command in (roster, compare, sweep, events, fit):
    app.command()(user_errors(command))
app.add_typer(scenario_app, name="scenario")


def main() -> None:
    """Console-script entry point."""
    # What is imported lives until the process ends: the cycle collector need
    # not walk it, neither in its passes during a run nor in the last one, at
    # exit, which alone costs a one-replication run about 80 ms.
    gc.freeze()
    atexit.register(gc.freeze)
    app()
