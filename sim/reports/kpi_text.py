"""KPI values in people's units, for every table (terminal and HTML): waits in
minutes, shares in percent (differences of shares in percentage points),
counts as numbers. The one table of units and labels lives here."""

from __future__ import annotations

import math
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


def _decimals(key: str, precise: bool) -> int:
    """Decimals a KPI is shown with: waits and counts one; shares whole percent,
    one decimal when ``precise``."""
    return (1 if precise else 0) if unit(key) == "%" else 1


def format_value(
    value: float, key: str, *, signed: bool = False, precise: bool = False, extra: int = 0
) -> str:
    """One value of KPI ``key``: waits as minutes with one decimal, shares as
    whole percent (one decimal when ``precise``; ``+3pp`` for a signed
    difference), counts with one decimal and thousands separators; ``extra``
    more decimals where a CI half-width needs them to show."""
    sign = "+" if signed else ""
    places = _decimals(key, precise) + extra
    match unit(key):
        case "min":
            text = f"{value / 60:{sign}.{places}f}"
        case "%":
            text = f"{value * 100:{sign}.{places}f}" + ("pp" if signed else "%")
        case _:
            text = f"{value:{sign},.{places}f}"
    # a value a hair below zero (a t interval near 0, float noise) must not read as "-0.0"
    if text.startswith("-") and not any(c in "123456789" for c in text):
        text = sign + text[1:]
    return text


def extra_decimals(stat: Stat, key: str, *, precise: bool = False) -> int:
    """Decimals to add so that the CI half-width shows a digit: a positive
    half-width never reads as ``±0`` (at most three more)."""
    half = stat.half_width
    if not half:
        return 0
    scale = {"min": 1 / 60, "%": 100.0}.get(unit(key), 1.0)
    places = _decimals(key, precise)
    extra = 0
    while extra < 3 and round(half * scale, places + extra) == 0:
        extra += 1
    return extra


def half_width(stat: Stat, key: str, *, precise: bool = False, extra: int | None = None) -> str:
    """``±1.2`` (the 95% CI half-width in the KPI's unit, no ``%`` sign), or
    ``''`` without a CI or when every replication gave the same value (never
    ``±0``)."""
    half = stat.half_width
    if not half:
        return ""
    more = extra_decimals(stat, key, precise=precise) if extra is None else extra
    return "±" + format_value(half, key, precise=precise, extra=more).rstrip("%")


def format_stat(
    stat: Stat, key: str, *, with_ci: bool = True, signed: bool = False, precise: bool = False
) -> str:
    """``12.3±1.1``: the mean and, when asked and known, its CI half-width (both
    with the decimals the half-width needs to show); ``–`` without a mean."""
    if stat.mean is None:
        return "–"
    extra = extra_decimals(stat, key, precise=precise) if with_ci else 0
    mean = format_value(stat.mean, key, signed=signed, precise=precise, extra=extra)
    return mean + (half_width(stat, key, precise=precise, extra=extra) if with_ci else "")


def format_interval(stat: Stat, key: str, *, precise: bool = False) -> str:
    """``11.2 – 13.4``: the 95% CI, or ``–``."""
    lo, hi = stat.ci95
    if lo is None or hi is None:
        return "–"
    extra = extra_decimals(stat, key, precise=precise)
    return (
        f"{format_value(lo, key, precise=precise, extra=extra)} – "
        f"{format_value(hi, key, precise=precise, extra=extra)}"
    )


def mean_and_half(
    stat: Stat, key: str, *, signed: bool = False, precise: bool = False
) -> tuple[str, str]:
    """``("+0.6pp", "±0.4")``: the mean and its CI half-width apart (for a table
    cell that shows the half-width smaller), with the decimals the half-width
    needs; ``("–", "")`` without a mean."""
    if stat.mean is None:
        return "–", ""
    extra = extra_decimals(stat, key, precise=precise)
    mean = format_value(stat.mean, key, signed=signed, precise=precise, extra=extra)
    return mean, half_width(stat, key, precise=precise, extra=extra)


def minutes(seconds: float | None, decimals: int = 1) -> str:
    """A duration in minutes with thousands separators (``1,234.5``): ``–``
    when unknown, ``∞`` when unbounded."""
    if seconds is None or math.isnan(seconds):
        return "–"
    if math.isinf(seconds):
        return "∞" if seconds > 0 else "-∞"
    return f"{seconds / 60:,.{decimals}f}"


def minutes_range(lo: float | None, hi: float | None, decimals: int = 1) -> str:
    """``2.1–3.4``: an interval of durations in minutes (:func:`minutes` ends)."""
    return f"{minutes(lo, decimals)}–{minutes(hi, decimals)}"
