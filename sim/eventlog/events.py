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
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from pydantic import (
    ValidationError,
)

from sim.eventlog.modes import AbandonEvents as AbandonEvents
from sim.eventlog.modes import AbandonMode as AbandonMode
from sim.eventlog.schema import (
    FIELDS,
    FIELDS_BY_KIND,
    ISSUE_KINDS,
    KIND_ORDER,
    KINDS,
    Event,
    EventError,
    Kind,
    Timestamp,
    event_error,
)

# the event itself is sim.eventlog.schema's; importers of this module get it here too
__all__ = [
    "FIELDS",
    "FIELDS_BY_KIND",
    "ISSUE_KINDS",
    "KINDS",
    "KIND_ORDER",
    "AbandonEvents",
    "AbandonMode",
    "Event",
    "EventError",
    "EventFormat",
    "EventStream",
    "Kind",
    "ReadStats",
    "Timestamp",
    "event_error",
    "event_format",
    "read_csv",
    "read_events",
    "read_jsonl",
    "write_csv",
    "write_events",
    "write_jsonl",
]  # fmt: skip


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
