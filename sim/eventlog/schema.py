"""The event: one :class:`Event` per thing a hall's ticket system logs, its
kinds and which fields each needs (:data:`FIELDS_BY_KIND`), and the
:class:`EventError` a line that is not one raises. The files that hold events
(JSON Lines, CSV) are :mod:`sim.eventlog.events`.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import partial
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from sim.model.errors import InputError

Kind = Literal[
    "ticket_issued",
    "ticket_called",
    "service_ended",
    "ticket_abandoned",
    "ticket_no_show",
    "counter_opened",
    "counter_closed",
    "remote_ticket_issued",
    "ticket_checked_in",
]
KINDS: tuple[str, ...] = get_args(Kind)

# at one instant: a counter opens, then arrivals (tickets taken, remote holders
# checking in, who may then give up), then ends of service and no-shows free
# counters, which then call tickets, and a counter leaving closes last
KIND_ORDER: dict[str, int] = {
    "counter_opened": 0,
    "ticket_issued": 1,
    "remote_ticket_issued": 2,
    "ticket_checked_in": 3,
    "ticket_abandoned": 4,
    "service_ended": 5,
    "ticket_no_show": 6,
    "ticket_called": 7,
    "counter_closed": 8,
}
ISSUE_KINDS = frozenset({"ticket_issued", "remote_ticket_issued"})
"""The kinds that issue a ticket: at the hall, or remotely (its holder checks in later)."""


FIELDS = ("id", "hall", "ts", "kind", "ticket", "service", "segment", "counter")
_TICKET_EXTRAS = frozenset({"service", "segment"})
# kind -> (fields it needs, further fields it may carry); any other field must be absent
FIELDS_BY_KIND: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "ticket_issued": (frozenset({"ticket", "service", "segment"}), frozenset()),
    "ticket_called": (frozenset({"ticket", "counter"}), _TICKET_EXTRAS),
    "service_ended": (frozenset({"ticket", "counter"}), _TICKET_EXTRAS),
    "ticket_abandoned": (frozenset({"ticket"}), _TICKET_EXTRAS),
    "ticket_no_show": (frozenset({"ticket", "counter"}), _TICKET_EXTRAS),
    "counter_opened": (frozenset({"counter"}), frozenset()),
    "counter_closed": (frozenset({"counter"}), frozenset()),
    "remote_ticket_issued": (frozenset({"ticket", "service", "segment"}), frozenset()),
    "ticket_checked_in": (frozenset({"ticket"}), _TICKET_EXTRAS),
}
_OPTIONAL = ("ticket", "service", "segment", "counter")
_RULES = {
    kind: (
        tuple(f for f in _OPTIONAL if f in needed),
        tuple(f for f in _OPTIONAL if f not in needed | allowed),
    )
    for kind, (needed, allowed) in FIELDS_BY_KIND.items()
}

_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:[Zz]|[+-]\d{2}:\d{2})"
)
_NO_OFFSET = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?")


def _rfc3339(value: object) -> object:
    """Only RFC 3339 text (or an aware datetime) is a timestamp: pydantic alone
    would also take Unix seconds and dates without a time."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        if _RFC3339.fullmatch(value):
            return value
        if _NO_OFFSET.fullmatch(value):
            raise ValueError("has no UTC offset (RFC 3339 needs one, e.g. +08:00 or Z)")
    raise ValueError("is not an RFC 3339 timestamp (e.g. 2025-03-03T09:30:00+08:00)")


Name = Annotated[str, Field(min_length=1)]
Timestamp = Annotated[AwareDatetime, BeforeValidator(_rfc3339)]


