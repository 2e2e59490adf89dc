"""``hallsim``: the planner's command line. Thin: parse, call into ``sim``,
present with :mod:`sim.reports`. Every command is registered through
:func:`user_errors`, so a bad scenario, rules file or log, or a file that
cannot be read or written, ends as ``hallsim: <what>: <why>`` and exit 2."""

from __future__ import annotations

import atexit
import gc
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
    check_outputs,
    command_line,
    replications,
)
from sim.cli.roster import roster
from sim.cli.scenario import app as scenario_app
from sim.cli.staff import staff
from sim.cli.whatif import compare, sweep
from sim.reports.terminal import emit_json, err, load_or_fail, progress_bar, stdout_console
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
    check_outputs([("--xlsx", xlsx)], [("--report", report)])
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


for command in (staff, roster, compare, sweep, events, fit):
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
