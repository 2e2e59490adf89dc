"""The event format shared by the simulator's output, ``fit``'s input and the
monitor's ingest: one :class:`Event` per thing a hall's ticket system logs, and
streaming readers and writers for JSON Lines and CSV.

An event has ``id`` (unique per hall), ``hall``, ``ts`` (RFC 3339 with a UTC
offset), ``kind`` and, where they apply, ``ticket``, ``service``, ``segment``
and ``counter`` (:data:`FIELDS_BY_KIND` says which kind needs and allows which).
Readers never hold more than one line in memory; a bad line raises an
:class:`EventError` naming the source, line number and field, or, when reading
leniently, is skipped and counted by reason in a :class:`ReadStats`.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Annotated, Any, Literal, get_args

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

from sim.eventlog.modes import AbandonEvents as AbandonEvents
from sim.eventlog.modes import AbandonMode as AbandonMode
from sim.model.errors import InputError

Kind = Literal[
    "ticket_issued",
    "ticket_called",
    "service_ended",
    "ticket_abandoned",
    "ticket_no_show",
    "counter_opened",
    "counter_closed",
]
KINDS: tuple[str, ...] = get_args(Kind)

# at one instant: a counter opens, then arrivals, then ends of service and
# no-shows free counters, which then call tickets, and a counter leaving closes last
KIND_ORDER: dict[str, int] = {
    "counter_opened": 0,
    "ticket_issued": 1,
    "ticket_abandoned": 2,
    "service_ended": 3,
    "ticket_no_show": 4,
    "ticket_called": 5,
    "counter_closed": 6,
}


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
    """The service the ticket was taken for: on ``ticket_issued``, and allowed on the ticket's
    later events."""
    segment: Name | None = None
    """The customer's segment (brand): on ``ticket_issued``, and allowed on the ticket's later
    events."""
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


@dataclass
class ReadStats:
    """What a reader saw: non-blank data lines, events returned, and lines skipped
    (lenient mode) by reason, with the first few errors as examples."""

    lines: int = 0
    events: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    examples: list[EventError] = field(default_factory=list)

    def skip(self, error: EventError, keep: int = 5) -> None:
        self.skipped[error.reason] += 1
        if len(self.examples) < keep:
            self.examples.append(error)


class EventStream(Iterator[Event]):
    """The events of one file, read lazily; ``stats`` fills in as it is consumed."""

    def __init__(self, events: Iterator[Event], stats: ReadStats) -> None:
        self._events = events
        self.stats = stats

    def __next__(self) -> Event:
        return next(self._events)

    def __enter__(self) -> EventStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop reading and close the file (when the reader opened it)."""
        close = getattr(self._events, "close", None)
        if close is not None:
            close()


Source = str | Path | IO[str] | IO[bytes]
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


def _source_name(source: Source) -> str:
    path = source if isinstance(source, str | Path) else getattr(source, "name", "<stream>")
    return str(path)


def _opened(source: Source, mode: str) -> AbstractContextManager[IO[Any]]:
    if isinstance(source, str | Path):
        if "b" in mode:
            return open(source, mode)
        return open(source, mode, encoding="utf-8", newline="")
    return nullcontext(source)


def _without_bom(line: str | bytes) -> str | bytes:  # as Excel writes on line 1
    if isinstance(line, bytes):
        return line.removeprefix(b"\xef\xbb\xbf")
    return line.removeprefix("\ufeff")


def read_jsonl(
    source: Source, *, lenient: bool = False, stats: ReadStats | None = None
) -> EventStream:
    """Events from a JSON Lines file or stream, one object per line, blank lines
    ignored. Raises :class:`EventError` at the first bad line, or with
    ``lenient`` skips it and counts it in ``stats`` (also the stream's ``.stats``)."""
    stats = stats if stats is not None else ReadStats()
    return EventStream(_jsonl_events(source, lenient, stats), stats)


def _jsonl_events(source: Source, lenient: bool, stats: ReadStats) -> Iterator[Event]:
    name = _source_name(source)
    parse = Event.model_validate_json
    with _opened(source, "rb") as fh:
        for line_no, line in enumerate(fh, 1):
            if line.isspace() or not line:
                continue
            stats.lines += 1
            try:
                # bytes go to pydantic undecoded: bad UTF-8 is reported like bad JSON
                event = parse(_without_bom(line) if line_no == 1 else line)
            except ValidationError as exc:
                error = event_error(exc, name, line_no)
                if not lenient:
                    raise error from None
                stats.skip(error)
                continue
            stats.events += 1
            yield event


