"""``hallsim fit``: a scenario estimated from a hall's event log. Thin: read with
:mod:`sim.eventlog.events`, estimate with :func:`sim.calibration.fitted.fit_hall`,
present with :mod:`sim.reports.fit_tables` and :mod:`sim.reports.fit` (the
``--json`` body is :class:`sim.calibration.summary.FitSummary`'s)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Annotated

import typer

from sim.cli.options import Workers, command_line
from sim.eventlog.modes import AbandonEvents, AbandonMode
from sim.model.units import parse_duration_s
from sim.reports.terminal import emit_json, err, fail, stdout_console


def _duration(option: str, text: str) -> float:
    try:
        return parse_duration_s(text)
    except ValueError as exc:
        raise fail(f"{option}: {text!r} {exc}") from None


def fit(
    ctx: typer.Context,
    events: Annotated[
        Path,
        typer.Argument(metavar="EVENTS", help="Event log, .jsonl or .csv.", show_default=False),
    ],
    out: Annotated[
        Path, typer.Option("--out", metavar="FILE", help="Write the fitted scenario YAML to FILE.")
    ],
    interval: Annotated[str, typer.Option(help="Statistics interval, e.g. 15m.")] = "15m",
    report: Annotated[
        Path | None,
        typer.Option(
            metavar="DIR",
            help="Write DIR/fit.html: one self-contained page with the estimates' tables and "
            "plots (arrivals, service-time QQ, patience).",
        ),
    ] = None,
    lenient: Annotated[
        bool, typer.Option("--lenient", help="Skip and count bad lines instead of stopping.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the estimates with 95% CIs as JSON.")
    ] = False,
    timezone: Annotated[
        str | None,
        typer.Option(help="IANA time zone of the hall (needed unless the log is at +08:00)."),
    ] = None,
    target_wait: Annotated[
        str, typer.Option("--target-wait", help="Target wait of the fitted scenario.")
    ] = "15m",
    service_level: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Target service level.")
    ] = 0.8,
    abandon_events: Annotated[
        AbandonMode | None,
        typer.Option(
            "--abandon-events",
            help="How the log records give-ups: exact (when they happen) or no_show (only "
            "when a ticket is called and nobody comes). Default: read from the log.",
            show_default=False,
        ),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="weekday: also write one scenario per weekday in the log "
            "(OUT-mon.yaml …), arrivals from that weekday's days only.",
        ),
    ] = None,
    workers: Workers = None,
) -> None:
    """Estimate a scenario from the event log EVENTS and write it to --out.

    Demand, service times, counters, patience and segment priorities, printed
    with their 95% confidence intervals; --report DIR also writes them, with
    plots, to the page DIR/fit.html."""
    from sim.calibration.fit import FitError, weekday_arrivals
    from sim.calibration.fitted import fit_hall, fitted_scenario
    from sim.calibration.logread import read_log
    from sim.calibration.summary import FitSummary, WeekdayFit
    from sim.eventlog.events import EventError, ReadStats
    from sim.model.scenario import ScenarioError
    from sim.model.scenario_io import write_scenario
    from sim.reports.fit import write_fit_report
    from sim.reports.fit_tables import print_fit

    interval_s = _duration("--interval", interval)
    if interval_s <= 0:
        raise fail(f"--interval: {interval!r} must be positive")
    target_s = _duration("--target-wait", target_wait)
    if by not in (None, "weekday"):
        raise fail(f"--by: {by!r} is not 'weekday'")
    try:
        stats = ReadStats()
        # decoding in a worker process while this one gathers; then the patience fits
        workers = workers if workers is not None else os.cpu_count() or 1
        log = read_log(events, lenient=lenient, stats=stats, workers=workers)
        mode: AbandonEvents | None = None
        if abandon_events is not None:
            mode = "exact" if abandon_events is AbandonMode.exact else "no_show"
        fitted = fit_hall(
            log,
            interval_s=interval_s,
            timezone=timezone,
            abandon_events=mode,
            target_wait_s=target_s,
            service_level=service_level,
            # the segments' patience fits in worker processes alongside the rest
            workers=workers,
        )
        result, scn = fitted.result, fitted.scenario
        by_day = weekday_arrivals(log, result) if by == "weekday" else {}
        daily = {
            wd: fitted_scenario(
                dataclasses.replace(result, arrivals=a),
                hall=scn.hall,
                target_wait_s=target_s,
                service_level=service_level,
            )
            for wd, a in by_day.items()
        }
    except (EventError, FitError, ScenarioError, ValueError) as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(f"{exc.filename or events}: cannot read ({exc.strerror})") from None
    try:
        write_scenario(scn, out, comment=f"fitted by hallsim fit from {events.name}")
        for wd, day_scn in daily.items():
            note = f"fitted by hallsim fit --by weekday from {events.name}: {wd} arrivals"
            write_scenario(day_scn, _weekday_path(out, wd), comment=note)
    except OSError as exc:
        raise fail(f"{exc.filename}: cannot write ({exc.strerror})") from None
    summary = FitSummary(
        result,
        out=str(out),
        skipped_lines=dict(stats.skipped),
        plots=(str(report / "fit.html"),) if report is not None else (),
        by_weekday=(
            {wd: WeekdayFit(str(_weekday_path(out, wd)), a) for wd, a in by_day.items()}
            if by == "weekday"
            else None
        ),
    )
    if report is not None:
        try:
            path = write_fit_report(summary, report, command_line(ctx), hall=scn.hall)
        except OSError as exc:
            raise fail(f"{exc.filename}: cannot write ({exc.strerror})") from None
        err.print(f"report: {path}", highlight=False)
    if as_json:
        emit_json(summary.to_json())
        return
    print_fit(stdout_console(), summary)
    skipped, problems = summary.skipped_lines, result.problems
    if skipped or problems:
        err.print(
            f"skipped lines: {dict(skipped) or {}}; log problems: {problems or {}}",
            highlight=False,
        )


def _weekday_path(out: Path, weekday: str) -> Path:
    """``fitted.yaml`` → ``fitted-mon.yaml``, next to it."""
    return out.with_name(f"{out.stem}-{weekday}{out.suffix}")
