"""``hallsim events`` for people: what was written, and a table of the events
by kind."""

from __future__ import annotations

from rich.console import Console

from sim.eventlog.summary import EventsSummary
from sim.reports.tables import Table


def print_events(out: Console, summary: EventsSummary) -> None:
    """The log written: hall, days, seed, how give-ups were logged, first and
    last time stamps and file, then the events of each kind and in all."""
    first = summary.first_ts.isoformat() if summary.first_ts else None
    last = summary.last_ts.isoformat() if summary.last_ts else None
    out.print(
        f"[bold]{summary.scenario}[/]: {summary.days} days from {summary.start.isoformat()}, "
        f"seed {summary.seed}, give-ups logged {summary.abandon_events}, "
        f"{first} … {last} → {summary.out}",
        highlight=False,
    )
    table = Table(header_style="bold")
    table.add_column("kind")
    table.add_column("events", justify="right")
    for kind, n in summary.by_kind.items():
        table.add_row(kind, str(n))
    table.add_row("[bold]all[/]", f"[bold]{summary.events}[/]")
    out.print(table)
