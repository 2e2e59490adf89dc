"""The :class:`~monitor.core.monitor.Monitor`'s part that holds what the
background publishes of each hall's future: the day forecasts (of the hall's
local day and of the next) and the latest nowcast, and the forecast read at a
moment of the day."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from monitor.core.snapshot import ForecastNow, NowcastNow

if TYPE_CHECKING:
    from sim.live.forecast import DayForecast

DayForecastOf = tuple[str, "DayForecast"]  # (the local day, its forecast)


class ForecastBook:
    """Each hall's published day forecasts and nowcast."""

    def __init__(self) -> None:
        self._forecasts: dict[str, DayForecastOf] = {}  # hall -> its local day's
        self._forecast_ahead: dict[str, DayForecastOf] = {}  # hall -> the next day's
        self._nowcasts: dict[str, NowcastNow] = {}

    if TYPE_CHECKING:  # the monitor's own method

        def local_seconds(self, hall_id: str, unix_s: float) -> float: ...

    def held_forecasts(self, hall_id: str) -> list[DayForecastOf]:
        """The forecasts the hall holds: of its local day and of the next day."""
        return [f for f in (self._forecasts.get(hall_id), self._forecast_ahead.get(hall_id)) if f]

    def publish_forecasts(
        self, hall_id: str, today: DayForecastOf | None, ahead: DayForecastOf | None
    ) -> None:
        """Publish the forecast of the hall's local day and of the next day
        (None: keep the one held)."""
        if today is not None:
            self._forecasts[hall_id] = today
        if ahead is not None:
            self._forecast_ahead[hall_id] = ahead

    def publish_nowcast(self, hall_id: str, nowcast: NowcastNow) -> None:
        """Publish the hall's latest nowcast."""
        self._nowcasts[hall_id] = nowcast

    def current_forecast(self, hall_id: str, day: str) -> DayForecast | None:
        """The hall's forecast of the local ``day``; None while there is none
        (not computed yet, or the ones held, today's and the next day's, are of
        other days)."""
        for held_day, forecast in self.held_forecasts(hall_id):
            if held_day == day:
                return forecast
        return None

    def forecast_now(self, hall_id: str, now_s: float, day: str) -> ForecastNow | None:
        """The day forecast read at ``now_s``, when there is one for ``day``."""
        forecast = self.current_forecast(hall_id, day)
        if forecast is None:
            return None
        i = forecast.interval_index(self.local_seconds(hall_id, now_s))
        if i is None:
            return None

        def finite(grid: tuple[tuple[float, ...], ...]) -> dict[str, float]:
            row = grid[i]
            return {svc: row[j] for j, svc in enumerate(forecast.services) if math.isfinite(row[j])}

        return ForecastNow(
            queue_length=dict(zip(forecast.services, forecast.queue[i], strict=True)),
            wait_s=finite(forecast.wait_s),
            arrivals_per_hour=dict(
                zip(forecast.services, forecast.arrivals_per_hour[i], strict=True)
            ),
            queue_length_half=finite(forecast.queue_half),
            wait_half_s=finite(forecast.wait_half_s),
            arrivals_per_hour_half=finite(forecast.arrivals_half),
        )
