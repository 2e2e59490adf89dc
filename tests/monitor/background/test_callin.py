"""The call-in advice in the background (:mod:`monitor.background.callin`): a
hall within target needs no advice and costs no run; a hall predicted to
breach gets it, published as an update of its nowcast, which is published
first (the predictive alert never waits for the advice); a nowcast without the
30-minute horizon (closing is near) carries no advice at all."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from monitor.background.callin import (
    NONE_NEEDED,
    advice_needed,
    advice_now,
    call_in_job,
    nowcast_job,
    with_call_in,
)
from monitor.background.loops import Background, published
from monitor.core.config import Settings
from monitor.core.monitor import Monitor
from sim.eventlog.events import Event
from sim.live.warmstart import HallStart
from tests.sim.live.test_callin import flagship, state


def test_a_hall_within_target_needs_no_advice() -> None:
    result = nowcast_job(flagship(), HallStart(10 * 3600), 8, 1, None)
    assert not advice_needed(result, 0.8)
    shown = with_call_in(published(result, 0.0), result, NONE_NEEDED)
    assert shown.call_in is not None and shown.call_in.counters == 0


def test_a_hall_predicted_to_breach_gets_the_advice() -> None:
    scn, start = flagship(), state(12.5)
    result = nowcast_job(scn, start, 20, 1, None)
    assert advice_needed(result, 0.8)
    assert not advice_needed(result, 1.0)  # no budget: no counter can meet it
    advice = call_in_job(scn, start, result, 1, 0.8)
    assert advice.counters is not None and advice.group is not None
    shown = with_call_in(published(result, 0.0), result, advice_now(advice))
    assert shown.call_in is not None
    assert (shown.call_in.counters, shown.call_in.group) == (advice.counters, advice.group)


def test_without_the_thirty_minute_horizon_no_advice_is_published() -> None:
    result = nowcast_job(flagship(), HallStart(20.75 * 3600), 4, 1, None)  # closes at 21:00
    assert 1800.0 not in result.breach_probability
    shown = published(result, 0.0)
    assert with_call_in(shown, result, NONE_NEEDED) == shown


def test_the_background_publishes_the_nowcast_and_then_its_advice(
    settings: Settings, flagship_day: list[Event]
) -> None:
    configured = settings.model_copy(
        update={"nowcast": settings.nowcast.model_copy(update={"every": 1.0, "replications": 12})}
    )
    monitor = Monitor(configured)
    monitor.open()
    hall = monitor.hall("flagship")
    # the morning, then all counters but one closed: a breach ahead
    morning = [e for e in flagship_day if e.ts.hour < 11]
    closing = [
        e.model_copy(update={"id": f"x{i}", "kind": "counter_closed", "ticket": None,
                             "service": None, "segment": None, "ts": morning[-1].ts})
        for i, e in enumerate(e for e in flagship_day if e.kind == "counter_opened")
        if e.counter != "B1"
    ]  # fmt: skip
    monitor.ingest(hall, morning + closing)
    published_calls: list[object] = []
    original = monitor.publish_nowcast

    def recording(hall_id: str, nowcast: object) -> None:
        published_calls.append(getattr(nowcast, "call_in", None))
        original(hall_id, nowcast)  # type: ignore[arg-type]

    monitor.publish_nowcast = recording  # type: ignore[method-assign]
    with ThreadPoolExecutor(2) as pool:
        background = Background(monitor, pool)
        # the flagship alone: the county, sent no event, keeps the wall clock, so
        # whether it is open (and due a nowcast) would depend on when this runs
        assert asyncio.run(background.refresh_nowcasts(["flagship"])) == 1
    assert len(published_calls) == 2  # the nowcast first, then with its advice
    assert published_calls[0] is None and published_calls[1] is not None
    view = monitor.view("flagship")
    assert view.nowcast is not None and view.nowcast.call_in == published_calls[1]
    monitor.close()
