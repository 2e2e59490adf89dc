"""Reading an ingest request's body: a JSON array of events, or JSON Lines.

A batch is all or nothing: :func:`parse_batch` returns every event, or raises
:class:`BatchInvalid` listing each bad event as ``{index, field, reason}``
(index 0-based in the array, or among the non-blank lines of JSON Lines).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter, ValidationError

from monitor.store import Row
from sim.events import Event, event_error

NDJSON_TYPES = ("application/x-ndjson", "application/jsonl", "application/json-lines")
_BATCH = TypeAdapter(list[Event])
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
MAX_ERRORS = 100  # a batch of garbage is reported by its first problems, not all


class BatchInvalid(ValueError):
    """A batch with at least one bad event; ``errors`` says which and why."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(errors)} invalid event(s)")
        self.errors = errors


def _problem(index: int | None, field: str | None, reason: str) -> dict[str, Any]:
    return {"index": index, "field": field, "reason": reason}


def _event_problem(index: int, exc: ValidationError) -> dict[str, Any]:
    error = event_error(exc, "body", None)
    return _problem(index, error.field, error.message)


def parse_batch(body: bytes, content_type: str = "application/json") -> list[Event]:
    """The events of a request body (see the module docstring)."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media in NDJSON_TYPES:
        return _parse_lines(body)
    try:
        return _BATCH.validate_json(body)
    except ValidationError:
        pass  # the slow path below says which events are bad, one by one
    try:
        items = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BatchInvalid([_problem(None, None, f"the body is not valid JSON ({exc})")]) from None
    if not isinstance(items, list):
        raise BatchInvalid(
            [_problem(None, None, "the body must be a JSON array of events (or JSON Lines)")]
        )
    errors: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        try:
            Event.model_validate(item)
        except ValidationError as exc:
            errors.append(_event_problem(i, exc))
            if len(errors) >= MAX_ERRORS:
                break
    if not errors:  # the JSON parser and the object validator disagree: report pydantic's
        try:
            _BATCH.validate_json(body)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            loc = first["loc"]
            index = loc[0] if loc and isinstance(loc[0], int) else None
            errors.append(_problem(index, None, str(first["msg"])))
    raise BatchInvalid(errors)


def _parse_lines(body: bytes) -> list[Event]:
    events: list[Event] = []
    errors: list[dict[str, Any]] = []
    index = 0
    for line in body.splitlines():
        if not line.strip():
            continue
        try:
            events.append(Event.model_validate_json(line))
        except ValidationError as exc:
            errors.append(_event_problem(index, exc))
            if len(errors) >= MAX_ERRORS:
                break
        index += 1
    if errors:
        raise BatchInvalid(errors)
    return events


def other_halls(events: Sequence[Event], hall: str) -> list[dict[str, Any]]:
    """Problems for events that name a hall other than ``hall``."""
    return [
        _problem(i, "hall", f"names hall {e.hall!r}, not {hall!r}")
        for i, e in enumerate(events)
        if e.hall != hall
    ][:MAX_ERRORS]


def to_rows(events: Sequence[Event], zone: ZoneInfo) -> list[Row]:
    """Events as store rows: Unix microseconds and the local date in ``zone``."""
    rows: list[Row] = []
    for e in events:
        ts = e.ts
        rows.append(
            Row(
                e.id,
                (ts - _EPOCH) // _US,
                ts.astimezone(zone).date().isoformat(),
                e.kind,
                e.ticket,
                e.service,
                e.segment,
                e.counter,
                ts.isoformat(),
            )
        )
    return rows
