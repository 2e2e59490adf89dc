"""The bodies of the read endpoints, built as typed response models
(:mod:`monitor.api.models`) from :class:`HallView` pictures; they become JSON
only when served. Times are RFC 3339 in the hall's time zone; durations are
seconds."""

from __future__ import annotations

import math
import time
from datetime import date, datetime
from datetime import time as dt_time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from monitor.api.floor import call_in_body, plan_body
from monitor.api.futuremodels import (
    Estimate,
    ForecastBody,
    ForecastCell,
    ForecastInterval,
    NowcastBody,
    NowcastService,
    NowcastWait,
    WaitEstimate,
)
from monitor.api.models import (
    Bucket,
    CounterState,
    HallStateBody,
    HallSummary,
    HistogramBody,
    HistoryBody,
    HistoryCell,
    HistoryInterval,
    NamedItem,
    PairCount,
    ServiceQueue,
    Totals,
    WaitPercentiles,
)
from monitor.core.silence import silence_limit_s
from monitor.core.snapshot import HORIZONS, HallInfo, HallView, Histogram, LiveSnapshot
from monitor.core.today import interval_actuals, wait_quantiles
from sim.model.units import format_clock

if TYPE_CHECKING:  # the simulation side loads with the background work
    from sim.live.forecast import DayForecast


def rfc3339(unix_s: float | None, zone: ZoneInfo) -> str | None:
    """``unix_s`` as an RFC 3339 timestamp with the zone's offset (None stays None)."""
    if unix_s is None:
        return None
    return datetime.fromtimestamp(unix_s, zone).isoformat(timespec="milliseconds")


def _s(seconds: float) -> float:
    """A duration people read: to the tenth of a second."""
    return round(seconds, 1)


def _clock(local_s: float | None) -> str | None:
    return None if local_s is None else format_clock(local_s)


def silent_limit_s(view: HallView) -> float:
    """The silence the hall's traffic explains now (:mod:`monitor.core.silence`),
    from the forecast's services as published (no NaN): none, as in the rule,
    is no forecast."""
    rates = [] if view.forecast is None else view.forecast.arrivals_per_hour.values()
    published = [r for r in rates if r == r]  # NaN != NaN
    return silence_limit_s(sum(published) if published else None)


def silent_s(info: HallInfo, live: LiveSnapshot, wall_s: float) -> float | None:
    """Wall-clock seconds the hall's ticket system has been silent: since its
    latest event's time (wall clock), or since the exporter last received an
    event (events clock, where event times are not wall times)."""
    since = live.received_s if info.clock == "events" else live.last_event_s
    return None if since is None else _s(max(0.0, wall_s - since))


def called_within_target(
    info: HallInfo, live: LiveSnapshot, service: str | None = None
) -> float | None:
    """Share of today's called tickets (of ``service``, or all) called within
    the target wait, from the wait histograms (as the alert rules compute it)."""
    within = total = 0
    for svc, h in live.wait.items():
        if service is not None and svc != service:
            continue
        total += h.count
        within += next(
            (c for b, c in zip(h.bounds_s, h.buckets, strict=True) if b == info.target_wait_s), 0
        )
    return round(within / total, 4) if total else None


def _summed(table: dict[tuple[str, str], int]) -> int:
    return sum(table.values())


def _day_hours(view: HallView) -> tuple[float | None, float | None]:
    """The opening hours of the live state's date (its weekday's, a holiday's);
    ``None`` for both when the hall is always open or does not open that day."""
    hours = view.live.hours
    if hours is None:
        return view.info.opens_s, view.info.closes_s
    return (None, None) if hours == (0.0, 0.0) else hours


