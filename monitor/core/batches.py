"""Reading an ingest request's body: a JSON array of events, or JSON Lines,
into store rows, by the contract of :mod:`monitor.core.wire`.

A batch is all or nothing: :func:`read_batch` returns a row for every event,
or raises :class:`BatchInvalid` listing each bad event as ``{index, field,
reason}`` (index 0-based in the array, or among the non-blank lines of JSON
Lines), or :class:`OtherHalls` for events that name another hall than the
one posted to.

The body is decoded in one call into typed structs (msgspec, in C: field
names, types, lengths and kinds), then each event is checked in one Python
pass that is cheap for the common case (ASCII names, see
:mod:`monitor.core.names`) and turned into its row. Only a body that fails
is read again, item by item, to name every bad event.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Sequence
from datetime import timedelta
from operator import is_not
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import msgspec
from msgspec.structs import astuple

from monitor.core.errors import Problem
from monitor.core.localdays import LocalDays
from monitor.core.names import MAX_NAME_CHARS, name_problem, normalized
from monitor.core.rows import EPOCH, Row
from monitor.core.stamps import Stamps
from monitor.core.wire import RULES, TS_RULE
from sim.eventlog.events import Event, Kind

NDJSON_TYPES = ("application/x-ndjson", "application/jsonl", "application/json-lines")
BODY_TYPES = ("application/json", *NDJSON_TYPES)  # anything else: 415
_US = timedelta(microseconds=1)
MAX_ERRORS = 100  # a batch of garbage is reported by its first problems, not all
MAX_DEPTH = 32  # JSON nesting, for the item-by-item reading; an event is 2 deep
# what can open or close a level outside strings (a string is skipped whole)
_NESTING = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)

# Row's own __new__ is Python code (a third of a microsecond an event): the tuple
# is made at once, its fields in Row's order
_row: Callable[[tuple[Any, ...]], Row] = functools.partial(tuple.__new__, Row)
_Name = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_NAME_CHARS)]


class _Wire(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """An event as sent; :func:`_checked_row` applies the rest of the contract.
    Its fields are texts, so it can be in no reference cycle: not tracked by
    the cycle collector (``gc=False``), which would otherwise count each of a
    batch's 500 toward its next pass and traverse them in it."""

    id: _Name
    hall: _Name
    ts: str
    kind: Kind
    ticket: _Name | None = None
    service: _Name | None = None
    segment: _Name | None = None
    counter: _Name | None = None


_BATCH = msgspec.json.Decoder(list[_Wire])
_ONE = msgspec.json.Decoder(_Wire)
_ANY = msgspec.json.Decoder()


class BatchInvalid(ValueError):
    """A batch with at least one bad event; ``errors`` says which and why."""

    def __init__(self, errors: list[Problem], size: int = 1) -> None:
        super().__init__(f"{len(errors)} invalid event(s)")
        self.errors = errors
        self.size = max(1, size)  # events in the batch (1 for a body that is no list)


class OtherHalls(ValueError):
    """Events that name another hall than the one posted to; ``errors`` lists them."""

    def __init__(self, errors: list[Problem], size: int) -> None:
        super().__init__(f"{len(errors)} event(s) of another hall")
        self.errors = errors
        self.size = size


def _problem(index: int | None, field: str | None, reason: str) -> Problem:
    return {"index": index, "field": field, "reason": reason}


def read_batch(body: bytes, media: str, hall: str, days: LocalDays) -> list[Row]:
    """The rows of a request body of media type ``media`` (see the module
    docstring), each event's names in NFKC and its local date in ``days``."""
    if media in NDJSON_TYPES:
        lines = [line for line in body.splitlines() if line.strip()]
        try:
            wires = [_ONE.decode(line) for line in lines]
        except (msgspec.DecodeError, msgspec.ValidationError):
            raise BatchInvalid(_line_problems(lines, days), len(lines)) from None
    else:
        try:
            wires = _BATCH.decode(body)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise _array_problems(body, exc, days) from None
    rows = _plain_rows(wires, hall, days)
    if rows is not None:
        return rows
    rows = []
    problems: list[Problem] = []
    day, stamps = days.day, Stamps()
    for index, wire in enumerate(wires):
        row = _checked_row(wire, index, day, stamps, problems)
        if row is not None:
            rows.append(row)
        elif len(problems) >= MAX_ERRORS:
            break
    if problems:
        raise BatchInvalid(problems[:MAX_ERRORS], len(wires))
    wrong = [
        _problem(i, "hall", f"names hall {w.hall!r}, not {hall!r}")
        for i, w in enumerate(wires)
        if w.hall != hall and normalized(w.hall) != hall
    ]
    if wrong:
        raise OtherHalls(wrong[:MAX_ERRORS], len(wires))
    return rows


