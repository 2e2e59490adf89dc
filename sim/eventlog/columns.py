"""A JSON Lines event log read in bulk, a block of lines at a time: the fast
path of ``hallsim fit``.

:func:`read_batches` decodes each block with msgspec into one struct per event
kind, generated from :data:`~sim.eventlog.events.FIELDS_BY_KIND` (a field the
kind needs is required, one it may carry is optional, any other may only be
absent or null), and parses the block's timestamps together
(:mod:`sim.eventlog.stamps`). It vouches only for what it checks exactly as
:class:`~sim.eventlog.events.Event` does. Every other line (a timestamp in a
rarer form, a field present as null where it does not apply, anything msgspec
refuses) goes to :class:`Event` itself, which accepts it with the values it
always gave, or rejects it with the very :class:`~sim.eventlog.events.EventError`
that :func:`~sim.eventlog.events.read_jsonl` raises (file, line, field, value).
``tests/sim/eventlog/test_columns.py`` reads good and bad logs both ways.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import compress
from operator import attrgetter
from pathlib import Path
from typing import IO, Annotated, Any, Union

import msgspec
import numpy as np
from pydantic import ValidationError

from sim.eventlog.events import ReadStats
from sim.eventlog.schema import (
    _OPTIONAL,
    FIELDS_BY_KIND,
    KINDS,
    Event,
    EventError,
    event_error,
)
from sim.eventlog.stamps import parse_timestamps, stamp_of

BLOCK_BYTES = 4 << 20  # about 25,000 events: a batch's columns stay small
BOM = b"\xef\xbb\xbf"
_Name = Annotated[str, msgspec.Meta(min_length=1)]


def _kind_struct(kind: str) -> type[msgspec.Struct]:
    needed, allowed = FIELDS_BY_KIND[kind]
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = [
        ("id", _Name),
        ("hall", _Name),
        ("ts", str),
    ]
    fields += [(name, _Name) for name in _OPTIONAL if name in needed]
    fields += [
        (name, _Name | None if name in allowed else None, None)
        for name in _OPTIONAL
        if name not in needed
    ]
    return msgspec.defstruct(
        f"_{kind}",
        fields,
        tag=kind,
        tag_field="kind",
        forbid_unknown_fields=True,
        gc=False,  # strings only: nothing for the cycle collector to look at
    )


# one struct per kind, each with id, hall, ts, ticket, service, segment and
# counter (None where the field does not apply); _CODE: its kind's index in KINDS
_STRUCTS = tuple(_kind_struct(kind) for kind in KINDS)
_CODE = {struct: code for code, struct in enumerate(_STRUCTS)}
_DECODER: msgspec.json.Decoder[Any] = msgspec.json.Decoder(Union[_STRUCTS])  # noqa: UP007


@dataclass
class EventTimes:
    """Per event of a batch: its line, kind (index into :data:`KINDS`), time
    (epoch seconds), time of day (seconds after its local midnight), local
    date (ordinal) and UTC offset (seconds)."""

    line: np.ndarray
    kind: np.ndarray
    epoch_s: np.ndarray
    tod_s: np.ndarray
    day: np.ndarray
    offset_s: np.ndarray

    def times_at(
        self, keep: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The six columns where ``keep`` is True."""
        k = keep
        return (
            self.line[k],
            self.kind[k],
            self.epoch_s[k],
            self.tod_s[k],
            self.day[k],
            self.offset_s[k],
        )


@dataclass
class EventBatch(EventTimes):
    """Valid events of consecutive lines, in file order: their
    :class:`EventTimes` and ``rows`` (the kind's struct: ``row.ticket`` and so
    on, None where a field does not apply)."""

    rows: list[Any]
    _columns: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def column(self, name: str, at: np.ndarray | None = None) -> np.ndarray:
        """Field ``name`` of every event (an object array, kept for the next
        call), or of those at positions ``at``."""
        col = self._columns.get(name)
        if col is not None:
            return col if at is None else col[at]
        rows = self.rows if at is None else map(self.rows.__getitem__, at.tolist())
        count = len(self.rows) if at is None else len(at)
        col = np.fromiter(map(attrgetter(name), rows), dtype=object, count=count)
        if at is None:
            self._columns[name] = col
        return col

    def subset(self, keep: np.ndarray) -> EventBatch:
        """The events where ``keep`` is True."""
        if keep.all():
            return self
        batch = EventBatch(*self.times_at(keep), list(compress(self.rows, keep.tolist())))
        batch._columns = {name: col[keep] for name, col in self._columns.items()}
        return batch


def read_batches(
    path: str | Path, *, lenient: bool = False, stats: ReadStats | None = None
) -> Iterator[EventBatch]:
    """The events of the JSON Lines file ``path`` in batches. A bad line raises
    its :class:`EventError` once the events before it have been yielded (so a
    consumer meets problems in file order), or with ``lenient`` is skipped and
    counted in ``stats`` as by :func:`~sim.eventlog.events.read_jsonl`."""
    stats = stats if stats is not None else ReadStats()
    with open(path, "rb") as fh:
        for first_line, block, newlines in _blocks(fh):
            batch, error = _Block(block, first_line, newlines, str(path)).read(lenient, stats)
            if len(batch.rows):
                yield batch
            if error is not None:
                raise error


