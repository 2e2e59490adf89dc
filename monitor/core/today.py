"""What a hall's tickets of today add up to, beyond the running counts: the queue
per statistics interval (on the forecast's terms, so actual and forecast compare
directly) and the percentiles of the waits. Pure functions of the day's
:class:`TicketSpan`s, computed for the JSON views only (a scrape never pays
for them)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from monitor.core.snapshot import TicketSpan

QUANTILES: tuple[tuple[str, float], ...] = (("p50", 0.50), ("p90", 0.90), ("p95", 0.95))


@dataclass(frozen=True, slots=True)
class IntervalActual:
    """One statistics interval of today for one service, up to ``now``:
    ``queue`` is the time-average number of tickets waiting over the elapsed part
    (a ticket waits from issue until its first call, or until it is logged as
    given up), ``issued`` the tickets issued in it, ``wait_mean_s`` the mean wait
    of those of them already called (None: none yet)."""

    queue: float
    issued: int
    called: int
    wait_mean_s: float | None


@dataclass(frozen=True, slots=True)
class WaitQuantiles:
    """Waits (issue to first call, no-shows included) of the tickets called so
    far: ``n`` of them, nearest-rank percentiles and the longest."""

    n: int
    quantiles_s: dict[str, float]
    max_s: float


def queue_end_s(span: TicketSpan, now_s: float) -> float:
    """When the ticket stopped waiting (its first call, or its give-up), or
    ``now_s`` while it still waits."""
    ends = [t for t in (span.called_s, span.left_s) if t is not None]
    return min(ends) if ends else now_s


def interval_actuals(
    spans: Sequence[TicketSpan],
    services: Sequence[str],
    bounds_s: Sequence[tuple[float, float]],
    now_s: float,
) -> list[dict[str, IntervalActual]]:
    """Per interval ``(start, end)`` (Unix seconds) that has begun by ``now_s``,
    each service's :class:`IntervalActual`; services not in ``services`` that
    appear in ``spans`` are added after them."""
    names = list(services) + sorted({s.service for s in spans} - set(services))
    begun = [(lo, hi) for lo, hi in bounds_s if lo < now_s]
    queue_s = [dict.fromkeys(names, 0.0) for _ in begun]  # ticket-seconds waited
    issued = [dict.fromkeys(names, 0) for _ in begun]
    waits: list[dict[str, list[float]]] = [{n: [] for n in names} for _ in begun]
    for span in spans:
        start, end = span.issued_s, min(queue_end_s(span, now_s), now_s)
        for i, (lo, hi) in enumerate(begun):
            if hi <= start:
                continue
            if lo >= end and not lo <= start < hi:
                break
            overlap = min(end, hi) - max(start, lo)
            if overlap > 0:
                queue_s[i][span.service] += overlap
            if lo <= start < hi:
                issued[i][span.service] += 1
                if span.called_s is not None:
                    waits[i][span.service].append(max(0.0, span.called_s - span.issued_s))
    out = []
    for i, (lo, hi) in enumerate(begun):
        elapsed = min(hi, now_s) - lo
        out.append(
            {
                name: IntervalActual(
                    queue=queue_s[i][name] / elapsed,
                    issued=issued[i][name],
                    called=len(waits[i][name]),
                    wait_mean_s=math.fsum(waits[i][name]) / len(waits[i][name])
                    if waits[i][name]
                    else None,
                )
                for name in names
            }
        )
    return out


def wait_quantiles(spans: Sequence[TicketSpan]) -> dict[str, WaitQuantiles]:
    """Per service, and over all services as ``"*"``, the waits of today's
    called tickets; a service with none called is left out."""
    by_service: dict[str, list[float]] = {}
    for span in spans:
        if span.called_s is not None:
            wait = max(0.0, span.called_s - span.issued_s)
            by_service.setdefault(span.service, []).append(wait)
    if by_service:
        by_service["*"] = [w for waits in by_service.values() for w in waits]
    return {service: _quantiles(waits) for service, waits in by_service.items()}


def _quantiles(waits: list[float]) -> WaitQuantiles:
    ordered = sorted(waits)
    n = len(ordered)
    return WaitQuantiles(
        n=n,
        quantiles_s={
            name: ordered[max(0, math.ceil(q * n) - 1)] for name, q in QUANTILES
        },  # nearest rank: the smallest wait at or above which q of them lie
        max_s=ordered[-1],
    )
