"""How long an open hall's ticket system may stay silent before that is news:
as long as the hall's own traffic explains. A hall of a hundred tickets a day
goes ten minutes without an event several times a healthy day; a busy one
almost never. The limit is :data:`SPELLS` mean gaps between the hall's
tickets at the day forecast's rate now (a gap between tickets lasts that long
about once in 1,100), never under :data:`FLOOR_S` nor over :data:`CEILING_S`,
and :data:`FLOOR_S` for a hall without a forecast. ``HallNoEvents`` pages past
it (:mod:`monitor.ops.feed_alerts` writes the same limit in PromQL) and the
pages call the hall silent past it (``silent_limit_s``)."""

from __future__ import annotations

FLOOR_S = 600
SPELLS = 7
CEILING_S = 7200


def silence_limit_s(tickets_per_hour: float | None) -> float:
    """The longest silence, seconds of hall time, that the hall's traffic
    explains at ``tickets_per_hour`` (the day forecast's, all services; None:
    no forecast)."""
    if tickets_per_hour is None:
        return float(FLOOR_S)
    spell = SPELLS * 3600 / tickets_per_hour if tickets_per_hour > 0 else float("inf")
    return min(max(spell, FLOOR_S), CEILING_S)
