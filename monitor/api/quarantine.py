"""``GET /v1/halls/{hall}/quarantine`` and ``/conflicts``: what a hall's
ticket system sent that is stored but never applied. Quarantined events were
dated too far ahead of the wall clock or ran time backwards within their
ticket; conflicts are other contents sent under an id the store holds. The
ticket system got its acknowledgement for both; this is where its owner sees
them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from monitor.api.deps import MonitorDep, ServedHall, errors
from monitor.api.models import (
    ConflictingEvent,
    ConflictsBody,
    QuarantineBody,
    QuarantinedEvent,
)
from monitor.api.views import rfc3339

router = APIRouter(prefix="/v1/halls", tags=["halls"])
Limit = Annotated[int, Query(ge=1, le=1000, description="events to list")]


@router.get("/{hall}/quarantine", responses=errors(404, 422))
def quarantine(hall: ServedHall, monitor: MonitorDep, limit: Limit = 100) -> QuarantineBody:
    """The hall's quarantined events, latest event time first: stored, never
    applied, because they were dated more than ``future_slack`` ahead of the
    wall clock when they arrived, or ran time backwards within their ticket
    (``reason``)."""
    total, rows = monitor.quarantined(hall.id, limit)
    zone = monitor.zone(hall.id)
    events = [
        QuarantinedEvent(
            event=row.event(hall.id),
            reason=reason,
            quarantined_at=rfc3339(received_us / 1e6, zone) or "",
            ahead_s=(row.ts_us - received_us) / 1e6,
        )
        for row, received_us, reason in rows
    ]
    return QuarantineBody(
        hall=hall.id, total=total, future_slack_s=monitor.settings.future_slack, events=events
    )


@router.get("/{hall}/conflicts", responses=errors(404, 422))
def conflicts(hall: ServedHall, monitor: MonitorDep, limit: Limit = 100) -> ConflictsBody:
    """Other contents the hall's ticket system sent under ids the store already
    holds, latest first: acknowledged, counted as
    ``hallmon_ingest_events_total{result="conflict"}``, never stored as events
    or applied. Each distinct version is listed once."""
    total, found = monitor.conflicts(hall.id, limit)
    zone = monitor.zone(hall.id)
    events = [
        ConflictingEvent(
            stored=row.event(hall.id),
            received=received,
            received_at=rfc3339(received_us / 1e6, zone) or "",
        )
        for row, received, received_us in found
    ]
    return ConflictsBody(hall=hall.id, total=total, events=events)
