"""What a hall's day has shown so far, ticket by ticket, for the drift test of
the live stream against the hall's model (:mod:`sim.live.drift`): when each
ticket was issued, each completed service (end, service, counter, duration)
and each call whose outcome is known (the customer came, or was a no-show),
in Unix seconds. A pure function of the :class:`~monitor.core.tickets.Day`,
which :class:`~monitor.core.state.HallState` calls under its lock."""

from __future__ import annotations

from dataclasses import dataclass

from monitor.core.tickets import Day


@dataclass(frozen=True)
class Observed:
    """The day's tickets as the drift test reads them (Unix seconds)."""

    issued_s: tuple[float, ...]
    served_end_s: tuple[float, ...]
    served_service: tuple[str, ...]
    served_counter: tuple[str, ...]
    served_duration_s: tuple[float, ...]
    call_known_s: tuple[float, ...]  # when the call's outcome became known
    call_segment: tuple[str, ...]
    call_waited_s: tuple[float, ...]  # issue to first call
    call_no_show: tuple[bool, ...]


def observed(d: Day) -> Observed:
    """Every issued ticket of the day; its service once it ended served (at
    the counter whose call it answered: the latest call before the end); its
    call's outcome once the ticket ended (served, or a no-show or a give-up
    logged before it)."""
    issued: list[float] = []
    served: list[tuple[float, str, str, float]] = []
    calls: list[tuple[float, str, float, bool]] = []
    for t in d.tickets.values():
        if t.issue is None:
            continue
        issued_us, service, segment = t.issue
        issued.append(issued_us / 1e6)
        e = t.effect
        if not t.calls or t.end is None:
            continue
        end_us = t.end[0]
        if e.service_us is not None:
            answered = max((c for c in t.calls if c[0] <= end_us), default=t.calls[0])
            served.append((end_us / 1e6, service, answered[1], e.service_us / 1e6))
        if e.wait_us is not None:
            calls.append((end_us / 1e6, segment, e.wait_us / 1e6, e.gone))
    served.sort()
    calls.sort()
    return Observed(
        issued_s=tuple(sorted(issued)),
        served_end_s=tuple(s[0] for s in served),
        served_service=tuple(s[1] for s in served),
        served_counter=tuple(s[2] for s in served),
        served_duration_s=tuple(s[3] for s in served),
        call_known_s=tuple(c[0] for c in calls),
        call_segment=tuple(c[1] for c in calls),
        call_waited_s=tuple(c[2] for c in calls),
        call_no_show=tuple(c[3] for c in calls),
    )
