"""A hall is open by its own date's hours: the flagship's week opens it at 10:00
on Saturdays and Sundays (09:00 on weekdays), and a holiday's hours hold on
that date (``hall_open`` and the nowcast follow them)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from monitor.api.views import hall_state, hall_summary
from monitor.core.config import Settings
from monitor.core.hallinfo import hall_info
from monitor.core.snapshot import HallView
from monitor.core.state import HallState

ZONE = ZoneInfo("Asia/Shanghai")


def test_opening_hours_follow_the_week_and_the_holidays(settings: Settings) -> None:
    flagship = next(h for h in settings.halls if h.id == "flagship")
    state = HallState(flagship)

    def is_open(year: int, month: int, day: int, hour: int, minute: int) -> bool:
        return state.is_open(datetime(year, month, day, hour, minute, tzinfo=ZONE).timestamp())

    assert is_open(2026, 3, 6, 9, 30) and is_open(2026, 3, 6, 20, 30)  # a Friday: 09:00-21:00
    assert not is_open(2026, 3, 7, 9, 30) and is_open(2026, 3, 7, 10, 30)  # Saturday from 10:00
    assert not is_open(2026, 3, 7, 18, 30)  # ... to 18:00
    assert not is_open(2026, 3, 8, 17, 30)  # Sunday to 17:00
    assert is_open(2027, 1, 1, 10, 30) and not is_open(2027, 1, 1, 16, 30)  # 元旦: 10:00-16:00


def test_the_published_hours_are_those_of_the_day(settings: Settings) -> None:
    """``/state`` and ``/v1/halls`` (and the pages that read them) name the
    hours of the hall's own date: a Saturday's 10:00-18:00, not the base
    09:00-21:00; null on a day the hall does not open."""
    flagship = next(h for h in settings.halls if h.id == "flagship")
    state = HallState(flagship)
    info = hall_info(flagship)

    def published(
        year: int, month: int, day: int, hour: int, minute: int
    ) -> tuple[str | None, str | None]:
        live = state.snapshot(datetime(year, month, day, hour, minute, tzinfo=ZONE).timestamp())
        view = HallView(info=info, live=live, forecast=None, nowcast=None, ingested={})
        body, line = hall_state(view, ZONE), hall_summary(view, ZONE)
        assert (body.opens, body.closes) == (line.opens, line.closes)
        return body.opens, body.closes

    assert published(2026, 3, 6, 12, 0) == ("09:00", "21:00")  # a Friday
    assert published(2026, 3, 7, 12, 0) == ("10:00", "18:00")  # Saturday
    assert published(2026, 3, 8, 8, 0) == ("10:00", "17:00")  # Sunday, before opening
    assert published(2027, 1, 1, 12, 0) == ("10:00", "16:00")  # 元旦
