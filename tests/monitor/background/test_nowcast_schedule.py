"""Which halls the nowcast loop runs: a hall without a nowcast at once, the
others oldest first before their nowcast ages past ``nowcast.every``, a closed
hall never, and a hall with ``clock: events`` whose state has not changed
never (its nowcast would come out the same), unless it has had no event yet
(its clock is then the wall clock). Checked on a real monitor with
the real simulation in a thread pool; the wall clock is given, not waited for."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import monitor.background.loops as loops
from monitor.background.callin import nowcast_job
from monitor.background.loops import Background, precision_of
from monitor.core.config import Settings
from monitor.core.modelconfig import NowcastConfig
from monitor.core.models import ModelVersion
from monitor.core.monitor import Monitor
from monitor.core.snapshot import NowcastNow
from sim.eventlog.events import Event
from sim.live.nowcast import Nowcast, Precision
from sim.live.warmstart import HallStart
from sim.model.scenario import Scenario

EVERY_S = 60.0


@pytest.fixture
def monitor(
    settings: Settings, county_day: list[Event], flagship_day: list[Event]
) -> Iterator[Monitor]:
    """County and flagship (``clock: events``), both open: their mornings applied."""
    tuned = settings.model_copy(
        update={"nowcast": NowcastConfig(every=EVERY_S, replications=2, precision=None)}
    )
    m = Monitor(tuned)
    m.open()
    county, flagship = m.halls()
    m.ingest(county, [e for e in county_day if e.ts.hour < 11])
    m.ingest(flagship, [e for e in flagship_day if e.ts.hour < 11])
    yield m
    m.close()


def refresh(background: Background, halls: Iterable[str] | None = None) -> int:
    async def run() -> int:
        return await background.refresh_nowcasts(halls)

    return asyncio.run(run())


def test_halls_are_due_until_nowcast_then_again_before_the_limit(monitor: Monitor) -> None:
    with ThreadPoolExecutor(2) as pool:
        background = Background(monitor, pool)
        assert background.due_nowcasts() == ["county", "flagship"]  # none has a nowcast
        assert refresh(background, ["flagship"]) == 1
        assert background.due_nowcasts() == ["county"]
        assert refresh(background) == 2
        taken = background._pictured
        now = max(t for t, *_ in taken.values())
        assert background.due_nowcasts(now) == []

        # changed since: due once the nowcast would be `every` old before the next
        # look is done (a look every 2 s; the last look took no time here)
        flagship = monitor.hall("flagship")
        monitor.ingest(flagship, news(monitor, "flagship", 1))
        monitor.ingest(monitor.hall("county"), news(monitor, "county", 2))
        lead = loops.NOWCAST_CHECK_S
        assert background.due_nowcasts(now + EVERY_S - lead - 1) == []
        due = background.due_nowcasts(now + EVERY_S - lead)
        assert set(due) == {"county", "flagship"}
        oldest = min(taken, key=lambda h: taken[h][0])
        assert due[0] == oldest  # oldest first

        # slow nowcasts bring the next due time forward (the longest of the last
        # `every`, from the look that found them due to publication, so that a
        # stall coming round with each scrape is left room for), as do late
        # looks, by at most a quarter of the limit
        background._took.add(1.0)
        assert background.due_nowcasts(now + EVERY_S - lead - 2) == []
        assert len(background.due_nowcasts(now + EVERY_S - lead - 1)) == 2
        background._took.add(5.0)
        background._took.add(2.0)  # shorter than one still in the window: the 5 s counts
        assert set(background.due_nowcasts(now + EVERY_S - lead - 5)) == {"county", "flagship"}
        assert background.due_nowcasts(now + EVERY_S - lead - 6) == []
        background._late.add(3.0)  # and so do looks an event loop made late
        assert len(background.due_nowcasts(now + EVERY_S - lead - 8)) == 2
        assert background.due_nowcasts(now + EVERY_S - lead - 9) == []
        background._took.add(1000.0)
        assert background.due_nowcasts(now + EVERY_S * 3 / 4 - 1) == []
        assert len(background.due_nowcasts(now + EVERY_S * 3 / 4)) == 2


def test_an_events_clock_hall_without_news_keeps_its_nowcast(monitor: Monitor) -> None:
    with ThreadPoolExecutor(2) as pool:
        background = Background(monitor, pool)
        refresh(background)
        later = max(t for t, *_ in background._pictured.values()) + 10 * EVERY_S
        assert background.due_nowcasts(later) == []  # nothing happened: same nowcast
        monitor.ingest(monitor.hall("county"), news(monitor, "county", 3))
        assert background.due_nowcasts(later) == ["county"]


def test_a_hall_is_due_at_once_when_its_model_changes(monitor: Monitor) -> None:
    """A ``clock: events`` hall without news keeps its nowcast, but not one of a
    model it no longer uses: adopted at night or rolled back by ops by day, the
    new model is nowcast at the next look."""
    with ThreadPoolExecutor(2) as pool:
        background = Background(monitor, pool)
        refresh(background)
        later = max(t for t, *_ in background._pictured.values()) + 10 * EVERY_S
        assert background.due_nowcasts(later) == []
        text = monitor.model("county").in_use.model.scenario_yaml
        fitted = ModelVersion("county", 0, "fitted", 0.0, text, days=("2026-03-02",),
                              holdout=("2026-03-03",), scores={}, night="2026-03-03")  # fmt: skip
        monitor.record_model(fitted, adopt=True, detail="better")
        assert background.due_nowcasts(later) == ["county"]
        assert refresh(background, ["county"]) == 1
        assert background.due_nowcasts(later) == []


def test_a_closed_hall_is_never_due(monitor: Monitor, county_day: list[Event]) -> None:
    monitor.ingest(monitor.hall("county"), county_day)  # the whole day: closed at its end
    with ThreadPoolExecutor(2) as pool:
        background = Background(monitor, pool)
        assert background.due_nowcasts() == ["flagship"]


def test_the_configured_precision_reaches_the_nowcast() -> None:
    assert precision_of(NowcastConfig(precision=None)) is None
    assert precision_of(NowcastConfig()) == Precision()


def news(monitor: Monitor, hall: str, k: int) -> list[Event]:
    """A new ticket issued at the hall's latest event: a change of its state."""
    scn = monitor.hall(hall).scenario
    return [
        Event(
            id=f"{hall}-news-{k}",
            hall=hall,
            kind="ticket_issued",
            ts=datetime.fromtimestamp(monitor.now_s(hall), ZoneInfo(scn.timezone)),
            ticket=f"NEWS{k}",
            service=next(iter(scn.arrivals.mix)),
            segment=next(iter(scn.segments)),
        )
    ]


