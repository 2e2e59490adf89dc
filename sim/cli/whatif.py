"""``hallsim compare`` and ``hallsim sweep``: what-if runs. Thin: load, call
:mod:`sim.planning.whatif`, present with :mod:`sim.reports`."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from sim.cli.options import (
    AsJson,
    DaskAddress,
    Replications,
    ReportDir,
    ScenarioArg,
    Seed,
    Workers,
    XlsxFile,
    check_outputs,
    command_line,
)
from sim.model.scenario import ScenarioError
from sim.reports.terminal import emit_json, err, fail, load_or_fail, progress_bar, stdout_console

if TYPE_CHECKING:  # numpy and the model load when a command runs, not at start-up
    from sim.runs.executor import Executor

T = TypeVar("T")


def _labels(paths: Sequence[Path]) -> list[str]:
    for names in ([p.stem for p in paths], [str(p) for p in paths]):
        if len(set(names)) == len(names):
            return names
    return [f"{p.stem} #{k}" for k, p in enumerate(paths, 1)]


def _run(
    what: str,
    scenarios: int,
    replications: int,
    workers: int | None,
    dask: str | None,
    call: Callable[[Executor, Callable[[int], None]], T],
) -> T:
    """``call(executor, on_done)`` on the chosen executor with a progress bar;
    a cluster that cannot be reached exits 2 naming ``--dask``."""
    from sim.runs.dask_executor import DaskError, make_executor

    try:
        executor = make_executor(workers, dask, scenarios * replications)
    except DaskError as exc:
        raise fail(f"--dask: {exc}") from None
    progress = progress_bar()
    try:
        with progress:
            task = progress.add_task(what, total=scenarios * replications)
            return call(executor, lambda _: progress.advance(task))
    finally:
        executor.close()


def compare(
    ctx: typer.Context,
    scenarios: Annotated[
        list[Path],
        typer.Argument(
            metavar="SCENARIO...",
            help="Two or more scenario YAML files; the first is the base.",
            show_default=False,
        ),
    ],
    replications: Replications = 20,
    seed: Seed = 1,
    workers: Workers = None,
    dask: DaskAddress = None,
    as_json: AsJson = False,
    report: ReportDir = None,
    xlsx: XlsxFile = None,
) -> None:
    """Run scenarios on the same customers: each KPI's paired difference to the first, by day
    and by interval."""
    check_outputs([("--xlsx", xlsx)], [("--report", report)])
    if len(scenarios) < 2:
        raise fail("compare needs at least two scenario files")
    loaded = [load_or_fail(path) for path in scenarios]
    from sim.planning import whatif

    result = _run(
        "comparing",
        len(loaded),
        replications,
        workers,
        dask,
        lambda ex, done: whatif.compare(
            loaded, replications, seed, ex, labels=_labels(scenarios), on_done=done
        ),
    )
    names = {scn.hall: scn.name for scn in loaded}
    from sim.calibration.known import patience_warnings  # issue 13: a fitted hall's limits

    for scn, ran in zip(loaded, result.scenarios, strict=True):
        for line in patience_warnings(scn, ran.kpis.by_segment, f"{ran.label}: "):
            err.print(f"warning: {line}", highlight=False)
    if report is not None:
        from sim.reports.compare import write_compare_report

        path = write_compare_report(result, names, report, command_line(ctx))
        err.print(f"report: {path}", highlight=False)
    if xlsx is not None:
        from sim.reports.whatif_sheets import compare_sheets
        from sim.reports.xlsx import write_workbook

        sheets = compare_sheets(result, names, command_line(ctx))
        err.print(f"workbook: {write_workbook(xlsx, sheets)}", highlight=False)
    if as_json:
        emit_json(result.to_json())
    else:
        from sim.reports.compare import interval_table
        from sim.reports.kpi_tables import compare_table, print_verdict
        from sim.reports.verdicts import compare_verdict

        out = stdout_console()
        print_verdict(out, loaded[0].hall, compare_verdict(result))
        out.print(compare_table(result))
        for comparison in result.differences:
            if comparison.by_interval:
                out.print(interval_table(result, comparison))


def sweep(
    ctx: typer.Context,
    scenario: ScenarioArg,
    sets: Annotated[
        list[str],
        typer.Option(
            "--set",
            metavar="PATH=V1,V2,...",
            help="Values of a scenario path, e.g. arrivals.scale=0.8,1.2 or "
            "counters\\[1].count=3,4; repeat for a grid.",
            show_default=False,
        ),
    ],
    replications: Replications = 20,
    seed: Seed = 1,
    workers: Workers = None,
    dask: DaskAddress = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", metavar="DIR", help="Write sweep.csv and sweep.png into DIR."),
    ] = None,
    as_json: AsJson = False,
    report: ReportDir = None,
    xlsx: XlsxFile = None,
) -> None:
    """Run SCENARIO at every point of a grid of values; print, and optionally plot, the KPIs."""
    check_outputs([("--xlsx", xlsx)], [("--report", report), ("--out", out)])
    from sim.planning import whatif

    scn = load_or_fail(scenario)
    try:
        parsed = [whatif.parse_set(text) for text in sets]
    except ScenarioError as exc:
        raise fail(f"--set {exc}") from None
    points = _run(
        f"sweeping {scn.hall}",
        math.prod(len(values) for _, values in parsed),
        replications,
        workers,
        dask,
        lambda ex, done: whatif.sweep(scn, parsed, replications, seed, ex, on_done=done),
    )
    paths = [path for path, _ in parsed]
    from sim.calibration.known import patience_warnings  # issue 13: a fitted hall's limits

    for point in points:
        at = ", ".join(f"{k}={v}" for k, v in point.values.items())
        for line in patience_warnings(scn, point.by_segment, f"{at}: "):
            err.print(f"warning: {line}", highlight=False)
    if out is not None:
        from sim.reports.sweep import write_sweep_csv, write_sweep_plot

        out.mkdir(parents=True, exist_ok=True)
        write_sweep_csv(points, out / "sweep.csv")
        write_sweep_plot(points, out / "sweep.png", scn.hall, scn.name)
        err.print(f"sweep: {out / 'sweep.csv'}, {out / 'sweep.png'}", highlight=False)
    if report is not None:
        from sim.reports.sweep import write_sweep_report

        path = write_sweep_report(
            points, scn.hall, scn.name, replications, seed, report, command_line(ctx)
        )
        err.print(f"report: {path}", highlight=False)
    if xlsx is not None:
        from sim.reports.whatif_sheets import sweep_sheets
        from sim.reports.xlsx import write_workbook

        sheets = sweep_sheets(scn.hall, scn.name, points, command_line(ctx), seed, replications)
        err.print(f"workbook: {write_workbook(xlsx, sheets)}", highlight=False)
    if as_json:
        emit_json(
            {
                "scenario": scn.hall,
                "replications": replications,
                "seed": seed,
                "swept": paths,
                "points": [p.to_json() for p in points],
            }
        )
    else:
        from sim.reports.kpi_tables import print_verdict, sweep_table
        from sim.reports.verdicts import sweep_verdict

        console = stdout_console()
        print_verdict(console, scn.hall, sweep_verdict(points, replications))
        console.print(sweep_table(scn.hall, paths, points))
