"""RFC 3339 timestamps parsed many at a time, to the same numbers a parsed
:class:`~datetime.datetime` gives.

:func:`parse_timestamps` reads the forms
``YYYY-MM-DD(T|t| )HH:MM:SS[.f{1,6}](Z|z|±HH:MM)`` with numpy over a matrix of
character codes, and vouches (``ok``) only for a stamp that pydantic would
accept and whose epoch time it computes exactly: a real calendar date in years
1 to 9999, a time within the day, an offset under 24 hours, and an instant
within 2**53 microseconds of 1970 (years 1685 to 2254). Every other string is
left to :class:`~sim.eventlog.events.Event` to judge. For each stamp it gives
what the fit reads of an event's time: epoch seconds (``datetime.timestamp()``
bit for bit: the exact count of microseconds divided by a million), the time
of day on the local wall clock (``hour * 3600 + minute * 60 + second +
microsecond / 1e6``), the local date (as an ordinal) and the UTC offset.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

_WIDTH = 32  # the longest form: 19 + 7 (fraction) + 6 (offset)
_EPOCH_ORDINAL = 719163  # date(1970, 1, 1).toordinal()
_EXACT_US = 2**53
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


@dataclass(frozen=True)
class Stamps:
    """Per stamp: ``ok`` (parsed and vouched for) and, where ok, epoch seconds,
    time of day (s), local date (ordinal) and UTC offset (s); zeros elsewhere."""

    ok: np.ndarray
    epoch_s: np.ndarray
    tod_s: np.ndarray
    day: np.ndarray
    offset_s: np.ndarray


def stamp_of(ts: datetime) -> tuple[float, float, int, int]:
    """What :func:`parse_timestamps` gives for one aware datetime."""
    offset = ts.utcoffset()
    assert offset is not None
    tod = ts.hour * 3600 + ts.minute * 60 + ts.second + ts.microsecond / 1e6
    return ts.timestamp(), tod, ts.date().toordinal(), offset.days * 86400 + offset.seconds


def parse_timestamps(stamps: list[str]) -> Stamps:
    """Parse ``stamps`` (see the module docstring)."""
    n = len(stamps)
    out = Stamps(
        np.zeros(n, dtype=bool),
        np.zeros(n),
        np.zeros(n),
        np.zeros(n, dtype=np.int64),
        np.zeros(n, dtype=np.int64),
    )
    length = np.fromiter(map(len, stamps), dtype=np.int64, count=n)
    fits = (length >= 20) & (length <= _WIDTH)
    if not fits.any():
        return out
    for size in np.unique(length[fits]).tolist():  # one form at a time: fixed columns
        rows = np.flatnonzero(length == size)
        codes = _characters([stamps[i] for i in rows.tolist()], size)
        last = codes[:, size - 1]
        zulu = (last == ord("Z")) | (last == ord("z"))
        for form, is_zulu in ((zulu, True), (~zulu, False)):
            if form.any():
                _parse_form(codes[form], is_zulu, rows[form], out)
    return out


def _characters(stamps: list[str], size: int) -> np.ndarray:
    """The character codes of ``stamps``, all ``size`` long, one row each: as
    bytes when they are ASCII (a log's usual case), else as 4-byte codes."""
    try:
        text = "".join(stamps).encode("ascii")
    except UnicodeEncodeError:
        return np.array(stamps, dtype=f"U{size}").view(np.uint32).reshape(len(stamps), size)
    return np.frombuffer(text, dtype=np.uint8).reshape(len(stamps), size)


def _parse_form(chars: np.ndarray, zulu: bool, rows: np.ndarray, out: Stamps) -> None:
    """Stamps of one length, all ending in ``Z`` (``zulu``) or all not: every
    part sits in the same columns."""
    size = chars.shape[1]
    tz_at = size - 1 if zulu else size - 6  # where the offset starts
    if not (tz_at == 19 or 21 <= tz_at <= 26):  # no fraction, or a dot and 1 to 6 digits
        return
    # every character less '0': a digit is 0 to 9, anything else wraps or exceeds 9
    digits = chars.astype(np.int32) - 48
    digit_cols = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, *range(20, tz_at)]
    if not zulu:
        digit_cols += [tz_at + 1, tz_at + 2, tz_at + 4, tz_at + 5]
    ok = ~(digits[:, digit_cols].view(np.uint32) > 9).any(axis=1)

    def is_(col: int, options: str) -> np.ndarray:
        found: np.ndarray = chars[:, col] == ord(options[0])
        for c in options[1:]:
            found |= chars[:, col] == ord(c)
        return found

    def number(lo: int, hi: int) -> np.ndarray:
        value: np.ndarray = digits[:, lo].astype(np.int64)
        for j in range(lo + 1, hi):
            value = value * 10 + digits[:, j]
        return value

    ok &= is_(4, "-") & is_(7, "-") & is_(10, "Tt ") & is_(13, ":") & is_(16, ":")
    year, month, mday = number(0, 4), number(5, 7), number(8, 10)
    hour, minute, second = number(11, 13), number(14, 16), number(17, 19)
    if tz_at == 19:
        frac_us = np.zeros(len(rows), dtype=np.int64)
    else:
        frac_us = number(20, tz_at) * 10 ** (26 - tz_at)
        ok &= is_(19, ".")
    if zulu:
        offset_s = np.zeros(len(rows), dtype=np.int64)
        off_h = off_m = offset_s
    else:
        off_h, off_m = number(tz_at + 1, tz_at + 3), number(tz_at + 4, tz_at + 6)
        sign = np.where(chars[:, tz_at] == ord("-"), -1, 1)
        offset_s = sign * (off_h * 3600 + off_m * 60)
        ok &= is_(tz_at, "+-") & is_(tz_at + 3, ":")

    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    dim = _DAYS_IN_MONTH[np.clip(month, 0, 12)] + ((month == 2) & leap)
    ok &= (year >= 1) & (month >= 1) & (month <= 12) & (mday >= 1) & (mday <= dim)
    ok &= (hour <= 23) & (minute <= 59) & (second <= 59) & (off_h <= 23) & (off_m <= 59)
    days = _days_from_civil(year, np.clip(month, 1, 12), mday)
    clock = hour * 3600 + minute * 60 + second
    epoch_us = (days * 86400 + clock - offset_s) * 1_000_000 + frac_us
    ok &= np.abs(epoch_us) < _EXACT_US
    good_rows = rows[ok]
    out.ok[good_rows] = True
    out.epoch_s[good_rows] = epoch_us[ok].astype(np.float64) / 1e6
    out.tod_s[good_rows] = clock[ok].astype(np.float64) + frac_us[ok].astype(np.float64) / 1e6
    out.day[good_rows] = days[ok] + _EPOCH_ORDINAL
    out.offset_s[good_rows] = offset_s[ok]


def _days_from_civil(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
    ``days_from_civil``); years from 1."""
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (month + np.where(month > 2, -3, 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    days: np.ndarray = era * 146097 + doe - 719468
    return days
