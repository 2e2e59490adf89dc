"""The nowcast job with its advice (:mod:`monitor.background.callin`): a hall
within target costs no call-in run and is published as "none needed"; a hall
predicted to breach gets the advice; a nowcast without the 30-minute horizon
(closing is near) publishes no advice at all."""

from __future__ import annotations

from monitor.background.callin import nowcast_job, with_call_in
from monitor.background.loops import published
from monitor.core.snapshot import CallInNow
from sim.live.callin import CallIn
from sim.live.warmstart import HallStart
from tests.sim.live.test_callin import flagship, state


def test_a_hall_within_target_needs_no_counter() -> None:
    scn = flagship()
    result, advice = nowcast_job(scn, HallStart(10 * 3600), 8, 1, 0.8)
    assert advice is None
    shown = with_call_in(published(result, 0.0), result, advice)
    assert shown.call_in == CallInNow("30m", 0, None, None, 3)


def test_a_hall_predicted_to_breach_gets_the_advice() -> None:
    scn = flagship()
    result, advice = nowcast_job(scn, state(12.5), 20, 1, 0.8)
    assert isinstance(advice, CallIn) and advice.counters is not None
    shown = with_call_in(published(result, 0.0), result, advice)
    assert shown.call_in == CallInNow(
        "30m", advice.counters, advice.group, advice.breach_probability, 3
    )
    # an objective of 100% leaves no budget: nothing can meet it, nothing is tried
    assert nowcast_job(scn, state(12.5), 8, 1, 1.0)[1] is None


def test_without_the_thirty_minute_horizon_no_advice_is_published() -> None:
    scn = flagship()
    result, _ = nowcast_job(scn, HallStart(20.75 * 3600), 4, 1, 0.8)  # closes at 21:00
    assert 1800.0 not in result.breach_probability
    shown = published(result, 0.0)
    assert with_call_in(shown, result, None) == shown
