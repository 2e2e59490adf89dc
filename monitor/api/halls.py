"""The ``/v1`` read API: every hall with its queue, and per hall its live
state, today so far per interval, today's forecast and the nowcast."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from monitor.api.deps import MonitorDep, ServedHall, errors
from monitor.api.futuremodels import ForecastBody, NowcastBody
from monitor.api.models import HallStateBody, HallSummary, HistoryBody
from monitor.api.views import hall_forecast, hall_history, hall_nowcast, hall_state, hall_summary
from monitor.core.errors import ForecastOff, ForecastPending
from monitor.core.localdays import next_day
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
        s404="A hall not served here, the forecast is turned off (forecast.replications: 0), "
        "or a day other than today and the next day.",
        s503="Today's forecast is being computed; come back after Retry-After seconds.",
    ),
)
def forecast(
    hall: ServedHall,
    monitor: MonitorDep,
    day: Annotated[
        date | None,
        Query(description="the hall's local date: today (default) or the next day"),
    ] = None,
) -> ForecastBody:
    """Today's forecast (or the next day's) per interval and service, with 95%
    confidence intervals, from the hall's model in use."""
    if monitor.settings.forecast.replications == 0:
        raise ForecastOff("the forecast is turned off (forecast.replications: 0)")
    today = monitor.day(hall.id)
    wanted = today if day is None else day.isoformat()
    held = [d for d, _ in monitor.held_forecasts(hall.id)]
    if wanted not in {today, *held} and wanted != next_day(today):
        raise ForecastOff(f"a forecast is held for today ({today}) and the next day only")
    found = monitor.current_forecast(hall.id, wanted)
    if found is None:
        raise ForecastPending(
            f"the forecast for {wanted} is being computed", retry_after_s=FORECAST_RETRY_S
        )
    return hall_forecast(hall.id, wanted, found)


@router.get("/{hall}/nowcast", responses=errors(404), response_model_exclude_unset=True)
def nowcast(hall: ServedHall, monitor: MonitorDep) -> NowcastBody:
    """Expected wait of a ticket taken now (and in 15, 30, 60 min), per service."""
    return hall_nowcast(monitor.view(hall.id), monitor.zone(hall.id))
