"""The ``/v1`` read API: every hall with its queue, and per hall its live
state, today so far per interval, today's forecast and the nowcast."""

from __future__ import annotations

from fastapi import APIRouter

from monitor.api.deps import MonitorDep, ServedHall, errors
from monitor.api.models import (
    ForecastBody,
    HallStateBody,
    HallSummary,
    HistoryBody,
    NowcastBody,
)
from monitor.api.views import hall_forecast, hall_history, hall_nowcast, hall_state, hall_summary
from monitor.core.errors import ForecastOff, ForecastPending
from sim.model.calendar import intervals

router = APIRouter(prefix="/v1/halls", tags=["halls"])
FORECAST_RETRY_S = 10


@router.get("")
def halls(monitor: MonitorDep) -> list[HallSummary]:
    """Every hall served here, with its queue now."""
    return [hall_summary(monitor.view(h), monitor.zone(h)) for h in monitor.hall_ids()]


@router.get("/{hall}/state", responses=errors(404))
def state(hall: ServedHall, monitor: MonitorDep) -> HallStateBody:
    """The hall's live state: queue, counters, today's counts, wait percentiles
    and histograms."""
    return hall_state(monitor.view(hall.id, tickets=True), monitor.zone(hall.id))


@router.get("/{hall}/history", responses=errors(404))
def history(hall: ServedHall, monitor: MonitorDep) -> HistoryBody:
    """Today so far per statistics interval and service (the forecast's
    intervals and terms): time-average queue, tickets issued, mean wait."""
    view = monitor.view(hall.id, tickets=True)
    return hall_history(view, monitor.zone(hall.id), intervals(hall.scenario))


@router.get(
    "/{hall}/forecast",
    responses=errors(
        404,
        503,
        s404="A hall not served here, or the forecast is turned off (forecast.replications: 0).",
        s503="Today's forecast is being computed; come back after Retry-After seconds.",
    ),
)
def forecast(hall: ServedHall, monitor: MonitorDep) -> ForecastBody:
    """Today's forecast per interval and service, with 95% confidence intervals."""
    if monitor.settings.forecast.replications == 0:
        raise ForecastOff("the forecast is turned off (forecast.replications: 0)")
    today = monitor.day(hall.id)
    found = monitor.current_forecast(hall.id, today)
    if found is None:
        raise ForecastPending(
            f"the forecast for {today} is being computed", retry_after_s=FORECAST_RETRY_S
        )
    return hall_forecast(hall.id, today, found)


@router.get("/{hall}/nowcast", responses=errors(404), response_model_exclude_unset=True)
def nowcast(hall: ServedHall, monitor: MonitorDep) -> NowcastBody:
    """Expected wait of a ticket taken now (and in 15, 30, 60 min), per service."""
    return hall_nowcast(monitor.view(hall.id), monitor.zone(hall.id))
