"""A hall's snapshot is taken again from its day only when something was
applied (or a day began): in between, the last one is reused with the clock
moved on. Checked against a state that never reuses (a fresh one, given the
same events): equal after every batch, at any later time, across a late event
of the previous day and a new day begun by the wall clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from monitor.core.batches import to_rows
from monitor.core.config import Hall, Settings
from monitor.core.snapshot import LiveSnapshot
from monitor.core.state import HallState
from monitor.core.store import Row
from sim.eventlog.events import Event


def wall_hall(settings: Settings) -> Hall:
    return settings.halls[0].model_copy(update={"clock": "wall"})


def fresh(settings: Settings, rows: list[Row], now_s: float, wall_s: float) -> LiveSnapshot:
    state = HallState(settings.halls[0], wall_clock=lambda: wall_s)
    state.apply(rows)
    return state.snapshot(now_s)


def test_reused_snapshots_equal_fresh_ones_through_a_day(
    settings: Settings, county_day: list[Event]
) -> None:
    wall_s = county_day[-1].ts.timestamp() + 60  # after the day: every event applies
    state = HallState(settings.halls[0], wall_clock=lambda: wall_s)
    rows = to_rows(county_day, state.zone)
    done: list[Row] = []
    step = max(1, len(rows) // 25)
    waited = 0
    for i in range(0, len(rows), step):
        batch = rows[i : i + step]
        state.apply(batch)
        done += batch
        now = batch[-1].ts_us / 1e6
        for later_s in (0.0, 7.5, 120.0, 3600.0):  # the same state, the clock moving on
            ours = state.snapshot(now + later_s)
            assert ours == fresh(settings, done, now + later_s, wall_s), (i, later_s)
            waited += sum(ours.oldest_wait_s.values()) > 0
    assert waited  # some moments had tickets waiting, whose waits grew with the clock


def test_a_late_event_of_the_day_before_moves_the_last_event(settings: Settings) -> None:
    """With the wall clock a new day begins at midnight without an event; an
    event of the day before still moves the hall's latest event (its
    counts are not applied): the reused snapshot must show it."""
    zone = ZoneInfo(settings.halls[0].scenario.timezone)
    evening = datetime(2026, 3, 2, 17, 0, tzinfo=zone)
    wall = [evening.timestamp()]
    state = HallState(wall_hall(settings), wall_clock=lambda: wall[0])

    def issued(n: int, at: datetime) -> list[Row]:
        event = Event(
            id=f"e{n}",
            hall="county",
            kind="ticket_issued",
            ts=at,
            ticket=f"T{n}",
            service="business",
            segment="gotone",
        )
        return to_rows([event], zone)

    state.apply(issued(1, evening))
    wall[0] = (evening + timedelta(hours=8)).timestamp()  # 01:00 the next day
    first = state.snapshot()
    assert first.day == "2026-03-03" and first.issued[("business", "gotone")] == 0
    late = evening + timedelta(hours=6, minutes=30)  # 23:30 of the day before
    assert state.apply(issued(2, late)) == 0  # stored, not counted: its day is over
    again = state.snapshot()
    assert again.last_event_s == late.timestamp()


def test_a_new_day_on_the_wall_clock_is_a_new_snapshot(
    settings: Settings, county_day: list[Event]
) -> None:
    wall = [county_day[-1].ts.timestamp() + 60]
    state = HallState(wall_hall(settings), wall_clock=lambda: wall[0])
    state.apply(to_rows(county_day, state.zone))
    today = state.snapshot()
    assert sum(today.issued.values()) > 0
    wall[0] += 24 * 3600
    tomorrow = state.snapshot()
    assert tomorrow.day > today.day and sum(tomorrow.issued.values()) == 0