def hall_summary(view: HallView, zone: ZoneInfo, wall_s: float | None = None) -> HallSummary:
    """One line of ``GET /v1/halls``; ``wall_s``: the wall clock (default: now)."""
    info, live, now = view.info, view.live, view.nowcast
    opens_s, closes_s = _day_hours(view)
    waits = [] if now is None else [w for (_, h), w in now.wait_s.items() if h == HORIZONS[0]]
    medians = [] if now is None else [
        w for (_, h), w in now.wait_median_s.items() if h == HORIZONS[0] and math.isfinite(w)
    ]  # fmt: skip
    no_shows = _summed(live.no_show)
    return HallSummary(
        id=info.id,
        name=info.name,
        district=info.district,
        city=info.city,
        timezone=zone.key,
        clock="events" if info.clock == "events" else "wall",
        now=rfc3339(live.now_s, zone) or "",
        day=live.day,
        opens=_clock(opens_s),
        closes=_clock(closes_s),
        open=live.open,
        queue_length=sum(live.queue.values()),
        oldest_wait_s=_s(max(live.oldest_wait_s.values(), default=0.0)),
        counters_open=live.counters_open,
        counters_busy=live.counters_busy,
        target_wait_s=info.target_wait_s,
        objective=info.objective,
        issued_today=_summed(live.issued),
        served_today=_summed(live.came),
        no_shows_today=no_shows,
        abandoned_today=_summed(live.abandoned) - no_shows,
        called_within_target_today=called_within_target(info, live),
        expected_wait_s=_s(max(waits)) if waits else None,
        nowcast_at=None if now is None else rfc3339(now.computed_s, zone),
        last_event=rfc3339(live.last_event_s, zone),
        silent_s=silent_s(info, live, time.time() if wall_s is None else wall_s),
        silent_limit_s=silent_limit_s(view),
        median_wait_s=_s(max(medians)) if medians else None,
        counters_planned=None if view.planned is None else view.planned.total,
        call_in=call_in_body(view),
    )


def _histogram(h: Histogram) -> HistogramBody:
    return HistogramBody(
        count=h.count,
        sum_s=_s(h.sum_s),
        buckets=[Bucket(le_s=b, count=c) for b, c in zip(h.bounds_s, h.buckets, strict=True)],
    )


def _by_pair(table: dict[tuple[str, str], int]) -> list[PairCount]:
    return [PairCount(service=s, segment=g, count=n) for (s, g), n in sorted(table.items())]


def _minus(
    a: dict[tuple[str, str], int], b: dict[tuple[str, str], int]
) -> dict[tuple[str, str], int]:
    return {key: n - b.get(key, 0) for key, n in a.items()}


def _named(ids: tuple[str, ...], names: tuple[tuple[str, str], ...]) -> list[NamedItem]:
    by_id = dict(names)
    return [NamedItem(id=i, name=by_id.get(i)) for i in ids]


def _counter(name: str, live: LiveSnapshot, busy: bool, zone: ZoneInfo) -> CounterState:
    at = live.at_counter.get(name)
    return CounterState(
        counter=name,
        open=live.counter_open.get(name, False),
        busy=busy,
        called_today=live.counter_served.get(name, 0),
        ticket=None if at is None else at.ticket,
        service=None if at is None else at.service,
        called_at=None if at is None else rfc3339(at.called_s, zone),
    )


def hall_state(view: HallView, zone: ZoneInfo, wall_s: float | None = None) -> HallStateBody:
    """``GET /v1/halls/{hall}/state``: the live state of the current day (wait
    percentiles need a snapshot taken with ``tickets=True``)."""
    info, live = view.info, view.live
    opens_s, closes_s = _day_hours(view)
    abandoned = _minus(live.abandoned, live.no_show)  # given up while waiting, logged
    totals = Totals(
        issued=_summed(live.issued),
        waiting=sum(live.queue.values()),
        called=_summed(live.served),
        served=_summed(live.came),
        no_shows=_summed(live.no_show),
        abandoned=_summed(abandoned),
    )
    percentiles = {
        svc: WaitPercentiles(
            n=q.n,
            p50_s=_s(q.quantiles_s["p50"]),
            p90_s=_s(q.quantiles_s["p90"]),
            p95_s=_s(q.quantiles_s["p95"]),
            max_s=_s(q.max_s),
        )
        for svc, q in wait_quantiles(live.tickets).items()
    }
    return HallStateBody(
        hall=info.id,
        now=rfc3339(live.now_s, zone),
        day=live.day,
        clock="events" if info.clock == "events" else "wall",
        opens=_clock(opens_s),
        closes=_clock(closes_s),
        open=live.open,
        target_wait_s=info.target_wait_s,
        objective=info.objective,
        services=_named(info.services, info.service_names),
        segments=_named(info.segments, info.segment_names),
        queue=[
            ServiceQueue(
                service=svc,
                waiting=n,
                oldest_wait_s=_s(live.oldest_wait_s.get(svc, 0.0)),
                oldest_ticket=live.oldest_ticket.get(svc),
                on_the_way=live.away.get(svc, 0),
            )
            for svc, n in sorted(live.queue.items())
        ],
        queue_by_segment=_by_pair(live.queue_by_segment),
        counters=[
            _counter(name, live, busy, zone) for name, busy in sorted(live.counter_busy.items())
        ],
        counters_open=live.counters_open,
        counters_busy=live.counters_busy,
        totals=totals,
        called_within_target=called_within_target(info, live),
        issued=_by_pair(live.issued),
        called=_by_pair(live.served),
        served=_by_pair(live.came),
        no_shows=_by_pair(live.no_show),
        abandoned=_by_pair(abandoned),
        wait_percentiles=percentiles,
        wait={svc: _histogram(h) for svc, h in sorted(live.wait.items())},
        service_time={svc: _histogram(h) for svc, h in sorted(live.service_time.items())},
        last_event=rfc3339(live.last_event_s, zone),
        silent_s=silent_s(info, live, time.time() if wall_s is None else wall_s),
        silent_limit_s=silent_limit_s(view),
        ingested=view.ingested,
        plan=plan_body(view),
    )


