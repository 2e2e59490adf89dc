"""``GET /v1/halls/{hall}/quarantine``: the events a hall's ticket system sent
dated too far ahead of the wall clock. They are stored (the ticket system got
its acknowledgement) but never applied; this is where its owner sees them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from monitor.api.deps import MonitorDep, ServedHall, errors
from monitor.api.models import QuarantineBody, QuarantinedEvent
from monitor.api.views import rfc3339
from monitor.core.store import Row

router = APIRouter(prefix="/v1/halls", tags=["halls"])


def event_json(hall: str, row: Row) -> dict[str, str]:
    """A stored event in the event format (fields that do not apply left out)."""
    event = {"id": row.id, "hall": hall, "ts": row.time().isoformat(), "kind": row.kind}
    optional = {"ticket": row.ticket, "service": row.service, "segment": row.segment}
    event |= {k: v for k, v in (optional | {"counter": row.counter}).items() if v is not None}
    return event


@router.get("/{hall}/quarantine", responses=errors(404))
def quarantine(
    hall: ServedHall,
    monitor: MonitorDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="events to list")] = 100,
) -> QuarantineBody:
    """The hall's quarantined events, latest event time first: stored, never
    applied, because they were dated more than ``future_slack`` ahead of the
    wall clock when they arrived."""
    total, rows = monitor.quarantined(hall.id, limit)
    zone = monitor.zone(hall.id)
    events = [
        QuarantinedEvent(
            event=event_json(hall.id, row),
            quarantined_at=rfc3339(received_us / 1e6, zone) or "",
            ahead_s=(row.ts_us - received_us) / 1e6,
        )
        for row, received_us in rows
    ]
    return QuarantineBody(
        hall=hall.id, total=total, future_slack_s=monitor.settings.future_slack, events=events
    )
