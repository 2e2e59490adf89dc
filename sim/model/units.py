"""Parsing people's units at the edge: durations (``90s``, ``15m``, ``1.5h``) and
times of day (``09:30``). Everything inside the package is seconds."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

_DURATION = re.compile(r"^\s*(-?(?:\d+(?:\.\d*)?|\.\d+))\s*(ms|s|m|min|h|d)?\s*$")
_FACTOR_S = {"ms": 0.001, "s": 1.0, None: 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")
_SPAN = re.compile(r"^\s*([0-9:]+)\s*-\s*([0-9:]+)\s*$")


def parse_duration_s(value: object) -> float:
    """Seconds in ``value``: a number of seconds or a string such as ``90s``,
    ``15m``, ``1.5h``. Raises ValueError for anything else or a negative value."""
    if isinstance(value, bool):
        raise ValueError("is not a duration (use e.g. 90s, 15m, 1.5h)")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        match = _DURATION.match(value)
        if match is None:
            raise ValueError("is not a duration (use e.g. 90s, 15m, 1.5h)")
        seconds = float(match.group(1)) * _FACTOR_S[match.group(2)]
    else:
        raise ValueError("is not a duration (use e.g. 90s, 15m, 1.5h)")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError("must be a finite, non-negative duration")
    return seconds


def parse_clock_s(value: object) -> float:
    """Seconds after local midnight for a time of day ``HH:MM`` (or ``HH:MM:SS``);
    ``24:00`` is allowed as the end of the day."""
    if not isinstance(value, str):
        raise ValueError("is not a time of day (use HH:MM, e.g. 09:30)")
    match = _CLOCK.match(value)
    if match is None:
        raise ValueError("is not a time of day (use HH:MM, e.g. 09:30)")
    hours, minutes, seconds = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
    if minutes > 59 or seconds > 59 or hours > 24 or (hours == 24 and (minutes or seconds)):
        raise ValueError("is not a valid time of day")
    return float(hours * 3600 + minutes * 60 + seconds)


def parse_span_s(value: object) -> tuple[float, float]:
    """``(start_s, end_s)`` of a span of the day written ``HH:MM-HH:MM``."""
    if not isinstance(value, str) or (match := _SPAN.match(value)) is None:
        raise ValueError("is not a span of the day (use HH:MM-HH:MM, e.g. 09:00-17:30)")
    start_s, end_s = parse_clock_s(match.group(1)), parse_clock_s(match.group(2))
    if end_s <= start_s:
        raise ValueError("ends before it starts")
    return start_s, end_s


def parse_steps(value: object, kind: type[int] | type[float]) -> tuple[tuple[float, float], ...]:
    """A piecewise-constant schedule: a single number (all day) or a mapping
    ``"HH:MM" -> value`` that holds from that time until the next key."""
    if isinstance(value, bool):
        raise ValueError("must be a number or a mapping HH:MM -> number")
    if isinstance(value, int | float):
        steps: list[tuple[float, float]] = [(0.0, float(value))]
        where = ["the value"]
    elif isinstance(value, Mapping):
        if not value:
            raise ValueError("must not be empty")
        steps, where = [], []
        for key, number in value.items():
            try:
                start_s = parse_clock_s(key)
            except ValueError as exc:
                raise ValueError(f"key {key!r} {exc}") from None
            if isinstance(number, bool) or not isinstance(number, int | float):
                raise ValueError(f"the value at {key} must be a number, not {number!r}")
            steps.append((start_s, float(number)))
            where.append(f"the value at {key}")
        if len({s for s, _ in steps}) != len(steps):
            raise ValueError("has the same time twice")
    else:
        raise ValueError("must be a number or a mapping HH:MM -> number")
    for (_, number), name in zip(steps, where, strict=True):
        if not math.isfinite(number) or number < 0:
            raise ValueError(f"{name} must be finite and non-negative, not {number:g}")
        if kind is int and number != int(number):
            raise ValueError(f"{name} must be a whole number, not {number:g}")
    return tuple(sorted(steps))


def format_clock(seconds: float) -> str:
    """``HH:MM`` for seconds after midnight (hours may pass 24 for a long run)."""
    total_min = round(seconds / 60.0)
    return f"{total_min // 60:02d}:{total_min % 60:02d}"


def format_duration(seconds: float) -> str:
    """The shortest people's form of a duration that reads back exactly:
    ``90s``, ``15m``, ``2h``, ``0.25s``."""
    if seconds == 0:
        return "0s"
    if seconds % 3600 == 0:
        return f"{int(seconds // 3600)}h"
    if seconds % 60 == 0:
        return f"{int(seconds // 60)}m"
    if float(seconds).is_integer():
        return f"{int(seconds)}s"
    return f"{seconds!r}s"
