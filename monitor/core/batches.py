"""Reading an ingest request's body: a JSON array of events, or JSON Lines.

A batch is all or nothing: :func:`parse_batch` returns every event, or raises
:class:`BatchInvalid` listing each bad event as ``{index, field, reason}``
(index 0-based in the array, or among the non-blank lines of JSON Lines).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter, ValidationError

from monitor.core.errors import Problem
from monitor.core.localdays import LocalDays
from monitor.core.store import EPOCH, Row
from sim.eventlog.events import Event, event_error

NDJSON_TYPES = ("application/x-ndjson", "application/jsonl", "application/json-lines")
BODY_TYPES = ("application/json", *NDJSON_TYPES)  # anything else: 415
_BATCH = TypeAdapter(list[Event])
_US = timedelta(microseconds=1)
MAX_ERRORS = 100  # a batch of garbage is reported by its first problems, not all
MAX_NAME_BYTES = 128  # ids and names, UTF-8: they become label values and index keys
MAX_DEPTH = 32  # JSON nesting; an event is 2 deep (array, object)
_NAMES = ("id", "hall", "ticket", "service", "segment", "counter")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # C0, DEL and C1
# what can open or close a level outside strings (a string is skipped whole)
_NESTING = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


class BatchInvalid(ValueError):
    """A batch with at least one bad event; ``errors`` says which and why."""

    def __init__(self, errors: list[Problem], size: int = 1) -> None:
        super().__init__(f"{len(errors)} invalid event(s)")
        self.errors = errors
        self.size = max(1, size)  # events in the batch (1 for a body that is no list)


# a day inside these bounds, in any time zone, is a valid date: beyond them the
# local date of an event cannot be computed
EARLIEST = datetime(1970, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, tzinfo=UTC)


def _checked(events: list[Event]) -> list[Event]:
    """``events``, or :class:`BatchInvalid` for those dated outside the range and
    those whose ids or names are too long or hold control characters."""
    errors: list[Problem] = []
    for i, e in enumerate(events):
        if not EARLIEST <= e.ts <= LATEST:
            reason = f"{e.ts.isoformat()} is outside {EARLIEST:%Y-%m-%d}..{LATEST:%Y-%m-%d}"
            errors.append(_problem(i, "ts", reason))
        ticket, service, segment, counter = (
            e.ticket or "",
            e.service or "",
            e.segment or "",
            e.counter or "",
        )
        # one look at all names: a text of at most 32 characters is at most 128 bytes
        longest = max(len(e.id), len(e.hall), len(ticket), len(service), len(segment), len(counter))
        if longest > MAX_NAME_BYTES // 4 or _CONTROL.search(
            f"{e.id}{e.hall}{ticket}{service}{segment}{counter}"
        ):
            errors.extend(_name_problems(i, e))
        if len(errors) >= MAX_ERRORS:
            break
    if errors:
        raise BatchInvalid(errors[:MAX_ERRORS], len(events))
    return events


def _name_problems(index: int, event: Event) -> list[Problem]:
    problems: list[Problem] = []
    for name in _NAMES:
        value: str | None = getattr(event, name)
        if value is None:
            continue
        size = len(value.encode("utf-8"))
        if size > MAX_NAME_BYTES:
            reason = f"is {size} bytes long; at most {MAX_NAME_BYTES} bytes (UTF-8) are allowed"
            problems.append(_problem(index, name, reason))
        elif found := _CONTROL.search(value):
            reason = f"contains a control character (U+{ord(found.group()):04X})"
            problems.append(_problem(index, name, reason))
    return problems


def too_deep(body: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether arrays and objects in ``body`` nest deeper than ``limit`` (JSON
    text; brackets inside strings do not count)."""
    depth = 0
    for match in _NESTING.finditer(body):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False


def _too_deep_problem(index: int | None) -> Problem:
    return _problem(index, None, f"is nested deeper than {MAX_DEPTH} levels")


def _problem(index: int | None, field: str | None, reason: str) -> Problem:
    return {"index": index, "field": field, "reason": reason}


def _event_problem(index: int, exc: ValidationError) -> Problem:
    error = event_error(exc, "body", None)
    message = error.message.replace("the line is not", "is not")  # an item, not a file line
    return _problem(index, error.field, message)


def parse_batch(body: bytes, content_type: str = "application/json") -> list[Event]:
    """The events of a request body (see the module docstring)."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media in NDJSON_TYPES:
        return _checked(_parse_lines(body))
    try:
        return _checked(_BATCH.validate_json(body))
    except ValidationError:
        pass  # the slow path below says which events are bad, one by one
    if too_deep(body):  # json.loads would recurse once per level
        raise BatchInvalid([_too_deep_problem(None)])
    try:
        items = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BatchInvalid([_problem(None, None, f"the body is not valid JSON ({exc})")]) from None
    if not isinstance(items, list):
        raise BatchInvalid(
            [_problem(None, None, "the body must be a JSON array of events (or JSON Lines)")]
        )
    errors: list[Problem] = []
    for i, item in enumerate(items):
        try:
            Event.model_validate(item)
        except ValidationError as exc:
            if len(errors) < MAX_ERRORS:
                errors.append(_event_problem(i, exc))
    if not errors:  # the JSON parser and the object validator disagree: report pydantic's
        try:
            _BATCH.validate_json(body)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            loc = first["loc"]
            index = loc[0] if loc and isinstance(loc[0], int) else None
            errors.append(_problem(index, None, str(first["msg"])))
    raise BatchInvalid(errors, len(items))


def _parse_lines(body: bytes) -> list[Event]:
    events: list[Event] = []
    errors: list[Problem] = []
    lines = [line for line in body.splitlines() if line.strip()]
    for index, line in enumerate(lines):
        try:
            events.append(Event.model_validate_json(line))
        except ValidationError as exc:
            if len(errors) < MAX_ERRORS:
                deep = too_deep(line)
                errors.append(_too_deep_problem(index) if deep else _event_problem(index, exc))
    if errors:
        raise BatchInvalid(errors, len(lines))
    return events


def other_halls(events: Sequence[Event], hall: str) -> list[Problem]:
    """Problems for events that name a hall other than ``hall``."""
    return [
        _problem(i, "hall", f"names hall {e.hall!r}, not {hall!r}")
        for i, e in enumerate(events)
        if e.hall != hall
    ][:MAX_ERRORS]


def to_rows(events: Sequence[Event], days: LocalDays | ZoneInfo) -> list[Row]:
    """Events as store rows: Unix microseconds, the hall's local date and the
    UTC offset the event was written with."""
    day = (days if isinstance(days, LocalDays) else LocalDays(days)).day
    rows: list[Row] = []
    append = rows.append
    for e in events:
        ts = e.ts
        ts_us = (ts - EPOCH) // _US
        offset = ts.utcoffset()
        append(
            Row(
                e.id, ts_us, day(ts_us), e.kind, e.ticket, e.service, e.segment, e.counter,
                0 if offset is None else offset.days * 86400 + offset.seconds,
            )
        )  # fmt: skip
    return rows
