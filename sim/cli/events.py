"""``hallsim events``: a simulated hall's ticket-system log over consecutive days.
Thin: load, call :mod:`sim.eventlog.convert`, write with :mod:`sim.eventlog.events`."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sim.cli.options import ScenarioArg
from sim.eventlog.modes import AbandonMode
from sim.reports.terminal import emit_json, err, fail, load_or_fail, progress_bar, stdout_console

if TYPE_CHECKING:  # numpy and the model load when the command runs, not at start-up
    from sim.eventlog.events import Event


class _OutOfOrder(Exception):
    """A day's log starts before the previous day's ended."""


def events(
    scenario: ScenarioArg,
    days: Annotated[int, typer.Option("--days", min=1, help="Consecutive opening days.")],
    start: Annotated[
        datetime, typer.Option("--start", formats=["%Y-%m-%d"], help="First day (YYYY-MM-DD).")
    ],
    seed: Annotated[int, typer.Option(min=0, help="Seed; day i is replication i.")] = 1,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write to FILE, .jsonl or .csv (default: stdout, JSON Lines)."),
    ] = None,
    abandon_events: Annotated[
        AbandonMode,
        typer.Option(
            "--abandon-events",
            help="exact: log a give-up when it happens (as the simulation knows it); "
            "no_show: only when the ticket is called and nobody comes (as a real hall does).",
        ),
    ] = AbandonMode.no_show,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the summary as JSON (needs --out).")
    ] = False,
) -> None:
    """Write the ticket-system events of DAYS simulated opening days of SCENARIO.

    Events come in time order, with timestamps in the hall's time zone."""
    from sim.eventlog.convert import day_events, simulate_days
    from sim.eventlog.events import KINDS, event_format, write_csv, write_jsonl
    from sim.eventlog.summary import EventsSummary
    from sim.reports.events import print_events

    scn = load_or_fail(scenario)
    if scn.stationary:
        raise fail(f"{scenario}: horizon: events need opening days, not a stationary run")
    if as_json and out is None:
        raise fail("--json needs --out: without it the events go to stdout")
    try:
        fmt = event_format(out) if out is not None else "jsonl"
    except ValueError as exc:
        raise fail(f"--out: {exc}") from None

    counts: Counter[str] = Counter()
    bounds: dict[str, datetime] = {}
    progress = progress_bar()

    def logged() -> Iterator[Event]:
        task = progress.add_task(f"simulating {scn.hall}", total=days)
        for day, records in simulate_days(scn, days, start.date(), seed):
            log = day_events(records, scn, day, abandon_events.value)
            if log:
                if log[0].ts < bounds.get("last", log[0].ts):
                    raise _OutOfOrder(f"{day}: the day starts before the previous one ended")
                bounds.setdefault("first", log[0].ts)
                bounds["last"] = log[-1].ts
                counts.update(e.kind for e in log)
            yield from log
            progress.advance(task)

    try:
        with progress:
            if out is None:
                n = write_jsonl(logged(), sys.stdout)
                sys.stdout.flush()
            elif fmt == "csv":
                n = write_csv(logged(), out)
            else:
                n = write_jsonl(logged(), out)
    except BrokenPipeError:  # the reader stopped early (`| head`): not an error
        _silence_stdout()
        return
    except OSError as exc:
        raise fail(f"{exc.filename or out}: cannot write ({exc.strerror})") from None
    except _OutOfOrder as exc:
        raise fail(str(exc)) from None

    summary = EventsSummary(
        scenario=scn.hall,
        start=start.date(),
        days=days,
        seed=seed,
        abandon_events=abandon_events.value,
        timezone=scn.timezone,
        out=str(out) if out is not None else None,
        events=n,
        by_kind={kind: counts[kind] for kind in KINDS if kind in counts},
        first_ts=bounds.get("first"),
        last_ts=bounds.get("last"),
    )
    if as_json:
        emit_json(summary.to_json())
    elif out is None:
        err.print(f"{n} events of {days} days of {scn.hall}", highlight=False)
    else:
        print_events(stdout_console(), summary)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's last flush of a closed
    pipe does not fail."""
    with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
