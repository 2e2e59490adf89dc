"""``hallsim fit`` for people: the one way a segment's mean patience is shown
(:func:`patience_mean`, on the terminal and on the report page alike) and the
terminal's tables (:func:`print_fit`)."""

from __future__ import annotations

import math

from rich.console import Console

from sim.calibration.patience import PatienceFit
from sim.calibration.summary import FitSummary
from sim.model.units import format_clock
from sim.reports.kpi_text import minutes, minutes_range
from sim.reports.tables import Table


def patience_mean(p: PatienceFit) -> tuple[str, str]:
    """A segment's mean patience in minutes as ``(value, qualifier)``:
    identified, the chosen family's mean and the range of means the log does
    not rule out (``("12.1", "10.2–14.5")``); without give-ups, or when no
    family bounds it above, ``("≥ 5.1", "lower bound")``; otherwise the range
    alone (``("8.0–31.0", "range")``)."""
    lo, hi = p.mean_range_s
    if p.chosen is not None and p.identified:
        return minutes(p.best.mean_s), minutes_range(lo, hi)
    if p.chosen is None or math.isinf(hi):
        return f"≥ {minutes(lo)}", "lower bound"
    return minutes_range(lo, hi), "range"


def _services_table(summary: FitSummary) -> Table:
    table = Table(title="Service times (speed 1)", title_justify="left", header_style="bold")
    for col in ("service", "n", "mean min", "95% CI", "family"):
        table.add_column(col, justify="left" if col in ("service", "family") else "right")
    for name, fit in summary.result.services.items():
        lo, hi = fit.mean_ci95_s
        table.add_row(
            name, str(fit.n), minutes(fit.mean_s, 2), minutes_range(lo, hi, 2), fit.chosen
        )
    return table


def _patience_table(summary: FitSummary) -> Table:
    """Per segment: give-ups, what the log identifies (S and the restricted mean
    up to the known wait) and the mean (:func:`patience_mean`)."""
    table = Table(title="Patience", title_justify="left", header_style="bold")
    columns = ("segment", "gave up", "served", "known to min", "S(known)", "mean to known",
               "family", "mean min")  # fmt: skip
    for col in columns:
        table.add_column(col, justify="left" if col in ("segment", "family") else "right")
    for name, p in summary.result.patience.items():
        s = p.survival
        s_lo, s_hi = s.survival_ci95
        value, qualifier = patience_mean(p)
        table.add_row(
            name,
            str(p.gave_up),
            str(p.right),
            minutes(s.known_until_s),
            f"{s.survival_at_tau:.2f} ({s_lo:.2f}–{s_hi:.2f})",
            f"{minutes(s.restricted_mean_s)} ({minutes_range(*s.restricted_mean_ci95_s)})",
            p.chosen or "none gave up",
            f"{value} ({qualifier})",
        )
    return table


def _remote_table(summary: FitSummary) -> tuple[Table, str] | None:
    """Per service, the share of tickets taken remotely, and a line on the travel time."""
    r = summary.result.remote
    if r is None:
        return None
    travel = r.travel
    line = (
        f"Travel to the hall: {travel.family}, mean {minutes(travel.mean_s)} min "
        f"({minutes_range(*travel.mean_ci95_s)}); {r.checked_in} checked in, "
        f"{r.censored} came too late (censored)"
        if travel is not None
        else "Travel to the hall: no holder checked in"
    )
    table = Table(title="Remote tickets", title_justify="left", header_style="bold")
    for col in ("service", "remote share", "95% CI"):
        table.add_column(col, justify="left" if col == "service" else "right")
    for name, share in r.share.items():
        lo, hi = share.ci95
        table.add_row(name, f"{share.share:.1%}", f"{lo:.1%}–{hi:.1%}")
    return table, line


def patience_lines(summary: FitSummary) -> list[str]:
    """Per segment, how far the log tells its patience and what lies beyond."""
    lines = []
    for name, p in summary.result.patience.items():
        known = p.survival.known_until_s / 60
        lines.append(
            f"{name}: patience is known up to about {known:.0f} minutes of waiting; "
            f"beyond that {'the fitted family is a guess' if p.chosen else 'nobody was seen'}"
            f"{'' if p.identified else ' (mean not identified: see the range)'}"
        )
    return lines


def print_fit(out: Console, summary: FitSummary) -> None:
    """What ``hallsim fit`` prints for people: the log, the service and patience
    tables, what the log says about patience beyond its waits, priorities and
    the weekday scenarios written."""
    r = summary.result
    a = r.arrivals
    told = "read from the log" if r.abandon_events_from == "log" else "as told"
    out.print(
        f"{r.tickets} tickets over {r.days} days, open {format_clock(a.open_s)}–"
        f"{format_clock(a.close_s)} ({r.timezone}), give-ups logged "
        f"{'exact' if r.exact_abandons else 'no_show'} ({told}) → {summary.out}",
        highlight=False,
    )
    out.print(_services_table(summary))
    out.print(_patience_table(summary))
    remote = _remote_table(summary)
    if remote is not None:
        out.print(remote[0])
        out.print(remote[1], highlight=False)
    for line in patience_lines(summary):
        out.print(line, highlight=False)
    shown = ", ".join(f"{k} {v}" for k, v in sorted(r.priorities.items(), key=lambda kv: kv[1]))
    out.print(f"Segment priorities (0 first, from dispatch order): {shown}", highlight=False)
    for wd, w in (summary.by_weekday or {}).items():
        out.print(
            f"{wd}: {w.arrivals.days} days, {w.arrivals.daily_mean:.0f} tickets/day → {w.out}",
            highlight=False,
        )
