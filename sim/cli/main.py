"""``hallsim``: the planner's command line. Thin: parse, call into ``sim``, format."""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from sim.cli.events import events
from sim.cli.fit import fit
from sim.cli.roster import roster
from sim.cli.whatif import compare, sweep
from sim.model.scenario import ScenarioError, load_scenario
from sim.reports.terminal import err, fail, load_or_fail, progress_bar, stdout_console

app = typer.Typer(
    help="Simulate a service hall's queues: waits, service level and staffing.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _fmt(stat: dict[str, Any], key: str, with_ci: bool) -> str:
    mean = stat.get("mean")
    if mean is None:
        return "–"
    lo, hi = stat["ci95"]
    half = (hi - lo) / 2 if with_ci and lo is not None else None
    if key.endswith("_s"):
        return f"{mean / 60:.1f}" + (f"±{half / 60:.1f}" if half is not None else "")
    if key in ("service_level", "abandon_rate", "utilisation"):
        return f"{mean:.0%}" + (f"±{half * 100:.0f}" if half is not None else "")
    return f"{mean:.1f}" + (f"±{half:.1f}" if half is not None else "")


# (key, header, show the CI half-width)
_COLUMNS = (
    ("arrivals", "arrivals", False),
    ("served", "served", False),
    ("abandoned", "aband.", False),
    ("balked", "balked", False),
    ("wait_mean_s", "wait", True),
    ("wait_p90_s", "p90", True),
    ("service_level", "SL", True),
    ("queue_mean", "queue", False),
    ("utilisation", "util", False),
)
_CAPTION = (
    "wait, p90: minutes (mean ±95% CI half-width); SL: share called within {wait:g} min "
    "(red below {sl:.0%}); queue: mean customers waiting; util: counter utilisation"
)


def _table(
    title: str, first: str, rows: list[tuple[str, dict[str, Any]]], target: dict[str, float]
) -> Table:
    caption = _CAPTION.format(wait=target["wait_s"] / 60, sl=target["service_level"])
    table = Table(title=title, title_justify="left", header_style="bold", caption=caption)
    table.add_column(first, no_wrap=True)
    for _, header, _ in _COLUMNS:
        table.add_column(header, justify="right", no_wrap=True)
    for name, stats in rows:
        cells = []
        for key, _, with_ci in _COLUMNS:
            cell = _fmt(stats[key], key, with_ci)
            sl = stats["service_level"]["mean"]
            if key == "service_level" and sl is not None and sl < target["service_level"]:
                cell = f"[red]{cell}[/]"
            cells.append(cell)
        table.add_row(name, *cells)
    return table


def _print_summary(summary: dict[str, Any], labels: dict[str, str]) -> None:
    out = stdout_console()
    target = summary["target"]
    out.print(
        f"[bold]{summary['scenario']}[/]: {summary['replications']} replications, seed "
        f"{summary['seed']}; target {target['service_level']:.0%} called within "
        f"{target['wait_s'] / 60:g} min"
    )
    if summary["by_interval"]:
        rows = [(row["start"], row) for row in summary["by_interval"]]
        out.print(_table("By interval (arrival time)", "start", rows, target))
    seg_rows = [(labels.get(name, name), s) for name, s in summary["by_segment"].items()]
    out.print(_table("By segment", "segment", seg_rows, target))
    svc_rows = [(labels.get(name, name), s) for name, s in summary["by_service"].items()]
    out.print(_table("By service", "service", svc_rows, target))
    whole = "Whole day" if summary["by_interval"] else "Whole run (after warm-up)"
    out.print(_table(whole, "", [("all", summary["overall"])], target))
    kiosk = summary["kiosk"]
    if kiosk["arrivals"]["mean"]:
        out.print(
            f"Kiosks: {_fmt(kiosk['arrivals'], 'arrivals', False)} users, mean wait "
            f"{_fmt(kiosk['wait_mean_s'], 'wait_mean_s', True)} min, utilisation "
            f"{_fmt(kiosk['utilisation'], 'utilisation', False)}"
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


@app.callback()
def _main() -> None:
    """Queue and waiting-time simulation for service halls (营业厅)."""


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    replications: Annotated[
        int, typer.Option("--replications", "-n", min=1, help="Independent replications (days).")
    ] = 20,
    seed: Annotated[int, typer.Option(min=0, help="Seed of all random streams.")] = 1,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Worker processes [default: number of CPUs]; 1 runs in-process."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the KPIs as JSON.")] = False,
    report: Annotated[
        Path | None, typer.Option(help="Write report.html with plots into this directory.")
    ] = None,
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
    summary = _jsonable(experiment.summary())
    if report is not None:
        from sim.reports.run import write_report

        path = write_report(experiment, summary, report)
        err.print(f"report: {path}")
    if as_json:
        json.dump(summary, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        labels = {k: v.name or k for k, v in scn.services.items()}
        labels |= {k: v.name or k for k, v in scn.segments.items()}
        _print_summary(summary, labels)


@app.command()
def staff(
    scenario: Annotated[
        Path, typer.Argument(help="Scenario YAML; groups with `resize` are sized.")
    ],
    method: Annotated[
        str,
        typer.Option(help="sim (simulation-based, default) or erlang (Erlang C/A per interval)."),
    ] = "sim",
    out: Annotated[
        Path | None, typer.Option(help="Write a scenario whose counters follow the plan.")
    ] = None,
    replications: Annotated[
        int, typer.Option("--replications", "-n", min=2, help="Replications per evaluated plan.")
    ] = 20,
    seed: Annotated[int, typer.Option(min=0, help="Seed (same customers for every plan).")] = 1,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Worker processes [default: number of CPUs].")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
    report: Annotated[
        Path | None, typer.Option(help="Write report.html with the staffing plots here.")
    ] = None,
) -> None:
    """Counters needed per interval to meet the wait target, by Erlang C/A and by simulation."""
    if method not in ("sim", "erlang"):
        raise fail(f"--method: {method!r} is not one of sim, erlang")
    try:
        scn = load_scenario(scenario)
        from sim.planning.staffing import erlang_plan, evaluate_plans, sim_plan
        from sim.reports.staffing import staffing_summary
        from sim.runs.executor import local_executor

        if scn.stationary:
            raise ScenarioError("horizon: staffing plans an opening day, not a stationary run")
        started = time.perf_counter()
        executor = local_executor(workers, replications * 64)
        try:
            plans = [erlang_plan(scn)]
            if method == "sim":
                with err.status("planning by simulation…") as status:
                    plans.append(
                        sim_plan(
                            scn, replications, seed, executor, plans[0], on_progress=status.update
                        )
                    )
            evaluations = evaluate_plans(scn, plans, replications, seed, executor)
        finally:
            executor.close()
    except ScenarioError as exc:
        raise fail(str(exc)) from None
    summary = staffing_summary(scn, plans, evaluations, replications, seed)
    summary["seconds"] = round(time.perf_counter() - started, 3)
    chosen = plans[-1]
    if out is not None:
        from sim.model.scenario_io import write_scenario
        from sim.planning.staffing import apply_plan

        write_scenario(apply_plan(scn, chosen.groups, chosen.counts), out)
        err.print(f"plan written to {out}")
    if report is not None:
        from sim.reports.staffing import write_staffing_report

        err.print(f"report: {write_staffing_report(scn, summary, report)}")
    if as_json:
        json.dump(_jsonable(summary), sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
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


app.command()(roster)
app.command()(compare)
app.command()(sweep)
app.command()(events)
app.command()(fit)


def main() -> None:
    """Console-script entry point."""
    app()