def hall_history(
    view: HallView, zone: ZoneInfo, bounds_s: list[tuple[float, float]]
) -> HistoryBody:
    """``GET /v1/halls/{hall}/history``: today's intervals ``bounds_s`` (seconds
    after local midnight) that have begun, from a snapshot taken with
    ``tickets=True``."""
    live = view.live
    midnight = datetime.combine(date.fromisoformat(live.day), dt_time(0), zone).timestamp()
    unix = [(midnight + lo, midnight + hi) for lo, hi in bounds_s]
    actuals = interval_actuals(live.tickets, view.info.services, unix, live.now_s)
    intervals = []
    for (lo, hi), cells in zip(bounds_s, actuals, strict=False):
        elapsed = min(hi, live.now_s - midnight) - lo
        intervals.append(
            HistoryInterval(
                start=format_clock(lo),
                end=format_clock(hi),
                start_s=lo,
                end_s=hi,
                elapsed_s=_s(elapsed),
                services={
                    svc: HistoryCell(
                        queue_length=round(a.queue, 2),
                        issued=a.issued,
                        arrivals_per_hour=round(a.issued * 3600.0 / elapsed, 1),
                        called=a.called,
                        wait_mean_s=None if a.wait_mean_s is None else _s(a.wait_mean_s),
                    )
                    for svc, a in cells.items()
                },
            )
        )
    services = list(actuals[0]) if actuals else list(view.info.services)
    return HistoryBody(
        hall=view.info.id,
        day=live.day,
        now=rfc3339(live.now_s, zone) or "",
        services=services,
        intervals=intervals,
    )


def hall_nowcast(view: HallView, zone: ZoneInfo) -> NowcastBody:
    """``GET /v1/halls/{hall}/nowcast``: what a ticket taken now should expect
    (``breach_probability`` left unset, so absent, until there is a nowcast)."""
    live, now = view.live, view.nowcast
    info = view.info
    if now is None:
        return NowcastBody(
            hall=info.id, open=live.open, target_wait_s=info.target_wait_s, computed_at=None,
            services=[], as_of=None,
        )  # fmt: skip
    first = HORIZONS[0]
    services = [
        NowcastService(
            service=svc,
            expected_wait_s=now.wait_s.get((svc, first)),
            by_horizon={h: now.wait_s.get((svc, h)) for h in HORIZONS},
            waiting=live.queue.get(svc, 0),
            expected_present=now.present_queue.get(svc),
            median_wait_s=_finite_or_none(now.wait_median_s.get((svc, first))),
            p90_wait_s=_finite_or_none(now.wait_p90_s.get((svc, first))),
            breach_probability=now.service_breach_probability.get((svc, first)),
            horizons={
                h: NowcastWait(
                    mean_s=now.wait_s.get((svc, h)),
                    median_s=_finite_or_none(now.wait_median_s.get((svc, h))),
                    p90_s=_finite_or_none(now.wait_p90_s.get((svc, h))),
                    breach_probability=now.service_breach_probability.get((svc, h)),
                )
                for h in HORIZONS
            },
        )
        for svc in info.services
        if (svc, first) in now.wait_s or svc in now.present_queue
    ]
    return NowcastBody(
        hall=info.id,
        open=live.open,
        target_wait_s=info.target_wait_s,
        computed_at=rfc3339(now.computed_at_s, zone),
        services=services,
        as_of=rfc3339(now.computed_s, zone),
        breach_probability={h: now.breach_probability.get(h) for h in HORIZONS},
        call_in=call_in_body(view),
    )


def _finite_or_none(value: float | None) -> float | None:
    """A quantile NaN (it fell on tickets never called) as null."""
    return None if value is None else _finite(value)


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
