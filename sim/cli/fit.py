"""``hallsim fit``: a scenario estimated from a hall's event log. Thin: read with
:mod:`sim.eventlog.events`, estimate with :mod:`sim.calibration.fit`, format with
:mod:`sim.reports.fit`."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from sim.cli.options import command_line
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
) -> None:
    """Estimate a scenario from the event log EVENTS and write it to --out.

    Demand, service times, counters, patience and segment priorities, printed
    with their 95% confidence intervals; --report DIR also writes them, with
    plots, to the page DIR/fit.html."""
    from sim.calibration.fit import FitError, fit_log, fitted_scenario, weekday_arrivals
    from sim.calibration.logread import read_log
    from sim.eventlog.events import EventError, ReadStats
    from sim.model.scenario import ScenarioError
    from sim.model.scenario_io import write_scenario
    from sim.reports.fit import arrival_summary, fit_summary, write_fit_report

    interval_s = _duration("--interval", interval)
    if interval_s <= 0:
        raise fail(f"--interval: {interval!r} must be positive")
    target_s = _duration("--target-wait", target_wait)
    if by not in (None, "weekday"):
        raise fail(f"--by: {by!r} is not 'weekday'")
    try:
        stats = ReadStats()
        log = read_log(events, lenient=lenient, stats=stats)
        mode: AbandonEvents | None = None
        if abandon_events is not None:
            mode = "exact" if abandon_events is AbandonMode.exact else "no_show"
        result = fit_log(log, interval_s=interval_s, timezone=timezone, abandon_events=mode)
        hall = sorted(log.halls)[0]
        scn = fitted_scenario(
            result, hall=hall, target_wait_s=target_s, service_level=service_level
        )
        by_day = weekday_arrivals(log, result) if by == "weekday" else {}
        daily = {
            wd: fitted_scenario(
                dataclasses.replace(result, arrivals=a),
                hall=hall,
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
    summary = fit_summary(result)
    summary["skipped_lines"] = dict(stats.skipped)
    summary["out"] = str(out)
    summary["plots"] = [str(report / "fit.html")] if report is not None else []
    if by == "weekday":
        summary["by_weekday"] = {
            wd: {"out": str(_weekday_path(out, wd))} | arrival_summary(a)
            for wd, a in by_day.items()
        }
    if report is not None:
        try:
            path = write_fit_report(result, summary, report, command_line(ctx), hall=hall)
        except OSError as exc:
            raise fail(f"{exc.filename}: cannot write ({exc.strerror})") from None
        err.print(f"report: {path}", highlight=False)
    if as_json:
        emit_json(summary)
        return
    _print(summary)


def _weekday_path(out: Path, weekday: str) -> Path:
    """``fitted.yaml`` → ``fitted-mon.yaml``, next to it."""
    return out.with_name(f"{out.stem}-{weekday}{out.suffix}")


def _print(summary: dict[str, object]) -> None:
    out = stdout_console()
    s = summary
    out.print(
        f"{s['tickets']} tickets over {s['days']} days, open {s['open']}–{s['close']} "
        f"({s['timezone']}), give-ups logged {s['abandon_events']} "
        f"({'read from the log' if s['abandon_events_from'] == 'log' else 'as told'}) "
        f"→ {s['out']}",
        highlight=False,
    )
    table = Table(title="Service times (speed 1)", title_justify="left", header_style="bold")
    for col in ("service", "n", "mean min", "95% CI", "family"):
        table.add_column(col, justify="left" if col in ("service", "family") else "right")
    services = s["services"]
    assert isinstance(services, dict)
    for name, fit in services.items():
        lo, hi = fit["ci95_s"]
        table.add_row(
            name, str(fit["n"]), f"{fit['mean_s'] / 60:.2f}", f"{lo / 60:.2f}–{hi / 60:.2f}",
            fit["chosen"],
        )  # fmt: skip
    out.print(table)
    patience = s["patience"]
    assert isinstance(patience, dict)
    out.print(_patience_table(patience))
    for name, p in patience.items():
        known = p["known_until_s"] / 60
        out.print(
            f"{name}: patience is known up to about {known:.0f} minutes of waiting; "
            f"beyond that {'the fitted family is a guess' if p['chosen'] else 'nobody was seen'}"
            f"{'' if p['identified'] else ' (mean not identified: see the range)'}",
            highlight=False,
        )
    priorities = s["priorities"]
    assert isinstance(priorities, dict)
    shown = ", ".join(f"{k} {v}" for k, v in sorted(priorities.items(), key=lambda kv: kv[1]))
    out.print(f"Segment priorities (0 first, from dispatch order): {shown}", highlight=False)
    by_weekday = s.get("by_weekday")
    if isinstance(by_weekday, dict):
        for wd, w in by_weekday.items():
            out.print(
                f"{wd}: {w['days']} days, {w['daily_tickets_mean']:.0f} tickets/day → {w['out']}",
                highlight=False,
            )
    skipped, problems = s.get("skipped_lines"), s.get("problems")
    if skipped or problems:
        err.print(
            f"skipped lines: {skipped or {}}; log problems: {problems or {}}", highlight=False
        )


def _minutes(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds / 60:.1f}"


def _patience_table(patience: dict[str, Any]) -> Table:
    """Per segment: give-ups, what the log identifies (S and the restricted mean
    up to the known wait) and the mean: the chosen family's, a range over the
    plausible families, or a lower bound."""
    table = Table(title="Patience", title_justify="left", header_style="bold")
    columns = ("segment", "gave up", "served", "known to min", "S(known)", "mean to known",
               "family", "mean min")  # fmt: skip
    for col in columns:
        table.add_column(col, justify="left" if col in ("segment", "family") else "right")
    for name, p in patience.items():
        s_tau, rmst = p["survival_at_known_until"], p["restricted_mean_s"]
        lo, hi = p["mean_range_s"]
        if p["chosen"] is None:
            mean = f"≥ {_minutes(p['mean_lower_bound_s'])}"
        elif p["identified"]:
            mean = (
                f"{_minutes(p['mean_s'])} ({_minutes(p['ci95_s'][0])}–{_minutes(p['ci95_s'][1])})"
            )
        else:
            mean = f"{_minutes(lo)}–{_minutes(hi)} (range)" if hi else f"≥ {_minutes(lo)}"
        table.add_row(
            name,
            str(p["gave_up_exact"] + p["gave_up_interval_censored"]),
            str(p["served_right_censored"]),
            _minutes(p["known_until_s"]),
            f"{s_tau['value']:.2f} ({s_tau['ci95'][0]:.2f}–{s_tau['ci95'][1]:.2f})",
            f"{_minutes(rmst['value'])} ({_minutes(rmst['ci95'][0])}–{_minutes(rmst['ci95'][1])})",
            p["chosen"] or "none gave up",
            mean,
        )
    return table