def read_csv(
    source: Source, *, lenient: bool = False, stats: ReadStats | None = None
) -> EventStream:
    """Events from a CSV file or stream with a header row naming event fields
    (``id, hall, ts, kind`` at least); an empty cell is a field that does not
    apply. Errors and ``lenient`` as for :func:`read_jsonl`; a bad header always
    raises."""
    stats = stats if stats is not None else ReadStats()
    return EventStream(_csv_events(source, lenient, stats), stats)


def _csv_events(source: Source, lenient: bool, stats: ReadStats) -> Iterator[Event]:
    name = _source_name(source)
    bad_lines: set[int] = set()

    def decoded(lines: Iterable[str | bytes]) -> Iterator[str]:
        for line_no, line in enumerate(lines, 1):
            try:
                text = line.decode("utf-8") if isinstance(line, bytes) else line
                yield text.removeprefix("\ufeff") if line_no == 1 else text
            except UnicodeDecodeError:
                bad_lines.add(line_no)
                yield line.decode("utf-8", errors="replace")  # type: ignore[union-attr]

    def error(message: str, reason: str, line: int, column: str | None = None) -> EventError:
        return EventError(message, reason=reason, line=line, field=column, source=name)

    with _opened(source, "rb") as fh:
        reader = csv.reader(decoded(fh))
        header = next(reader, None)
        if header is None:
            return
        for column in header:
            if column not in FIELDS:
                raise error("is not an event field", "unknown_field", 1, column)
        for column in ("id", "hall", "ts", "kind"):
            if column not in header:
                raise error("column is missing", "missing_field", 1, column)
        last_line = reader.line_num
        for row in reader:
            first_line, last_line = last_line + 1, reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            stats.lines += 1
            try:
                if bad_lines and not bad_lines.isdisjoint(range(first_line, last_line + 1)):
                    raise error("is not UTF-8", "bad_encoding", last_line)
                if len(row) != len(header):
                    raise error(
                        f"has {len(row)} cells, the header {len(header)}", "bad_row", last_line
                    )
                try:
                    event = Event.model_validate(
                        {k: v for k, v in zip(header, row, strict=True) if v != ""}
                    )
                except ValidationError as exc:
                    raise event_error(exc, name, last_line) from None
            except EventError as exc:
                if not lenient:
                    raise
                stats.skip(exc)
                continue
            stats.events += 1
            yield event


def write_jsonl(events: Iterable[Event], dest: str | Path | IO[str]) -> int:
    """Write ``events`` as JSON Lines (as they come: nothing is held) and return
    how many were written."""
    n = 0
    with _opened(dest, "w") as fh:
        for event in events:
            fh.write(event.model_dump_json(exclude_none=True) + "\n")
            n += 1
    return n


def write_csv(events: Iterable[Event], dest: str | Path | IO[str], *, header: bool = True) -> int:
    """Write ``events`` as CSV with the columns of :data:`FIELDS` (a header row
    first unless ``header`` is False) and return how many were written."""
    n = 0
    with _opened(dest, "w") as fh:
        writer = csv.DictWriter(fh, FIELDS, lineterminator="\n")
        if header:
            writer.writeheader()
        for event in events:
            writer.writerow(event.as_row())
            n += 1
    return n


EventFormat = Literal["jsonl", "csv"]
_FORMATS: dict[str, EventFormat] = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}


def event_format(path: str | Path) -> EventFormat:
    """The format of an event file by its suffix (``.jsonl``, ``.ndjson``, ``.csv``);
    ValueError for any other."""
    suffix = Path(path).suffix.lower()
    if suffix not in _FORMATS:
        raise ValueError(f"{path}: unknown event file type {suffix!r} (use .jsonl or .csv)")
    return _FORMATS[suffix]


def read_events(
    path: str | Path, *, lenient: bool = False, stats: ReadStats | None = None
) -> EventStream:
    """Read a ``.jsonl`` (``.ndjson``) or ``.csv`` event file, chosen by suffix."""
    read = read_csv if event_format(path) == "csv" else read_jsonl
    return read(path, lenient=lenient, stats=stats)


def write_events(events: Iterable[Event], path: str | Path) -> int:
    """Write a ``.jsonl`` (``.ndjson``) or ``.csv`` event file, chosen by suffix."""
    if event_format(path) == "csv":
        return write_csv(events, path)
    return write_jsonl(events, path)