@pytest.mark.parametrize("clock", ["wall", "events"])
def test_a_hall_whose_clock_moves_on_is_due_at_the_limit_even_without_news(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, clock: str
) -> None:
    """A wall-clock hall's clock moves on, waits grow: the same state later is
    another start. So does a ``clock: events`` hall's before its first event
    (its clock is the wall clock until then), though nothing was applied."""
    county = settings.halls[0].model_copy(update={"clock": clock})
    m = Monitor(
        settings.model_copy(
            update={
                "halls": (county,),
                "nowcast": NowcastConfig(every=EVERY_S, replications=2, precision=None),
            }
        )
    )
    m.open()
    monkeypatch.setattr(m, "is_open", lambda hall_id, now_s: True)  # whatever the hour here
    try:
        assert m.changed_s("county") is None  # no event applied
        with ThreadPoolExecutor(1) as pool:
            background = Background(m, pool)
            refresh(background)
            ((taken, *_),) = background._pictured.values()
            assert background.due_nowcasts(taken + 1) == []
            assert background.due_nowcasts(taken + EVERY_S) == ["county"]
    finally:
        m.close()


def test_a_slow_nowcast_holds_no_other_hall_up(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loop is a stream, not rounds: while one hall's nowcast is stuck in a
    worker, the other hall comes round again and again at its limit, and the
    stuck hall is not sent again."""
    halls = tuple(h.model_copy(update={"clock": "wall"}) for h in settings.halls)
    every_s = 0.4  # a look every 0.1 s
    m = Monitor(
        settings.model_copy(
            update={
                "halls": halls,
                "workers": 2,
                "nowcast": NowcastConfig(every=every_s, replications=2, precision=None),
            }
        )
    )
    m.open()
    monkeypatch.setattr(m, "is_open", lambda hall_id, now_s: True)  # whatever the hour here
    stuck = threading.Event()
    released = threading.Event()
    real_job = nowcast_job
    sent: list[str] = []
    finished = threading.Event()  # the stuck job, once released

    def job(scn: Scenario, start: HallStart, *args: Any) -> Nowcast:
        if scn.name == m.hall("flagship").scenario.name:
            sent.append("flagship")
            stuck.set()
            released.wait(30)
            try:
                return real_job(scn, start, *args)
            finally:
                finished.set()
        return real_job(scn, start, *args)

    monkeypatch.setattr(loops, "nowcast_job", job)
    published: list[str] = []
    publish = m.publish_nowcast

    def counted(hall_id: str, now: NowcastNow) -> None:
        published.append(hall_id)
        publish(hall_id, now)

    monkeypatch.setattr(m, "publish_nowcast", counted)

    async def run() -> None:
        background = Background(m, pool)
        loop = asyncio.create_task(background._nowcast_loop())
        try:
            assert await asyncio.to_thread(stuck.wait, 30)
            county_before = published.count("county")
            deadline = time.monotonic() + 60  # rounds would never get there
            while published.count("county") < county_before + 3 and time.monotonic() < deadline:
                await asyncio.sleep(every_s / 4)
            assert "flagship" not in published  # still stuck
            assert sent == ["flagship"]  # and not sent again while under way
            assert published.count("county") >= county_before + 3
        finally:
            loop.cancel()
            await asyncio.gather(loop, return_exceptions=True)
            released.set()
        # stopping the loop stops the nowcasts it had under way: the stuck one,
        # finishing after, is not published (nor, in a pool stopped under it,
        # counted as a failure)
        assert await asyncio.to_thread(finished.wait, 30)
        await asyncio.sleep(0.2)
        assert "flagship" not in published

    try:
        with ThreadPoolExecutor(2) as pool:
            asyncio.run(run())
    finally:
        released.set()
        m.close()


def test_the_wait_for_a_free_worker_counts_in_the_time_a_nowcast_takes(monitor: Monitor) -> None:
    """The due time reads how long nowcasts take from the look that found
    them due to their publication: a hall that waited 7 s for a free worker
    took 7 s more than its picture-to-publication time."""
    with ThreadPoolExecutor(2) as pool:
        background = Background(monitor, pool)

        async def run() -> None:
            assert await background.nowcast_hall("county", time.time() - 7.0)
            assert await background.nowcast_hall("flagship")

        asyncio.run(run())
        # the longest over the last `every` is the wait's; the other took less
        assert background._took.longest() >= 7.0
