"""``hallmon export``: a hall's stored events written back out in the one event
format, so that ``hallsim fit`` reads them unchanged. Thin: reading is
:class:`monitor.core.history.StoredEvents` (streaming, one day at a time),
writing :mod:`sim.eventlog.events`. Register with :func:`register` in
:mod:`monitor.cli.app`."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

import typer

from monitor.cli.errors import fail, reported

Format = Literal["jsonl", "csv"]


def _date(option: str, text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise fail(option, f"{text!r} is not a date (YYYY-MM-DD)") from None


def export(
    config: Annotated[Path, typer.Option("--config", "-c", help="The exporter's config YAML.")],
    hall: Annotated[str, typer.Option("--hall", help="The hall whose events to export.")],
    first: Annotated[
        str | None,
        typer.Option("--from", help="First local date (YYYY-MM-DD, included); default: the first."),
    ] = None,
    last: Annotated[
        str | None,
        typer.Option("--to", help="Last local date (YYYY-MM-DD, included); default: the last."),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="jsonl or csv (default: by --out's suffix, else jsonl)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="File to write (default: standard output).")
    ] = None,
    store: Annotated[
        Path | None, typer.Option(help="Event store file (default: the config's).")
    ] = None,
) -> None:
    """Write the hall's stored events, in event time, as JSON Lines or CSV:
    the input of `hallsim fit`. Runs beside a serving exporter (it only reads);
    events quarantined for being dated too far ahead are left out."""
    from monitor.cli.ops import NO_TOKENS
    from monitor.core.config import load_settings
    from monitor.core.history import StoredEvents
    from monitor.core.storelock import StoreError
    from sim.eventlog.events import event_format, write_csv, write_jsonl

    day_from, day_to = _date("--from", first), _date("--to", last)
    if day_from is not None and day_to is not None and day_to < day_from:
        raise fail("--to", f"{day_to} is before --from {day_from}")
    chosen: Format
    if fmt is not None:
        if fmt not in ("jsonl", "csv"):
            raise fail("--format", f"{fmt!r} is not jsonl or csv")
        chosen = "jsonl" if fmt == "jsonl" else "csv"
    elif out is not None:
        try:
            chosen = event_format(out)
        except ValueError as exc:
            raise fail("--out", str(exc).partition(": ")[2]) from None
    else:
        chosen = "jsonl"
    with reported(str(config)):
        settings = load_settings(config, environ=NO_TOKENS, store=store)
    if hall not in {h.id for h in settings.halls}:
        raise fail("--hall", f"{hall!r} is not a hall of {config}")
    try:
        source = StoredEvents(settings.store)
    except StoreError as exc:
        raise fail(str(settings.store), str(exc)) from None
    write = write_jsonl if chosen == "jsonl" else write_csv
    with source, reported(str(out or "stdout")):
        events = source.events(hall, day_from, day_to)
        if out is None:
            written = write(events, sys.stdout)
        else:
            partial = out.with_name(out.name + ".partial")
            written = write(events, partial)
            partial.replace(out)  # a reader never sees half a file under the final name
    typer.echo(f"hallmon: exported {written} events of {hall}", err=True)


def register(app: typer.Typer) -> None:
    app.command("export")(export)
