"""``hallmon replay``: simulate a day of a scenario and post its events to a
running exporter, paced like the real day (sped up) or as fast as possible.
Thin: simulate with :mod:`sim`, send with :mod:`monitor.replay.client`. Register with
:func:`register` (``app.command("replay")(replay)``) in :mod:`monitor.cli.app`."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from monitor.cli.errors import fail, reported
from monitor.core.config import DEFAULT_PORT
from sim.eventlog.modes import AbandonMode
from sim.reports.terminal import err, progress_bar, stdout_console

if TYPE_CHECKING:  # httpx, numpy and the model load when the command runs
    from sim.eventlog.events import Event

# what to check when the server refuses a batch with this status
_HINTS = {
    401: "check --token or HALLMON_TOKEN",
    403: "the token is for another hall",
    404: "is the scenario's hall configured in the exporter?",
    413: "try a smaller --batch",
}


def replay(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    url: Annotated[
        str,
        typer.Option(
            "--url", help=f"The exporter's base URL, e.g. http://127.0.0.1:{DEFAULT_PORT}."
        ),
    ],
    token: Annotated[
        str,
        typer.Option("--token", envvar="HALLMON_TOKEN", help="Bearer token of the hall's ingest."),
    ],
    speed: Annotated[
        float,
        typer.Option(
            "--speed", min=0, help="Times real time (60: an hour in a minute); 0: no pacing."
        ),
    ] = 60.0,
    start: Annotated[
        datetime | None,
        typer.Option(
            "--start",
            formats=["%Y-%m-%d"],
            metavar="YYYY-MM-DD",
            help="The day's date in timestamps and ids (default: today in the hall's time zone).",
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed.")] = 1,
    replication: Annotated[
        int, typer.Option("--replication", min=0, help="Which simulated day of the seed.")
    ] = 0,
    batch: Annotated[
        int, typer.Option("--batch", min=1, help="At most this many per request.")
    ] = 500,
    retries: Annotated[
        int,
        typer.Option(
            "--retries", min=0, help="Retries per batch on no reply, 429 or 5xx, backing off."
        ),
    ] = 6,
    mode: Annotated[
        AbandonMode,
        typer.Option(
            "--mode",
            help="exact: log a give-up when it happens; "
            "no_show: only when the ticket is called and nobody comes (as a real hall does).",
        ),
    ] = AbandonMode.no_show,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Post the ticket-system events of a simulated day of SCENARIO to the exporter.

    Ids are stable and the exporter drops duplicates, so a retried batch or a
    second run never counts an event twice."""
    import httpx

    from monitor.replay.client import ReplayError, post_events
    from sim.eventlog.convert import day_events
    from sim.model.days import day_scenario
    from sim.model.hall import simulate
    from sim.model.scenario import load_scenario

    if not url.startswith(("http://", "https://")):
        raise fail("--url", f"{url!r} is not an http:// or https:// URL")
    with reported(str(scenario)):
        scn = load_scenario(scenario)
    if scn.stationary:
        raise fail(str(scenario), "horizon: replay needs opening days, not a stationary run")
    day = start.date() if start is not None else _today(scn.timezone)
    one_day = day_scenario(scn, day)  # the date's own weekday plan or holiday
    if one_day is None:
        where = "--start" if start is not None else str(scenario)
        why = f"{scn.hall} does not open on {day.isoformat()} (its week or holidays)"
        raise fail(where, f"{why}: give --start a date it opens")
    log = day_events(simulate(one_day, seed, replication), one_day, day, mode.value)
    if not as_json:
        _announce(log, scn.hall, day, speed)

    progress = progress_bar()
    task = progress.add_task(f"replaying {scn.hall}", total=len(log))
    acknowledged = 0

    def on_batch(events: Sequence[Event]) -> None:
        nonlocal acknowledged
        acknowledged += len(events)
        progress.update(
            task, advance=len(events), description=f"{scn.hall} {events[-1].ts:%H:%M:%S}"
        )

    def on_retry(attempt: int, delay_s: float, problem: str) -> None:
        progress.console.print(
            f"[yellow]warning:[/] {escape(problem)}; retry {attempt}/{retries} in {delay_s:.1f} s",
            highlight=False,
            soft_wrap=True,
        )

    try:
        with progress, httpx.Client(timeout=httpx.Timeout(30.0, connect=10.0)) as client:
            stats = post_events(
                client,
                url,
                scn.hall,
                token,
                log,
                speed=speed,
                batch=batch,
                retries=retries,
                on_batch=on_batch,
                on_retry=on_retry,
            )
    except ReplayError as exc:
        hint = _HINTS.get(exc.status or 0) if not exc.gave_up else None
        raise _fatal(
            url,
            f"{exc}{f' ({hint})' if hint else ''}\n"
            f"{exc.stats.events} of {len(log)} events acknowledged before; running again "
            "is safe (the exporter drops duplicates)",
        ) from None
    except KeyboardInterrupt:
        err.print(f"interrupted: {acknowledged} of {len(log)} events acknowledged", highlight=False)
        raise typer.Exit(code=130) from None

    summary: dict[str, object] = {
        "hall": scn.hall,
        "day": day.isoformat(),
        "seed": seed,
        "replication": replication,
        "mode": mode.value,
        "speed": speed,
        "events": len(log),
        "batches": stats.batches,
        "accepted": stats.accepted,
        "duplicates": stats.duplicates,
        "retries": stats.retries,
        "seconds": round(stats.seconds, 3),
    }
    if as_json:
        json.dump(summary, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        stdout_console().print(
            f"[bold]{scn.hall}[/] {summary['day']}: {stats.events} events in "
            f"{stats.batches} batches → {stats.accepted} accepted, "
            f"{stats.duplicates} duplicates, {stats.retries} retries, {stats.seconds:.1f} s",
            highlight=False,
        )


def register(app: typer.Typer) -> None:
    """Add ``replay`` to ``app`` (the ``hallmon`` CLI)."""
    app.command("replay")(replay)


def _today(zone: str) -> date:
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(zone)).date()


