"""The ``ts`` of an ingested event read to Unix microseconds, by the contract of
:mod:`monitor.core.wire`, without a ``datetime`` an event.

Ingest reads every event's time, and checking it against the contract's
pattern, parsing it into a ``datetime`` and taking the epoch off it cost more
than the rest of an event's checks together. A batch's events come from the
same few minutes, so :class:`Stamps` checks and converts a time's first 16
characters (date, hour and minute) once per distinct minute, from its date and
its time of day (each checked and converted once, remembered across batches:
a hall sends one date a day, and a day has 1,440 times of day), and the rest
(seconds and offset: a short pattern) once per distinct rest, remembered
across batches too (a rest is a pure function of its text, and there are
about sixty per UTC offset in use); a fraction of a second is only checked
for its digits. The result is exactly what the pattern and ``datetime.fromisoformat`` give
(``tests/monitor/core/test_stamps.py`` compares them).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from operator import add, methodcaller

from monitor.core.rows import EPOCH
from monitor.core.wire import TS_MINUTE_RE, TS_REST_RE

_MINUTE_CHARS = 16  # "2026-03-02T09:30"
_REST_CHARS = 9  # ":59+08:00", the longest rest without a fraction: a longer one is not a time
_SIX_DIGITS = methodcaller("ljust", 6, "0")  # a fraction's digits to microseconds ("" to 0)
_MAX_SEEN = 4096  # distinct minutes (and rests) remembered; beyond, the memory starts again
_UNSEEN = -1  # no minute is -1 Unix microseconds (they are whole minutes)
_NOT_SEEN = (0, -1)  # no rest has it: the offset -1 s has no form in the pattern
_EPOCH_DATE = EPOCH.date()
_MINUTE_US, _HOUR_US, _DAY_US = 60_000_000, 3_600_000_000, 86_400_000_000
# the rest without its fraction -> (microseconds to add to the minute, UTC offset in s), or
# None (not a time): shared by every batch of every hall (two threads writing one entry at once
# write the same value); a batch's minutes are its own (a day has 1,440 a hall)
_RESTS: dict[str, tuple[int, int] | None] = {}
# a batch's times split at once, one per line: minute, seconds, fraction digits, offset; what
# the parts must be is checked by the minute's and the rest's own patterns (``_minute``, ``_rest``)
_PARTS = re.compile(r"^(.{16})(:..)(?:\.([0-9]{1,6}))?([Zz]|[+-].....)$", re.MULTILINE)

# a minute is a date and a time of day, each checked by the minute's pattern (their parts are
# independent in it) and read once, shared like the rests: a batch's minutes are mostly new,
# its dates and times of day not (a day has 1,440 times of day, a hall one date)
_DAYS: dict[str, int | None] = {}  # "2026-03-02" -> Unix microseconds of its midnight as UTC
_CLOCKS: dict[str, int | None] = {}  # "T09:30" -> microseconds after midnight
_A_DATE, _A_CLOCK = "2000-01-01", "T00:00"  # what the pattern accepts, to check the other part


def _day(text: str) -> int | None:
    if len(_DAYS) >= _MAX_SEEN:
        _DAYS.clear()
    day_us: int | None = None
    if TS_MINUTE_RE.match(text + _A_CLOCK) is not None:
        day_us = (date.fromisoformat(text) - _EPOCH_DATE).days * _DAY_US
    _DAYS[text] = day_us
    return day_us


def _clock(text: str) -> int | None:
    if len(_CLOCKS) >= _MAX_SEEN:
        _CLOCKS.clear()
    clock_us: int | None = None
    if TS_MINUTE_RE.match(_A_DATE + text) is not None:
        clock_us = int(text[1:3]) * _HOUR_US + int(text[4:6]) * _MINUTE_US
    _CLOCKS[text] = clock_us
    return clock_us


class Stamps:
    """Reads ``ts`` texts; remembers the minutes it has seen and (with every
    other) the rests (seconds and offset), at most :data:`_MAX_SEEN` of each."""

    def __init__(self) -> None:
        # minute text -> Unix microseconds of that wall time read as UTC (None: not a time)
        self._minutes: dict[str, int | None] = {}
        self._rests = _RESTS

    def read(self, text: str) -> tuple[int, int] | None:
        """``(Unix microseconds, UTC offset in seconds)`` of ``text``, or None
        when it breaks the contract's pattern."""
        minute, rest = text[:_MINUTE_CHARS], text[_MINUTE_CHARS:]
        base: int | None = self._minutes.get(minute, _UNSEEN)
        if base == _UNSEEN:
            base = self._minute(minute)
        if base is None:
            return None
        fraction_us = 0
        if rest[3:4] == ".":  # a fraction of a second: remembered without it
            cut = -1 if rest[-1:] in ("Z", "z") else -6  # the offset is Z or ±hh:mm
            digits = rest[4:cut]
            if not 0 < len(digits) <= 6 or not digits.isdigit() or not digits.isascii():
                return None
            fraction_us = int(digits.ljust(6, "0"))
            rest = rest[:3] + rest[cut:]
        after = self._rests.get(rest, _NOT_SEEN)
        if after is _NOT_SEEN:
            after = self._rest(rest)
        if after is None:
            return None
        return base + after[0] + fraction_us, after[1]

    def read_all(self, texts: Sequence[str]) -> tuple[list[int], list[int]] | None:
        """What :meth:`read` says of each of ``texts`` (a batch's times), as two
        lists (Unix microseconds, UTC offsets in seconds); None when one of them
        is not a time (:meth:`read` then tells which). The texts are split by
        one regular expression over them all, each distinct minute and rest is
        read once, and the rest is done in C: no Python code an event."""
        joined = "\n".join(texts)
        if joined.count("\n") != len(texts) - 1:
            return None  # a line break inside a time: not a time (and the lines would not line up)
        parts = _PARTS.findall(joined)
        if len(parts) != len(texts) or not parts:  # each line is matched whole once, or not at all
            return None
        # the parts as columns, and what follows in C: each time's minute and rest looked up,
        # added to its fraction (the rest is the seconds alone when the batch has one offset)
        minutes, seconds, fractions, offsets = zip(*parts, strict=True)
        bases: dict[str, int] = {}
        for minute in set(minutes):
            base = self._minutes.get(minute, _UNSEEN)
            if base == _UNSEEN:
                base = self._minute(minute)
            if base is None:
                return None
            bases[minute] = base
        one_offset = len(set(offsets)) == 1
        rests = seconds if one_offset else list(map(add, seconds, offsets))
        after_us: dict[str, int] = {}
        offset_s: dict[str, int] = {}
        for rest in set(rests):
            whole = rest + offsets[0] if one_offset else rest
            after = self._rests.get(whole, _NOT_SEEN)
            if after is _NOT_SEEN:
                after = self._rest(whole)
            if after is None:
                return None
            after_us[rest], offset_s[rest] = after
        ts_us = list(
            map(
                add,
                map(add, map(bases.__getitem__, minutes), map(after_us.__getitem__, rests)),
                map(int, map(_SIX_DIGITS, fractions)),
            )
        )
        if one_offset:  # the common batch: one UTC offset for all
            return ts_us, [offset_s[rests[0]]] * len(parts)
        return ts_us, list(map(offset_s.__getitem__, rests))

    def _minute(self, minute: str) -> int | None:
        if len(self._minutes) >= _MAX_SEEN:
            self._minutes.clear()
        base: int | None = None
        if len(minute) == _MINUTE_CHARS:
            day = _DAYS.get(minute[:10], _UNSEEN)
            if day == _UNSEEN:
                day = _day(minute[:10])
            clock = _CLOCKS.get(minute[10:], _UNSEEN)
            if clock == _UNSEEN:
                clock = _clock(minute[10:])
            if day is not None and clock is not None:
                base = day + clock
        self._minutes[minute] = base
        return base

    def _rest(self, rest: str) -> tuple[int, int] | None:
        if len(rest) > _REST_CHARS:  # not remembered: ts has no length limit of its own
            return None
        if len(self._rests) >= _MAX_SEEN:
            self._rests.clear()
        after: tuple[int, int] | None = None
        found = TS_REST_RE.match(rest)
        if found is not None:
            seconds, fraction, sign, hours, minutes = found.groups()
            us = int(seconds) * 1_000_000 + int((fraction or "").ljust(6, "0"))
            offset_s = 0 if sign is None else int(hours) * 3600 + int(minutes) * 60
            if sign == "-":
                offset_s = -offset_s
            after = (us - offset_s * 1_000_000, offset_s)
        self._rests[rest] = after
        return after
