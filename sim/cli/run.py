"""``hallsim run``: simulate a scenario's replications and print each KPI's
mean and confidence interval. Thin: load, call :mod:`sim.runs.experiment`,
present with :mod:`sim.reports`."""

from __future__ import annotations

from typing import Annotated

import typer

from sim.cli.options import (
    AsJson,
    ReportDir,
    ScenarioArg,
    Seed,
    Workers,
    XlsxFile,
    check_outputs,
    command_line,
    replications,
)
from sim.cli.startup import start_up
from sim.reports.terminal import emit_json, err, load_or_fail, progress_bar, stdout_console


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
    check_outputs([("--xlsx", xlsx)], [("--report", report)])
    with start_up():
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
