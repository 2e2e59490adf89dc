"""KPI values in people's units, for every table (terminal and HTML): waits in
minutes, shares in percent (differences of shares in percentage points),
counts as numbers. The one table of units and labels lives here."""

from __future__ import annotations

from typing import Literal

from sim.model.summary import Stat

Unit = Literal["min", "%", ""]
RATE_KEYS = frozenset(
    {"service_level", "abandon_rate", "utilisation", "share", "no_show_rate", "early_call_rate"}
)
LABELS = {
    "arrivals": "Arrivals", "served": "Served", "abandoned": "Abandoned", "balked": "Balked",
    "unserved": "Not served by the end", "wait_mean_s": "Mean wait",
    "wait_p50_s": "Median wait", "wait_p90_s": "90th percentile wait",
    "wait_p95_s": "95th percentile wait", "service_level": "Service level",
    "abandon_rate": "Abandonment rate", "queue_mean": "Mean queue (customers)",
    "queue_max": "Max queue (customers)", "utilisation": "Counter utilisation",
    # remote tickets (sim.model.remote)
    "tickets": "Tickets", "share": "Share of counter customers",
    "no_shows": "No-shows", "no_show_rate": "No-show rate",
    "early_calls": "Called before arriving", "early_call_rate": "Called before arriving (share)",
    "wait_ticket_mean_s": "Mean wait from the ticket",
    "wait_ticket_p90_s": "90th percentile wait from the ticket",
    "wait_hall_mean_s": "Mean wait in the hall",
    "wait_hall_p90_s": "90th percentile wait in the hall",
    "saved_mean_s": "Mean time saved at home",
    "away_mean": "Mean holders on the way",
}  # fmt: skip


def unit(key: str) -> Unit:
    """The unit a KPI is shown in: ``min`` for waits (``*_s``), ``%`` for shares."""
    if key.endswith("_s"):
        return "min"
    return "%" if key in RATE_KEYS else ""


def label(key: str) -> str:
    """``Mean wait (min)``: the KPI's name for people, with its unit."""
    name = LABELS.get(key, key)
    return f"{name} (min)" if unit(key) == "min" else name


def format_value(value: float, key: str, *, signed: bool = False, precise: bool = False) -> str:
    """One value of KPI ``key``: waits as minutes with one decimal, shares as
    whole percent (one decimal when ``precise``; ``+3pp`` for a signed
    difference), counts with one decimal and thousands separators."""
    sign = "+" if signed else ""
    match unit(key):
        case "min":
            text = f"{value / 60:{sign}.1f}"
        case "%":
            text = f"{value * 100:{sign}.{1 if precise else 0}f}" + ("pp" if signed else "%")
        case _:
            text = f"{value:{sign},.1f}"
    # a value a hair below zero (a t interval near 0, float noise) must not read as "-0.0"
    if text.startswith("-") and not any(c in "123456789" for c in text):
        text = sign + text[1:]
    return text


def half_width(stat: Stat, key: str, *, precise: bool = False) -> str:
    """``±1.2`` (the 95% CI half-width in the KPI's unit, no ``%`` sign), or ``''``."""
    half = stat.half_width
    return "" if half is None else "±" + format_value(half, key, precise=precise).rstrip("%")


def format_stat(
    stat: Stat, key: str, *, with_ci: bool = True, signed: bool = False, precise: bool = False
) -> str:
    """``12.3±1.1``: the mean and, when asked and known, its CI half-width; ``–``
    without a mean."""
    if stat.mean is None:
        return "–"
    mean = format_value(stat.mean, key, signed=signed, precise=precise)
    return mean + (half_width(stat, key, precise=precise) if with_ci else "")


def format_interval(stat: Stat, key: str, *, precise: bool = False) -> str:
    """``11.2 – 13.4``: the 95% CI, or ``–``."""
    lo, hi = stat.ci95
    if lo is None or hi is None:
        return "–"
    return f"{format_value(lo, key, precise=precise)} – {format_value(hi, key, precise=precise)}"
