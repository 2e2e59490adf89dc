"""The simulation entry points of the live side: a day resumed from a hall's
real state (warmstart), the nowcast of the next hour from it (the function
``sim.live.nowcast.nowcast``), and the day forecast per interval and service.
Called by the exporter, never calling it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim._exports import lazy

if TYPE_CHECKING:
    from sim.live.forecast import DayForecast as DayForecast
    from sim.live.forecast import forecast_day as forecast_day
    from sim.live.nowcast import Nowcast as Nowcast
    from sim.live.warmstart import BusyCounter as BusyCounter
    from sim.live.warmstart import HallStart as HallStart
    from sim.live.warmstart import WaitingTicket as WaitingTicket
    from sim.live.warmstart import simulate_from as simulate_from

__getattr__, __all__ = lazy(
    __name__,
    {
        "simulate_from": "warmstart",
        "HallStart": "warmstart",
        "WaitingTicket": "warmstart",
        "BusyCounter": "warmstart",
        "Nowcast": "nowcast",
        "forecast_day": "forecast",
        "DayForecast": "forecast",
    },
)