def _blocks(fh: IO[bytes]) -> Iterator[tuple[int, bytes, int]]:
    """``(number of its first line, block of whole lines, its newlines)`` over
    the file (each block's newlines counted once: it is a pass over 4 MB)."""
    line, rest = 1, b""
    while data := fh.read(BLOCK_BYTES):
        data = rest + data
        cut = data.rfind(b"\n") + 1
        block, rest = data[:cut], data[cut:]
        if block:
            newlines = block.count(b"\n")
            yield line, block, newlines
            line += newlines
    if rest:
        yield line, rest, 0


class _Block:
    """One block of lines, read into an :class:`EventBatch` and its errors."""

    def __init__(self, block: bytes, first_line: int, newlines: int, source: str) -> None:
        self.block, self.first_line, self.source = block, first_line, source
        self.newlines = newlines
        self._lines: list[bytes] | None = None
        self.items: list[Any] = []  # a kind's struct per event
        self.numbers: list[int] = []  # its line
        self.errors: list[EventError] = []
        self.stamps: dict[int, tuple[float, float, int, int]] = {}  # line -> the model's time

    @property
    def lines(self) -> list[bytes]:
        """The block's lines, each with its newline (as a file iterates them)."""
        if self._lines is None:
            pieces = self.block.split(b"\n")
            last = pieces.pop()
            self._lines = [piece + b"\n" for piece in pieces] + ([last] if last else [])
        return self._lines

    def text(self, line_no: int) -> bytes:
        raw = self.lines[line_no - self.first_line]
        return raw.removeprefix(BOM) if line_no == 1 else raw  # as Excel writes on line 1

    def read(self, lenient: bool, stats: ReadStats) -> tuple[EventBatch, EventError | None]:
        if not self._decode_all(stats):
            self._decode_each(lenient, stats)
        batch, keep = self._with_times()
        self.errors.sort(key=lambda e: e.line or 0)
        if self.errors and not lenient:
            first = self.errors[0]
            keep &= batch.line < (first.line or 0)
            return batch.subset(keep), first
        for error in self.errors:
            stats.skip(error)
        stats.events += int(keep.sum())
        return batch.subset(keep), None

    def _decode_all(self, stats: ReadStats) -> bool:
        """Decode the whole block at once; False unless every line is an event."""
        if self.first_line == 1 and self.block.startswith(BOM):
            return False
        try:
            rows = _DECODER.decode_lines(self.block)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return False
        n_lines = self.newlines + (not self.block.endswith(b"\n"))
        if len(rows) != n_lines:  # some were blank
            return False
        stats.lines += n_lines
        self.items = rows
        self.numbers = list(range(self.first_line, self.first_line + n_lines))
        return True

    def _decode_each(self, lenient: bool, stats: ReadStats) -> None:
        """One line at a time, as :func:`~sim.eventlog.events.read_jsonl` does."""
        for offset, raw in enumerate(self.lines):
            if raw.isspace() or not raw:
                continue
            stats.lines += 1
            line_no = self.first_line + offset
            text = self.text(line_no)
            try:
                item = _DECODER.decode(text)
            except (msgspec.DecodeError, msgspec.ValidationError):
                item = self._judged(line_no)
                if item is None:
                    if not lenient:
                        return
                    continue
            self.items.append(item)
            self.numbers.append(line_no)

    def _judged(self, line_no: int) -> Any:
        """What the model makes of line ``line_no``: the kind's struct for the
        event it accepts (its time noted, exactly as the model parsed it), or
        None with the error noted."""
        try:
            event = Event.model_validate_json(self.text(line_no))
        except ValidationError as exc:
            self.errors.append(event_error(exc, self.source, line_no))
            return None
        self.stamps[line_no] = stamp_of(event.ts)
        return _STRUCTS[KINDS.index(event.kind)](
            id=event.id,
            hall=event.hall,
            ts=event.ts.isoformat(),
            ticket=event.ticket,
            service=event.service,
            segment=event.segment,
            counter=event.counter,
        )

    def _with_times(self) -> tuple[EventBatch, np.ndarray]:
        """The items as a batch with their times; ``keep`` is False for a line
        the model rejected once the vector parser had not vouched for its time."""
        items, n = self.items, len(self.items)
        parsed = parse_timestamps(list(map(attrgetter("ts"), items)))
        batch = EventBatch(
            np.array(self.numbers, dtype=np.int64),
            np.fromiter(map(_CODE.__getitem__, map(type, items)), dtype=np.int8, count=n),
            parsed.epoch_s,
            parsed.tod_s,
            parsed.day,
            parsed.offset_s,
            items,
        )
        keep = np.ones(n, dtype=bool)
        for i in np.flatnonzero(~parsed.ok).tolist():
            line_no = self.numbers[i]
            if line_no not in self.stamps:
                item = self._judged(line_no)
                if item is None:
                    keep[i] = False
                    continue
                items[i] = item
                batch.kind[i] = _CODE[type(item)]
            stamp = self.stamps[line_no]
            batch.epoch_s[i], batch.tod_s[i], batch.day[i], batch.offset_s[i] = stamp
        return batch, keep
