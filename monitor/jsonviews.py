"""The bodies of the read endpoints, built as typed response models
(:mod:`monitor.api.models`) from :class:`HallView` pictures; they become JSON
only when served. Times are RFC 3339 in the hall's time zone; durations are
seconds."""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from monitor.api.models import (
    Bucket,
    CounterState,
    Estimate,
    ForecastBody,
    ForecastCell,
    ForecastInterval,
    HallStateBody,
    HallSummary,
    HistogramBody,
    NowcastBody,
    NowcastService,
    PairCount,
    ServiceQueue,
    WaitEstimate,
)
from monitor.snapshot import HORIZONS, HallView, Histogram
from sim.model.units import format_clock

if TYPE_CHECKING:  # the simulation side loads with the background work
    from sim.live.forecast import DayForecast


def rfc3339(unix_s: float | None, zone: ZoneInfo) -> str | None:
    """``unix_s`` as an RFC 3339 timestamp with the zone's offset (None stays None)."""
    if unix_s is None:
        return None
    return datetime.fromtimestamp(unix_s, zone).isoformat(timespec="milliseconds")


def hall_summary(view: HallView, zone: ZoneInfo) -> HallSummary:
    """One line of ``GET /v1/halls``."""
    info, live = view.info, view.live
    return HallSummary(
        id=info.id,
        name=info.name,
        district=info.district,
        city=info.city,
        timezone=zone.key,
        open=live.open,
        queue_length=sum(live.queue.values()),
        oldest_wait_s=max(live.oldest_wait_s.values(), default=0.0),
        counters_open=live.counters_open,
        counters_busy=live.counters_busy,
        target_wait_s=info.target_wait_s,
        objective=info.objective,
        last_event=rfc3339(live.last_event_s, zone),
    )


def _histogram(h: Histogram) -> HistogramBody:
    return HistogramBody(
        count=h.count,
        sum_s=h.sum_s,
        buckets=[Bucket(le_s=b, count=c) for b, c in zip(h.bounds_s, h.buckets, strict=True)],
    )


def _by_pair(table: dict[tuple[str, str], int]) -> list[PairCount]:
    return [PairCount(service=s, segment=g, count=n) for (s, g), n in sorted(table.items())]


def hall_state(view: HallView, zone: ZoneInfo) -> HallStateBody:
    """``GET /v1/halls/{hall}/state``: the live state of the current day."""
    live = view.live
    return HallStateBody(
        hall=view.info.id,
        now=rfc3339(live.now_s, zone),
        day=live.day,
        open=live.open,
        queue=[
            ServiceQueue(service=svc, waiting=n, oldest_wait_s=live.oldest_wait_s.get(svc, 0.0))
            for svc, n in sorted(live.queue.items())
        ],
        queue_by_segment=_by_pair(live.queue_by_segment),
        counters=[
            CounterState(
                counter=name,
                open=live.counter_open.get(name, False),
                busy=busy,
                called_today=live.counter_served.get(name, 0),
            )
            for name, busy in sorted(live.counter_busy.items())
        ],
        counters_open=live.counters_open,
        counters_busy=live.counters_busy,
        issued=_by_pair(live.issued),
        served=_by_pair(live.served),
        abandoned=_by_pair(live.abandoned),
        wait={svc: _histogram(h) for svc, h in sorted(live.wait.items())},
        service_time={svc: _histogram(h) for svc, h in sorted(live.service_time.items())},
        last_event=rfc3339(live.last_event_s, zone),
        ingested=view.ingested,
    )


def hall_nowcast(view: HallView, zone: ZoneInfo) -> NowcastBody:
    """``GET /v1/halls/{hall}/nowcast``: what a ticket taken now should expect
    (``breach_probability`` left unset, so absent, until there is a nowcast)."""
    live, now = view.live, view.nowcast
    info = view.info
    if now is None:
        return NowcastBody(
            hall=info.id, open=live.open, target_wait_s=info.target_wait_s, computed_at=None,
            services=[],
        )  # fmt: skip
    services = [
        NowcastService(
            service=svc,
            expected_wait_s=now.wait_s.get((svc, HORIZONS[0])),
            by_horizon={h: now.wait_s.get((svc, h)) for h in HORIZONS},
            waiting=live.queue.get(svc, 0),
            expected_present=now.present_queue.get(svc),
        )
        for svc in info.services
        if (svc, HORIZONS[0]) in now.wait_s or svc in now.present_queue
    ]
    return NowcastBody(
        hall=info.id,
        open=live.open,
        target_wait_s=info.target_wait_s,
        computed_at=rfc3339(now.computed_s, zone),
        services=services,
        breach_probability={h: now.breach_probability.get(h) for h in HORIZONS},
    )


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def hall_forecast(hall_id: str, day: str, forecast: DayForecast) -> ForecastBody:
    """``GET /v1/halls/{hall}/forecast``: the day per interval and service, each
    mean with its 95% half width (null when not finite)."""

    def estimate(mean: float, half: float) -> Estimate:
        return Estimate(mean=_finite(mean), ci95_half_width=_finite(half))

    intervals = []
    for i, (start_s, end_s) in enumerate(forecast.intervals):
        cells = {
            name: ForecastCell(
                queue_length=estimate(forecast.queue[i][j], forecast.queue_half[i][j]),
                wait_s=WaitEstimate(
                    mean=_finite(forecast.wait_s[i][j]),
                    ci95_half_width=_finite(forecast.wait_half_s[i][j]),
                    n=forecast.wait_n[i][j],
                ),
                arrivals_per_hour=estimate(
                    forecast.arrivals_per_hour[i][j], forecast.arrivals_half[i][j]
                ),
            )
            for j, name in enumerate(forecast.services)
        }
        intervals.append(
            ForecastInterval(
                start=format_clock(start_s),
                end=format_clock(end_s),
                start_s=start_s,
                end_s=end_s,
                services=cells,
            )
        )
    return ForecastBody(
        hall=hall_id,
        day=day,
        seed=forecast.seed,
        replications=forecast.replications,
        services=list(forecast.services),
        intervals=intervals,
    )