def _plain_rows(wires: list[_Wire], hall: str, days: LocalDays) -> list[Row] | None:
    """The rows of a batch in the common case, column by column (no Python
    call an event): every event of a shape its kind allows, of ``hall``,
    every name ASCII without control characters or spaces (so already in
    NFKC), every time read. None when any of it fails: :func:`read_batch`
    then reads the batch event by event, which names each problem (or
    normalizes the names)."""
    if not wires:
        return []
    ids, halls, times, kinds, tickets, services, segments, counters = zip(
        *map(astuple, wires), strict=True
    )
    nones = itertools.repeat(None)  # which names each event has, in C (no Python loop an event)
    shapes = set(
        zip(
            kinds,
            map(is_not, tickets, nones),
            map(is_not, services, nones),
            map(is_not, segments, nones),
            map(is_not, counters, nones),
            strict=True,
        )
    )
    if not shapes <= _KIND_SHAPES or halls.count(hall) != len(halls):
        return None
    names = "".join(
        [
            "".join(ids),
            *("".join(filter(None, names)) for names in (tickets, services, segments, counters)),
        ]
    )
    if not (names.isascii() and names.isprintable() and " " not in names and _plain(hall)):
        return None
    read = Stamps().read_all(times)
    if read is None:
        return None
    ts_us, offsets = read
    return list(
        map(
            _row,
            zip(ids, ts_us, days.days(ts_us), kinds, tickets, services, segments, counters,
                offsets, strict=True),
        )
    )  # fmt: skip


def _plain(name: str) -> bool:
    return name.isascii() and name.isprintable() and " " not in name


def _shapes(needed: tuple[str, ...], absent: tuple[str, ...]) -> frozenset[tuple[bool, ...]]:
    """Which of ticket, service, segment, counter may be present, as the tuples
    of presence a kind allows."""
    names = ("ticket", "service", "segment", "counter")
    options = [
        (True,) if name in needed else (False,) if name in absent else (False, True)
        for name in names
    ]
    return frozenset(itertools.product(*options))


# kind -> every presence of (ticket, service, segment, counter) it allows: one lookup an event
_SHAPES = {kind: _shapes(needed, absent) for kind, (needed, _, absent) in RULES.items()}
# (kind, *presence) of every event shape the contract allows: one set for a whole batch
_KIND_SHAPES = frozenset((kind, *shape) for kind, shapes in _SHAPES.items() for shape in shapes)


def _shape_problem(wire: _Wire, index: int) -> Problem:
    needed, _, absent = RULES[wire.kind]
    for field in needed:
        if getattr(wire, field) is None:
            return _problem(index, field, f"is required for {wire.kind}")
    field = next(f for f in absent if getattr(wire, f) is not None)
    return _problem(index, field, f"does not apply to {wire.kind}")


