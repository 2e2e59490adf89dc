"""``hallsim``: the planner's command line. Thin: parse, call into ``sim``,
present with :mod:`sim.reports`. Every command is registered through
:func:`user_errors`, so a bad scenario, rules file or log, or a file that
cannot be read or written, ends as ``hallsim: <what>: <why>`` and exit 2."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from sim.cli.events import events
from sim.cli.fit import fit
from sim.cli.options import AsJson, ReportDir, ScenarioArg, Seed, Workers, replications
from sim.cli.roster import roster
from sim.cli.whatif import compare, sweep
from sim.model.scenario import ScenarioError
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
    scenario: ScenarioArg,
    replications: Annotated[int, replications(1, "Independent replications (days)")] = 20,
    seed: Seed = 1,
    workers: Workers = None,
    as_json: AsJson = False,
    report: ReportDir = None,
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
    if report is not None:
        from sim.reports.run import write_report

        err.print(f"report: {write_report(experiment, summary, report)}", highlight=False)
    if as_json:
        emit_json(summary.to_json())
    else:
        from sim.reports.kpi_tables import print_run

        labels = {k: v.name or k for k, v in scn.services.items()}
        labels |= {k: v.name or k for k, v in scn.segments.items()}
        print_run(stdout_console(), summary, labels)


@app.command()
@user_errors
def staff(
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
    out: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Write a scenario whose counters follow the plan."),
    ] = None,
    replications: Annotated[int, replications(2, "Replications per evaluated plan")] = 20,
    seed: Seed = 1,
    workers: Workers = None,
    as_json: AsJson = False,
    report: Annotated[
        Path | None,
        typer.Option(metavar="DIR", help="Write staffing.html with the staffing plots into DIR."),
    ] = None,
) -> None:
    """Counters needed per interval to meet the wait target, by Erlang C/A and by simulation."""
    if method not in ("sim", "erlang"):
        raise fail(f"--method: {method!r} is not one of sim, erlang")
    scn = load_or_fail(scenario)
    from sim.planning.staffing import erlang_plan, evaluate_plans, sim_plan
    from sim.reports.staffing import staffing_summary
    from sim.runs.executor import local_executor

    if scn.stationary:
        raise ScenarioError(
            f"{scenario}: horizon: staffing plans an opening day, not a stationary run"
        )
    started = time.perf_counter()
    executor = local_executor(workers, replications * 64)
    try:
        plans = [erlang_plan(scn)]
        if method == "sim":
            with err.status("planning by simulation…") as status:
                plans.append(
                    sim_plan(scn, replications, seed, executor, plans[0], on_progress=status.update)
                )
        evaluations = evaluate_plans(scn, plans, replications, seed, executor)
    finally:
        executor.close()
    summary = staffing_summary(scn, plans, evaluations, replications, seed)
    summary["seconds"] = round(time.perf_counter() - started, 3)
    chosen = plans[-1]
    if out is not None:
        from sim.model.scenario_io import write_scenario
        from sim.planning.staffing import apply_plan

        write_scenario(apply_plan(scn, chosen.groups, chosen.counts), out)
        err.print(f"plan written to {out}", highlight=False)
    if report is not None:
        from sim.reports.staffing import write_staffing_report

        err.print(f"report: {write_staffing_report(scn, summary, report)}", highlight=False)
    if as_json:
        emit_json(summary)
    else:
        _print_staffing(summary)


def _print_staffing(summary: dict[str, Any]) -> None:
    out = stdout_console()
    methods = [p["method"] for p in summary["plans"]]
    groups = summary["groups"]
    target = summary["target"]["service_level"]
    table = Table(
        title=f"{summary['scenario']}: counters per interval for {target:.0%} called within "
        f"{summary['target']['wait_s'] / 60:g} min",
        title_justify="left",
        header_style="bold",
        caption="SL: simulated service level, lower end of its 95% CI (red below target)",
    )
    table.add_column("start")
    table.add_column("arrivals/h", justify="right")
    table.add_column("load", justify="right")
    for m in methods:
        for g in groups:
            table.add_column(f"{g} ({m})", justify="right")
        table.add_column(f"SL ({m})", justify="right")
    for row in summary["intervals"]:
        cells = [row["start"], f"{row['arrivals_per_hour']:.0f}", f"{row['offered_load']:.1f}"]
        for m in methods:
            cells += [str(row["counts"][m][g]) for g in groups]
            lo = row["service_level"][m]["ci95_lower"]
            cell = f"{lo:.0%}"
            cells.append(f"[red]{cell}[/]" if lo < target else cell)
        table.add_row(*cells)
    out.print(table)
    for plan in summary["plans"]:
        out.print(
            f"{plan['method']}: {plan['staff_hours']:.2f} counter-hours, "
            f"{plan['intervals_missing']} intervals below target"
            + (f", {plan['evaluations']} plans simulated" if plan["evaluations"] else "")
        )


for command in (roster, compare, sweep, events, fit):
    app.command()(user_errors(command))


def main() -> None:
    """Console-script entry point."""
    app()