class Event(BaseModel):
    """One logged event. ``ts`` is an aware datetime; a field that does not
    apply to ``kind`` is ``None`` (see :data:`FIELDS_BY_KIND`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Name
    """Unique per hall: an event sent again with the same id is the same event (acknowledged,
    not applied twice)."""
    hall: Name
    """The hall's id, as in its scenario and the exporter's config."""
    ts: Timestamp
    """When it happened: RFC 3339 with a UTC offset, e.g. ``2026-11-23T12:18:07.548404+08:00``."""
    kind: Kind
    """What happened; the kinds below say which other fields each needs."""
    ticket: Name | None = None
    """The ticket number, on every ticket event."""
    service: Name | None = None
    """The service the ticket was taken for: on ``ticket_issued`` and ``remote_ticket_issued``,
    and allowed on the ticket's later events."""
    segment: Name | None = None
    """The customer's segment (brand): on ``ticket_issued`` and ``remote_ticket_issued``, and
    allowed on the ticket's later events."""
    counter: Name | None = None
    """The counter: on calls, ends of service, no-shows, and a counter's opening and closing."""

    @model_validator(mode="after")
    def _fields_fit_the_kind(self) -> Event:
        needed, forbidden = _RULES[self.kind]
        for name in needed:
            if getattr(self, name) is None:
                raise _kind_error("missing_for_kind", "{field} is required for {kind}", name, self)
        for name in forbidden:
            if getattr(self, name) is not None:
                raise _kind_error("not_for_kind", "{field} does not apply to {kind}", name, self)
        return self

    def as_row(self) -> dict[str, str]:
        """The event as strings (RFC 3339 ``ts``), fields that do not apply left out."""
        row: dict[str, str] = self.model_dump(mode="json", exclude_none=True)
        return row


def _kind_error(error: str, template: str, name: str, event: Event) -> PydanticCustomError:
    return PydanticCustomError(error, template, {"field": name, "kind": event.kind})


class EventError(InputError):
    """A line that is not a valid event: ``source:line: field: message``.
    ``reason`` is a short key (``bad_json``, ``unknown_kind``, ...) for counting."""

    def __init__(
        self, message: str, *, reason: str, line: int | None, field: str | None, source: str
    ) -> None:
        self.message = message
        self.reason, self.line, self.field, self.source = reason, line, field, source
        where = source if line is None else f"{source}:{line}"
        super().__init__(f"{where}: {field}: {message}" if field else f"{where}: {message}")

    def __reduce__(self) -> tuple[Any, ...]:
        # pickled whole (a log read in a worker process raises it in the caller)
        where = partial(EventError, line=self.line, field=self.field, source=self.source)
        return partial(where, reason=self.reason), (self.message,)


# pydantic error type -> (reason, message in place of pydantic's, if any)
_REASONS: dict[str, tuple[str, str | None]] = {
    "json_invalid": ("bad_json", None),
    "model_type": ("not_an_object", "the line is not a JSON object"),
    "model_attributes_type": ("not_an_object", "the line is not a JSON object"),
    "missing": ("missing_field", "is required"),
    "missing_for_kind": ("missing_field", None),
    "not_for_kind": ("field_not_applicable", None),
    "extra_forbidden": ("unknown_field", "is not an event field"),
}


def event_error(exc: ValidationError, source: str, line: int | None) -> EventError:
    """The first problem of a failed :class:`Event` validation as an :class:`EventError`
    (field, short reason and a message without pydantic's jargon)."""
    first = exc.errors(include_url=False)[0]
    kind = first["type"]
    loc = [str(p) for p in first["loc"]]
    name = first.get("ctx", {}).get("field") if kind.endswith("_for_kind") else None
    name = name or (loc[0] if loc else None)
    reason, replacement = _REASONS.get(kind, ("bad_value", None))
    message = replacement or str(first["msg"]).removeprefix("Value error, ").removeprefix(
        f"{name} "
    )
    if name == "kind" and reason == "bad_value":
        reason, message = "unknown_kind", f"{first['input']!r} is not one of {', '.join(KINDS)}"
    elif name == "ts" and reason == "bad_value":
        problem = message.partition(", ")[2] if message.startswith("Input should") else ""
        detail = f"is not a valid timestamp ({problem})" if problem else message
        reason, message = "bad_timestamp", f"{first['input']!r} {detail}"
    elif kind == "json_invalid":
        message = f"not valid JSON ({first.get('ctx', {}).get('error', message)})"
    return EventError(message, reason=reason, line=line, field=name, source=source)
