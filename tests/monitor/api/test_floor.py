"""The floor against the plan and the nowcast's advice as published: the
collector's families (planned counters, the forecast's 95% half-widths, the
call-in advice with +Inf for "more than the nowcast tries", the hall clock,
when its ticket system was last heard) and the ``/v1`` bodies (the plan per
group against the counters open and busy, the advice, the longest median)."""

from __future__ import annotations

import math
from dataclasses import replace
from zoneinfo import ZoneInfo

from monitor.api.floor import call_in_body, plan_body
from monitor.api.views import hall_nowcast, hall_summary
from monitor.core.plan import PlanNow
from monitor.core.snapshot import CallInNow, ForecastNow, HallView
from tests.monitor.api.test_collector import make_view, registry_of, value

PLAN = PlanNow("scenario", {"B": 2, "Q": 1})
GROUPS = (("B1", "B"), ("B2", "B"), ("Q1", "Q"))


def _view(advice: CallInNow | None = None, clock: str = "wall") -> HallView:
    view = make_view()
    info = replace(view.info, counter_groups=GROUPS, clock=clock)
    live = replace(
        view.live,
        counters_open=2,
        counters_busy=1,
        counter_open={"B1": True, "B2": False, "Q1": True},
        counter_busy={"B1": True, "B2": False, "Q1": False},
        received_s=1_767_000_100.0,
    )
    forecast = view.forecast
    assert forecast is not None and view.nowcast is not None
    forecast = ForecastNow(
        forecast.queue_length,
        forecast.wait_s,
        forecast.arrivals_per_hour,
        queue_length_half={"consult": 1.25, "payment": 0.5},
        wait_half_s={"consult": 60.0},
        arrivals_per_hour_half={"consult": 2.0, "payment": 1.0},
    )
    nowcast = replace(
        view.nowcast,
        call_in=advice,
        wait_median_s={("consult", "0m"): 240.0, ("payment", "0m"): math.nan},
    )
    return replace(view, info=info, live=live, forecast=forecast, nowcast=nowcast, planned=PLAN)


def test_the_plan_and_the_forecasts_band_are_published() -> None:
    r = registry_of(_view())
    assert value(r, "hall_counters_planned", hall="h1") == 3
    assert (
        value(r, "hall_forecast_queue_length_ci95_half_width", hall="h1", service="consult") == 1.25
    )
    assert (
        value(r, "hall_forecast_wait_seconds_ci95_half_width", hall="h1", service="consult") == 60
    )
    # no called ticket forecast for payment: no half-width either, not a zero
    assert (
        value(r, "hall_forecast_wait_seconds_ci95_half_width", hall="h1", service="payment") is None
    )
    assert (
        value(r, "hall_forecast_arrivals_per_hour_ci95_half_width", hall="h1", service="payment")
        == 1
    )
    assert value(r, "hall_clock_timestamp_seconds", hall="h1") == 1_767_000_000.0
    unplanned = replace(_view(), planned=None)
    assert value(registry_of(unplanned), "hall_counters_planned", hall="h1") is None


def test_the_ticket_system_is_heard_by_event_time_or_by_receipt() -> None:
    """With the wall clock, the latest event's own time; with the events clock
    (a replay of a past day), when the exporter last received an event."""
    wall = registry_of(_view())
    assert value(wall, "hall_last_heard_timestamp_seconds", hall="h1") == 1_766_999_990.5
    events = registry_of(_view(clock="events"))
    assert value(events, "hall_last_heard_timestamp_seconds", hall="h1") == 1_767_000_100.0


def test_the_advice_is_a_number_of_counters_or_infinity() -> None:
    two = registry_of(_view(CallInNow("30m", 2, "B", 0.1, 3)))
    assert value(two, "hall_nowcast_counters_to_open", hall="h1", group="B") == 2
    none = registry_of(_view(CallInNow("30m", 0, None, None, 3)))
    assert value(none, "hall_nowcast_counters_to_open", hall="h1", group="") == 0
    beyond = registry_of(_view(CallInNow("30m", None, None, None, 3)))
    assert value(beyond, "hall_nowcast_counters_to_open", hall="h1", group="") == math.inf
    assert value(registry_of(_view()), "hall_nowcast_counters_to_open", hall="h1", group="") is None


def test_the_plan_per_group_against_the_counters_open_and_busy() -> None:
    body = plan_body(_view())
    assert body is not None
    assert (body.source, body.planned, body.open, body.busy) == ("scenario", 3, 2, 1)
    assert [(g.group, g.planned, g.open, g.busy) for g in body.by_group] == [
        ("B", 2, 1, 1),
        ("Q", 1, 1, 0),
    ]
    assert plan_body(replace(_view(), planned=None)) is None


def test_the_advice_and_the_longest_median_in_the_json() -> None:
    view = _view(CallInNow("30m", 2, "B", 0.1, 3))
    advice = call_in_body(view)
    assert advice is not None
    assert (advice.counters, advice.group, advice.budget) == (2, "B", 0.2)
    assert advice.breach_probability_now == 0.2 and advice.breach_probability == 0.1
    zone = ZoneInfo("Asia/Shanghai")
    summary = hall_summary(view, zone, wall_s=1_767_000_200.0)
    assert summary.median_wait_s == 240.0  # payment's median is unknown (NaN): left out
    assert summary.counters_planned == 3 and summary.call_in == advice
    assert hall_nowcast(view, zone).call_in == advice
    assert call_in_body(_view()) is None


def test_the_silence_its_traffic_explains_is_published() -> None:
    """``silent_limit_s``: the no-events alert's limit at the forecast's tickets
    an hour now (all services), the floor of 10 minutes without a forecast."""
    view = _view()
    assert view.forecast is not None
    quiet = replace(view.forecast, arrivals_per_hour={"consult": 8.0, "payment": 4.0})
    assert hall_summary(replace(view, forecast=quiet), ZoneInfo("UTC")).silent_limit_s == 2100
    assert hall_summary(replace(view, forecast=None), ZoneInfo("UTC")).silent_limit_s == 600
    # as the rule sees it: a NaN is not published, and no service published is no forecast
    nan = replace(view.forecast, arrivals_per_hour={"consult": 12.0, "payment": math.nan})
    assert hall_summary(replace(view, forecast=nan), ZoneInfo("UTC")).silent_limit_s == 2100
    empty = replace(view.forecast, arrivals_per_hour={})
    assert hall_summary(replace(view, forecast=empty), ZoneInfo("UTC")).silent_limit_s == 600
