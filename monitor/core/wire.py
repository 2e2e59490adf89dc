"""The ingest's wire format, as a contract: what an event in a request body
may be, written once as the JSON Schema of the OpenAPI document
(:func:`batch_schema`) and enforced by :mod:`monitor.core.batches` to the
letter, so that every request the schema allows is accepted and every one it
forbids is refused (Schemathesis checks both ways).

An event is an object of exactly the fields its ``kind`` takes
(:data:`sim.eventlog.events.FIELDS_BY_KIND`): those it needs are required
names, those it may carry are optional names, the others may only be absent
or ``null``. ``ts`` is RFC 3339 with a UTC offset (``T``, ``t`` or a space
between date and time, at most six digits of fractions of a second, ``Z`` or
``z`` for UTC), a real calendar date and time (no leap second) written
between 1970-01-02 and 9999-12-30. Names follow :mod:`monitor.core.names`.
"""

from __future__ import annotations

import re

from monitor.core.names import MAX_NAME_CHARS, NAME_PATTERN
from sim.eventlog.events import FIELDS, FIELDS_BY_KIND, KINDS

_D = "[0-9]"
_YEAR = f"(?:19[7-9]{_D}|[2-9]{_D}{{3}})"  # 1970-9999
_LEAP_YEAR = f"(?:{_D}{_D}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)"
_MONTH_DAY = (
    f"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]{_D}|3[01])"
    f"|(?:0[469]|11)-(?:0[1-9]|[12]{_D}|30)"
    f"|02-(?:0[1-9]|1{_D}|2[0-8]))"
)
# 1970-01-02..9999-12-30: whatever the offset, the local date of the event exists
# in every time zone (and Unix time of it is within what a datetime holds)
_DATE = f"(?!1970-01-01)(?!9999-12-31)(?={_YEAR}-)(?:{_D}{{4}}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
_TIME = f"[Tt ](?:[01]{_D}|2[0-3]):[0-5]{_D}:[0-5]{_D}(?:\\.{_D}{{1,6}})?"
_OFFSET = f"(?:[Zz]|[+-](?:[01]{_D}|2[0-3]):[0-5]{_D})"
TS_PATTERN = f"^{_DATE}{_TIME}{_OFFSET}$"
"""The JSON Schema ``pattern`` of ``ts`` (see the module docstring)."""
TS_RE = re.compile(TS_PATTERN.removesuffix("$") + r"\Z")
# the same pattern cut after the minutes (always 16 characters: the date has four
# digits of year) and the rest of it, with the numbers the reader needs as groups
TS_MINUTE_RE = re.compile(f"{_DATE}[Tt ](?:[01]{_D}|2[0-3]):[0-5]{_D}\\Z")
TS_REST_RE = re.compile(
    f":([0-5]{_D})(?:\\.({_D}{{1,6}}))?(?:[Zz]|([+-])([01]{_D}|2[0-3]):([0-5]{_D}))\\Z"
)
TS_RULE = (
    "is not an RFC 3339 time with a UTC offset, or is outside 1970-01-02..9999-12-30 "
    "(e.g. 2026-03-02T09:30:00+08:00)"
)

NAMES = ("id", "hall", "ticket", "service", "segment", "counter")
_OPTIONAL = ("ticket", "service", "segment", "counter")
# kind -> (fields it needs, fields it may carry, fields that must be absent or null)
RULES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    kind: (
        tuple(f for f in _OPTIONAL if f in needed),
        tuple(f for f in _OPTIONAL if f in allowed),
        tuple(f for f in _OPTIONAL if f not in needed | allowed),
    )
    for kind, (needed, allowed) in FIELDS_BY_KIND.items()
}


def name_schema(description: str) -> dict[str, object]:
    return {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_NAME_CHARS,
        "pattern": NAME_PATTERN,
        "description": description,
    }


_DESCRIPTIONS = {
    "id": "unique per hall; sent again with the same content it is a duplicate, "
    "with other content a conflict",
    "hall": "the hall of the path",
    "ticket": "the ticket number",
    "service": "the service the ticket is for",
    "segment": "the customer segment",
    "counter": "the counter",
}


def event_schema(kind: str) -> dict[str, object]:
    """The JSON Schema of one event of ``kind``."""
    needed, allowed, absent = RULES[kind]
    properties: dict[str, object] = {
        "id": name_schema(_DESCRIPTIONS["id"]),
        "hall": name_schema(_DESCRIPTIONS["hall"]),
        "ts": {
            "type": "string",
            "pattern": TS_PATTERN,
            "description": "RFC 3339 with a UTC offset, dated 1970-01-02..9999-12-30",
            "examples": ["2026-03-02T09:30:00+08:00"],
        },
        "kind": {"type": "string", "const": kind},
    }
    for field in needed:
        properties[field] = name_schema(_DESCRIPTIONS[field])
    for field in allowed:
        properties[field] = {"anyOf": [name_schema(_DESCRIPTIONS[field]), {"type": "null"}]}
    for field in absent:
        properties[field] = {"type": "null", "description": f"does not apply to {kind}"}
    return {
        "title": kind,
        "type": "object",
        "properties": {f: properties[f] for f in FIELDS},
        "required": ["id", "hall", "ts", "kind", *needed],
        "additionalProperties": False,
    }


def batch_schema() -> dict[str, object]:
    """The JSON Schema of a request body: an array of events, each one of the
    :func:`event_schema` of the kinds (``kind`` tells which)."""
    return {
        "type": "array",
        "items": {"oneOf": [event_schema(kind) for kind in KINDS]},
    }
