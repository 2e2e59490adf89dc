"""The live state: order independence, one observation per ticket, day changes,
and agreement with the simulation's own records."""

from __future__ import annotations

import random
from datetime import timedelta

import numpy as np
import pytest

from monitor.core.batches import to_rows
from monitor.core.config import Settings
from monitor.core.hallinfo import wait_bounds
from monitor.core.state import HallState
from monitor.core.store import Row
from sim.eventlog.convert import day_events
from sim.eventlog.events import Event
from sim.model.hall import simulate
from sim.model.records import ABANDONED, SERVED
from tests.monitor.conftest import DAY


def _state(settings: Settings, hall: int = 0) -> HallState:
    return HallState(settings.halls[hall])


def _rows(state: HallState, events: list[Event]) -> list[Row]:
    return to_rows(events, state.zone)


def test_any_order_gives_the_same_state(settings: Settings, county_day: list[Event]) -> None:
    ordered = _state(settings)
    ordered.apply(_rows(ordered, county_day))
    shuffled = _state(settings)
    rows = _rows(shuffled, county_day)
    random.Random(3).shuffle(rows)
    shuffled.apply(rows)
    now = ordered.now_s()
    assert shuffled.snapshot(now) == ordered.snapshot(now)
    # mid-day too: the first half of the day, applied backwards
    half = _rows(ordered, county_day[: len(county_day) // 2])
    a, b = _state(settings), _state(settings)
    a.apply(half)
    b.apply(reversed(half))
    assert a.snapshot(a.now_s()) == b.snapshot(a.now_s())
    assert sum(a.snapshot().queue.values()) > 0 or sum(a.snapshot().counter_busy.values()) > 0


def test_counts_match_the_simulation(settings: Settings) -> None:
    hall = settings.halls[0]
    scn = hall.scenario
    records = simulate(scn, seed=11, replication=2)
    state = HallState(hall)
    state.apply(_rows(state, day_events(records, scn, DAY, "exact")))
    live = state.snapshot()
    tickets = ~records.kiosk
    called = tickets & (records.counter >= 0)
    for s, svc in enumerate(records.services):
        mine = called & (records.service == s)
        hist = live.wait[svc]
        assert hist.count == int(mine.sum())
        waits = records.called_s[mine] - records.arrival_s[mine]
        assert hist.sum_s == pytest.approx(float(waits.sum()), abs=1e-5)
        for bound, cum in zip(hist.bounds_s, hist.buckets, strict=True):
            assert cum == int((np.rint(waits * 1e6) / 1e6 <= bound).sum())
        for g, seg in enumerate(records.segments):
            both = tickets & (records.service == s) & (records.segment == g)
            assert live.issued[(svc, seg)] == int(both.sum())
            assert live.served[(svc, seg)] == int((both & (records.counter >= 0)).sum())
            gone = both & (records.outcome != SERVED)
            assert live.abandoned[(svc, seg)] == int(gone.sum())
        served = tickets & (records.service == s) & (records.outcome == SERVED)
        assert live.service_time[svc].count == int(served.sum())
    assert sum(live.counter_served.values()) == int(called.sum())
    assert int((records.outcome == ABANDONED).sum()) > 0  # the day exercised give-ups


def test_no_show_counts_once_even_with_both_events(settings: Settings) -> None:
    state = _state(settings)
    base = {"hall": "county", "ticket": "T1"}
    ts = "2026-03-02T10:00:00+08:00"
    events = [
        Event(id="1", kind="ticket_issued", ts=ts, service="payment", segment="gotone", **base),
        Event(id="2", kind="ticket_abandoned", ts="2026-03-02T10:05:00+08:00", **base),
        Event(id="3", kind="ticket_called", ts="2026-03-02T10:09:00+08:00", counter="C1", **base),
        Event(id="4", kind="ticket_no_show", ts="2026-03-02T10:09:15+08:00", counter="C1", **base),
    ]
    state.apply(_rows(state, events))
    live = state.snapshot()
    assert live.abandoned[("payment", "gotone")] == 1
    assert live.served[("payment", "gotone")] == 1  # it was called to a counter
    assert live.wait["payment"].count == 1 and live.wait["payment"].sum_s == 540.0
    assert live.service_time["payment"].count == 0  # nobody was served
    assert live.queue["payment"] == 0 and live.counters_busy == 0


def test_a_new_local_day_resets_counts_and_late_days_are_not_applied(
    settings: Settings, county_day: list[Event]
) -> None:
    state = _state(settings)
    state.apply(_rows(state, county_day))
    assert sum(state.snapshot().issued.values()) > 0
    first = next(e for e in county_day if e.kind == "ticket_issued")
    tomorrow = first.model_copy(
        update={"id": "next-1", "ticket": "next", "ts": first.ts + timedelta(days=1)}
    )
    state.apply(_rows(state, [tomorrow]))
    live = state.snapshot()
    assert live.day == (DAY + timedelta(days=1)).isoformat()
    assert sum(live.issued.values()) == 1 and sum(live.queue.values()) == 1
    assert state.apply(_rows(state, county_day[1:5])) == 0  # yesterday's stragglers


def test_midnight_in_the_hall_zone_not_utc(settings: Settings) -> None:
    state = _state(settings)
    # 23:30 UTC is 07:30 the next day in Asia/Shanghai
    late = Event(
        id="x",
        hall="county",
        kind="ticket_issued",
        ts="2026-03-01T23:30:00Z",
        ticket="T",
        service="payment",
        segment="gotone",
    )
    (row,) = _rows(state, [late])
    assert row.day == "2026-03-02"


def test_wall_clock_rolls_over_at_local_midnight(
    settings: Settings, county_day: list[Event]
) -> None:
    wall = HallState(settings.halls[0].model_copy(update={"clock": "wall"}))
    wall.apply(_rows(wall, county_day))
    evening = county_day[-1].ts.timestamp()
    assert sum(wall.snapshot(evening).issued.values()) == len(
        [e for e in county_day if e.kind == "ticket_issued"]
    )
    next_morning = evening + 12 * 3600
    live = wall.snapshot(next_morning)
    assert live.day == (DAY + timedelta(days=1)).isoformat()
    assert sum(live.issued.values()) == 0 and sum(live.wait["payment"].buckets) == 0


def test_open_hours_and_oldest_wait(settings: Settings, county_day: list[Event]) -> None:
    state = _state(settings)
    noon = next(e for e in county_day if e.ts.hour >= 11)
    morning = [e for e in county_day if e.ts <= noon.ts]
    state.apply(_rows(state, morning))
    live = state.snapshot()
    assert live.open  # 11:00 is within 08:30-17:30
    assert not state.is_open(noon.ts.timestamp() - 4 * 3600)  # 07:00
    picture = state.picture()
    for svc, n in live.queue.items():
        waits = [w for s, _, w in picture.waiting if s == svc]
        assert len(waits) == n
        assert live.oldest_wait_s[svc] == (max(waits) if waits else 0.0)
    assert len(picture.busy) == live.counters_busy


def test_wait_histogram_has_the_target_as_a_bound() -> None:
    assert 900.0 in wait_bounds(900.0)
    assert 750.0 in wait_bounds(750.0)
    bounds = wait_bounds(750.0)
    assert list(bounds) == sorted(bounds) and bounds[0] == 60.0 and bounds[-1] == 7200.0


def test_without_counter_events_the_picture_leaves_staffing_to_the_schedule(
    settings: Settings, county_day: list[Event]
) -> None:
    """A ticket system that logs no counter_opened/closed must not read as a
    hall with no counter open: the nowcast then follows the scenario's shifts."""
    morning = [e for e in county_day if e.ts.hour < 12]
    tickets_only = [e for e in morning if not e.kind.startswith("counter_")]
    noon = next(e for e in county_day if e.ts.hour >= 12).ts.timestamp()
    state = _state(settings)
    state.apply(_rows(state, tickets_only))
    assert state.picture(noon).open_counters is None
    full = _state(settings)
    full.apply(_rows(full, morning))
    assert full.picture(noon).open_counters  # logged: the counters open at noon


def test_wall_clock_ignores_events_from_a_future_day(
    settings: Settings, county_day: list[Event]
) -> None:
    """One event from a ticket system whose clock is a year ahead must not start
    a new day and hide today's queue, nor move the hall's clock (the monitor
    stores it, quarantined): with either clock (issue 14; the event clock used
    to follow it)."""
    evening = county_day[-1].ts.timestamp() + 60  # the wall clock: the test day, after it
    for clock in ("wall", "events"):
        hall = settings.halls[0].model_copy(update={"clock": clock})
        state = HallState(hall, wall_clock=lambda: evening)
        state.apply(_rows(state, county_day[:100]))
        before = state.snapshot()
        issued = sum(before.issued.values())
        stray = county_day[100].model_copy(
            update={"id": "stray", "ts": county_day[100].ts + timedelta(days=365)}
        )
        assert state.apply(_rows(state, [stray])) == 0, clock
        after = state.snapshot()
        assert after.day == DAY.isoformat() and sum(after.issued.values()) == issued > 0
        assert after.last_event_s == before.last_event_s
