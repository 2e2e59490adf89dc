"""Hall time against wall time in the rules: a :class:`TimeScale` turns the
durations the rules are written in (hall time: ``30m`` of a hall's day) into
the durations Prometheus evaluates (wall time).

In production a hall's clock is the wall clock and the scale is 1: every
duration is written as it is, and the rules are byte for byte those of a
build without a scale. A replay or the demo runs a day ``factor`` times
faster than real time (``hallmon demo --speed 60``): every range window,
``for:`` duration and seconds threshold of the hall rules is divided by
``factor``, so that the alerts fire after the same stretch of *hall* time as
in production and the ladder climbs in the same order. Scaled durations are
whole seconds (rounded up, at least :data:`MIN_S`) written in the largest
unit that divides them (``360s`` is ``6m``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

MIN_S = 1  # Prometheus evaluates no faster than this in a scaled deployment
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"(\d+)([smhd])")


def duration_s(text: str) -> int:
    """Seconds of a one-unit Prometheus duration (``30m`` → 1800)."""
    match = _DURATION.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration such as 30s, 5m, 6h")
    return int(match[1]) * _UNIT_S[match[2]]


def duration_text(seconds: int) -> str:
    """``seconds`` as a Prometheus duration in its largest whole unit (1800 → ``30m``)."""
    for unit in ("d", "h", "m"):
        if seconds % _UNIT_S[unit] == 0 and seconds >= _UNIT_S[unit]:
            return f"{seconds // _UNIT_S[unit]}{unit}"
    return f"{seconds}s"


@dataclass(frozen=True)
class TimeScale:
    """``factor`` hall seconds pass per wall second (1: production)."""

    factor: float = 1.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.factor) and self.factor >= 1.0):
            raise ValueError(f"the time scale must be 1 or more, not {self.factor}")

    @property
    def real_time(self) -> bool:
        return self.factor == 1.0

    def wall_s(self, hall_s: float) -> int:
        """Whole wall seconds of ``hall_s`` hall seconds (at least :data:`MIN_S`)."""
        return max(MIN_S, math.ceil(hall_s / self.factor - 1e-9))

    def duration(self, hall: str) -> str:
        """The wall-time duration of the hall-time duration ``hall`` (``30m``);
        at 1× the text itself."""
        if self.real_time:
            return hall
        return duration_text(self.wall_s(duration_s(hall)))

    def seconds(self, hall_s: int) -> int:
        """A threshold of ``hall_s`` hall seconds in wall seconds; at 1× itself."""
        return hall_s if self.real_time else self.wall_s(hall_s)

    def hall_seconds(self, wall_expr: str) -> str:
        """PromQL of the wall seconds ``wall_expr`` counted in hall seconds (a
        silence measured on the wall clock); at 1× the expression itself."""
        return wall_expr if self.real_time else f"({wall_expr}) * {self.factor:g}"


REAL_TIME = TimeScale()