def _announce(log: Sequence[Event], hall: str, day: date, speed: float) -> None:
    if not log:
        err.print(f"{hall} {day}: no events to send", highlight=False)
        return
    span_s = (log[-1].ts - log[0].ts).total_seconds()
    pace = f"at {speed:g}× (about {_duration(span_s / speed)})" if speed > 0 else "unpaced"
    err.print(
        f"{hall} {day}: {len(log)} events {log[0].ts:%H:%M}–{log[-1].ts:%H:%M}, {pace}",
        highlight=False,
    )
    ahead = ahead_of_the_clock(log, speed, datetime.now(log[0].ts.tzinfo))
    if ahead:
        err.print(
            f"[yellow]note:[/] {len(ahead)} of {len(log)} events, from {ahead[0].ts:%H:%M}, "
            f"will be dated more than {AHEAD_S // 60} min ahead of the wall clock when sent: "
            "an exporter stores such events but does not count them. To watch a whole day "
            "now, replay a past day (--start) into a config with clock: events, as "
            "`make demo` (hallmon demo) does.",
            highlight=False,
            soft_wrap=True,
        )


AHEAD_S = 300  # the exporter's default future_slack


def ahead_of_the_clock(log: Sequence[Event], speed: float, now: datetime) -> list[Event]:
    """The events of ``log`` (in time order) that, sent from ``now`` on at
    ``speed`` (0: all at once), would be dated more than :data:`AHEAD_S` ahead
    of the wall clock when they arrive."""
    if not log:
        return []
    first = log[0].ts
    out = []
    for e in log:
        sent = now + (e.ts - first) / speed if speed > 0 else now
        if (e.ts - sent).total_seconds() > AHEAD_S:
            out.append(e)
    return out


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _fatal(url: str, message: str) -> typer.Exit:
    """Print ``hallmon: url: message`` on stderr; the caller raises the returned
    exit (status 1: the replay failed, the input was fine)."""
    return fail(url, message, code=1)
