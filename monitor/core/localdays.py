"""Unix microseconds to the hall's local date, for every event ingested: the
zone's offset looked up once per UTC hour and each date's text built once."""

from __future__ import annotations

from datetime import date, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from monitor.core.rows import EPOCH

_US = timedelta(microseconds=1)


class LocalDays:
    """Unix microseconds → the local date (ISO) in ``zone``, with the zone's offset
    looked up once per UTC hour and each date's text built once (ingest calls
    this for every event)."""

    _HOUR_US = 3_600_000_000
    _DAY_US = 86_400_000_000

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self._offsets: dict[int, int] = {}
        self._days: dict[int, str] = {}
        self._hours: dict[int, str] = {}  # UTC hour -> its local date, when it has only one

    def day(self, ts_us: int) -> str:
        hour = ts_us // self._HOUR_US
        text = self._hours.get(hour)
        if text is not None:
            return text
        text = self._day(ts_us, hour)
        if len(self._hours) < 100_000:  # a few years of hours; beyond, compute anew
            first = self._day(hour * self._HOUR_US, hour)
            if first == self._day((hour + 1) * self._HOUR_US - 1, hour) == text:
                self._hours[hour] = text
        return text

    def days(self, ts_us: list[int]) -> list[str]:
        """:meth:`day` of each of ``ts_us`` (a batch's times): the hours already
        known looked up without a Python call an event."""
        hours, hour_us = self._hours, self._HOUR_US
        found = [hours.get(ts // hour_us) for ts in ts_us]
        if None not in found:
            return cast(list[str], found)
        return [
            self.day(ts) if text is None else text for ts, text in zip(ts_us, found, strict=True)
        ]

    def _day(self, ts_us: int, hour: int) -> str:
        offset = self._offsets.get(hour)
        if offset is None:
            try:
                # the offset at the end of the hour: zones change on whole hours or halves,
                # so check both ends and fall back to an exact lookup when they differ
                at = (EPOCH + hour * self._HOUR_US * _US).astimezone(self.zone).utcoffset()
                end = (EPOCH + ((hour + 1) * self._HOUR_US - 1) * _US).astimezone(self.zone)
                if at != end.utcoffset():
                    exact = (EPOCH + ts_us * _US).astimezone(self.zone).utcoffset()
                    return self._text((ts_us + (exact or timedelta(0)) // _US) // self._DAY_US)
            except OverflowError:  # the last hours of year 9999: the local date is the last one
                return self._text(self._LAST_DAY)
            offset = self._offsets[hour] = (at or timedelta(0)) // _US
        return self._text((ts_us + offset) // self._DAY_US)

    _LAST_DAY = (date(9999, 12, 31) - date(1970, 1, 1)).days

    def _text(self, day_number: int) -> str:
        text = self._days.get(day_number)
        if text is None:
            last = min(day_number, self._LAST_DAY)
            text = self._days[day_number] = (EPOCH + timedelta(days=last)).date().isoformat()
        return text


def next_day(day: str) -> str:
    """The local date (ISO) after ``day``."""
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()