def _checked_row(
    wire: _Wire, index: int, day: Any, stamps: Stamps, problems: list[Problem]
) -> Row | None:
    """The row of one decoded event, or None with its problems added to ``problems``."""
    ticket, service, segment, counter = wire.ticket, wire.service, wire.segment, wire.counter
    shape = (ticket is not None, service is not None, segment is not None, counter is not None)
    if shape not in _SHAPES[wire.kind]:
        problems.append(_shape_problem(wire, index))
        return None
    stamp = stamps.read(wire.ts)
    if stamp is None:
        problems.append(_problem(index, "ts", f"{wire.ts[:64]!r} {TS_RULE}"))
        return None
    joined = f"{wire.id}{wire.hall}{ticket or ''}{service or ''}{segment or ''}{counter or ''}"
    # the common case, decided at once: ASCII, no control character, no space
    plain = joined.isascii() and joined.isprintable() and " " not in joined
    if not plain:
        found = False
        for field in ("id", "hall", "ticket", "service", "segment", "counter"):
            value = getattr(wire, field)
            if value is not None and (reason := name_problem(value)) is not None:
                problems.append(_problem(index, field, reason))
                found = True
        if found:
            return None
    ts_us, offset_s = stamp
    row = _row((wire.id, ts_us, day(ts_us), wire.kind, ticket, service, segment, counter, offset_s))
    if plain or joined.isascii():
        return row
    return row._replace(
        id=normalized(row.id),
        ticket=ticket and normalized(ticket),
        service=service and normalized(service),
        segment=segment and normalized(segment),
        counter=counter and normalized(counter),
    )


def _array_problems(body: bytes, exc: Exception, days: LocalDays) -> BatchInvalid:
    """Every bad event of a JSON array body that failed to decode whole."""
    if too_deep(body):
        return BatchInvalid([_too_deep_problem(None)])
    try:
        items = _ANY.decode(body)
    except (msgspec.DecodeError, RecursionError) as bad:
        return BatchInvalid([_problem(None, None, f"the body is not valid JSON ({bad})")])
    if not isinstance(items, list):
        return BatchInvalid(
            [_problem(None, None, "the body must be a JSON array of events (or JSON Lines)")]
        )
    problems: list[Problem] = []
    stamps = Stamps()
    for index, item in enumerate(items):
        try:
            wire = msgspec.convert(item, _Wire)
        except msgspec.ValidationError as bad:
            problems.append(_decode_problem(index, bad))
        else:
            _checked_row(wire, index, days.day, stamps, problems)
        if len(problems) >= MAX_ERRORS:
            break
    if not problems:  # cannot happen: the typed decoder failed on something
        problems.append(_problem(None, None, str(exc)))
    return BatchInvalid(problems, len(items))


def _line_problems(lines: list[bytes], days: LocalDays) -> list[Problem]:
    problems: list[Problem] = []
    stamps = Stamps()
    for index, line in enumerate(lines):
        try:
            wire = _ONE.decode(line)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            if too_deep(line):
                problems.append(_too_deep_problem(index))
            elif isinstance(exc, msgspec.ValidationError):
                problems.append(_decode_problem(index, exc))
            else:
                problems.append(_problem(index, None, f"is not valid JSON ({exc})"))
        else:
            _checked_row(wire, index, days.day, stamps, problems)
        if len(problems) >= MAX_ERRORS:
            break
    return problems


_AT = re.compile(r"^(?P<what>.*?)(?: - at `\$(?:\[\d+\])?(?:\.(?P<field>\w+))?`)?$", re.DOTALL)
_FIELD = re.compile(r"field `(?P<field>[^`]*)`")


def _decode_problem(index: int, exc: msgspec.ValidationError) -> Problem:
    """One event's decoding error in the words of the API."""
    match = _AT.match(str(exc))
    what = match["what"] if match else str(exc)
    field = match["field"] if match else None
    named = _FIELD.search(what)
    if what.startswith("Object missing required field") and named:
        return _problem(index, named["field"], "is required")
    if what.startswith("Object contains unknown field") and named:
        return _problem(index, named["field"], "is not an event field")
    if what.startswith("Expected `object`"):
        return _problem(index, None, "is not a JSON object")
    if field == "kind" and what.startswith("Invalid enum value"):
        return _problem(index, "kind", f"{what.removeprefix('Invalid enum value ')} is not a kind")
    if what.startswith("Expected `str` of length <="):
        return _problem(index, field, f"is longer than {MAX_NAME_CHARS} characters")
    if what.startswith("Expected `str` of length >="):
        return _problem(index, field, "is empty")
    return _problem(index, field, what.replace("Expected", "expected"))


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


def to_rows(events: Sequence[Event], days: LocalDays | ZoneInfo) -> list[Row]:
    """Validated events (of the simulator, or read from a file) as store rows:
    Unix microseconds, the hall's local date and the UTC offset the event was
    written with."""
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
