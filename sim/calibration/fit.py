"""Calibration: a scenario estimated from a hall's event log (``hallsim fit``).

:func:`collect` (:mod:`sim.calibration.logdata`) streams events into per-ticket
and per-counter-span records. :func:`fit_log` estimates demand
(:mod:`sim.calibration.arrivals`), service times (:mod:`sim.calibration.service`),
counters (:mod:`sim.calibration.counters`), patience (:mod:`sim.calibration.patience`;
how give-ups were logged: :mod:`sim.calibration.logmode`) and segment priorities
(dispatch order); :func:`sim.calibration.fitted.fitted_scenario` turns them
into a scenario ``hallsim run`` accepts.

Times of day are the wall clock of each event's own UTC offset; a ticket's
later events are measured from the midnight of the day it was issued.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from sim.calibration import logmode
from sim.calibration.arrivals import (
    ArrivalFit,
    Share,
    arrival_rates,
    arrivals_by_weekday,
    opening_hours,
    shares,
)
from sim.calibration.counters import fit_counters
from sim.calibration.logdata import FitError, LogData, TicketColumns, collect
from sim.calibration.patience import PatienceFit, PatienceFits, segment_observations
from sim.calibration.remote import RemoteFit, fit_remote
from sim.calibration.service import (
    GroupFit,
    ServiceFit,
    fit_service_time,
    overtakes,
    priority_layers,
)
from sim.eventlog.events import AbandonEvents, EventError

DEFAULT_TIMEZONE = "Asia/Shanghai"
_DEFAULT_OFFSET = timedelta(hours=8)
MIN_SAMPLES = 2


@dataclass(frozen=True)
class FitResult:
    """Every estimate of :func:`fit_log` (seconds, shares, per hour)."""

    days: int
    tickets: int
    timezone: str
    exact_abandons: bool
    abandon_events_from: str  # "log" (read from it) or "option" (--abandon-events)
    arrivals: ArrivalFit
    mix: dict[str, Share]
    segments: dict[str, Share]
    services: dict[str, ServiceFit]
    counter_speed: dict[str, float]
    counter_speed_ci95: dict[str, tuple[float, float]]
    groups: tuple[GroupFit, ...]
    patience: dict[str, PatienceFit]
    no_show_delay_s: float
    problems: dict[str, int]
    priorities: dict[str, int]  # 0 first, inferred from dispatch order
    overtakes: dict[str, dict[str, int]]  # [a][b]: a called while an earlier b waited
    remote: RemoteFit | None = None  # tickets taken remotely; None: the log has none


def _timezone(offsets: set[timedelta], timezone: str | None) -> str:
    if timezone is not None:
        return timezone
    if offsets <= {_DEFAULT_OFFSET}:
        return DEFAULT_TIMEZONE
    shown = ", ".join(sorted(str(o) for o in offsets))
    raise FitError(f"the log's UTC offsets ({shown}) are not +08:00: give --timezone")


# Dispatch order is a property of the hall, not the season: the latest 60 days give
# thousands of overtakes per segment pair, at a cost that stops growing with the log.
PRIORITY_DAYS = 60


def fit_log(
    log: LogData,
    *,
    interval_s: float = 900.0,
    timezone: str | None = None,
    abandon_events: AbandonEvents | None = None,
    workers: int = 1,
) -> FitResult:
    """Estimate demand, service times, counters and patience from ``log``; how
    give-ups were logged is read from the log unless ``abandon_events`` says.
    With ``workers`` above 1 the segments' patience is fitted in worker
    processes meanwhile (the same estimates: see :class:`PatienceFits`)."""
    cols = log.ticket_columns()
    if not len(cols.name):
        raise FitError("the log holds no tickets")
    zone = _timezone(log.offsets, timezone)
    ordinals, day = np.unique(cols.day, return_inverse=True)
    day_list = [date.fromordinal(o) for o in ordinals.tolist()]
    day_idx = {d: i for i, d in enumerate(day_list)}
    services = sorted(set(cols.service.tolist()))
    segments = sorted(set(cols.segment.tolist()))
    counters = sorted(set(cols.counter.tolist()) - {""} | {s[0] for s in log.spans})
    svc = _codes(cols.service, services)
    seg = _codes(cols.segment, segments)
    ended_raw = cols.ended_s
    # to the microsecond the log holds: times computed from epoch seconds are off
    # by up to a quarter of one, and a customer called at once must wait 0, not 1e-7 s
    issued, called, ended, abandoned = (
        np.round(times, 6) for times in (cols.issued_s, cols.called_s, ended_raw, cols.abandoned_s)
    )
    no_show = cols.no_show
    remote = cols.remote
    checked_in = np.round(cols.checked_in_s, 6)
    ctr = _codes(cols.counter, ["", *counters]) - 1  # no counter: -1

    last_issue = np.full(len(day_list), -np.inf)  # every day has a ticket
    np.maximum.at(last_issue, day, issued)
    first = np.array(
        [min(log.first_s.get(d, math.inf), last_issue[i]) for i, d in enumerate(day_list)]
    )
    open_s, close_s = opening_hours(first, last_issue, interval_s)
    arrivals = arrival_rates(day, issued, len(day_list), open_s, close_s, interval_s)
    mix, seg_shares = shares(svc, services), shares(seg, segments)

    served = np.isfinite(ended) & ~no_show & (ctr >= 0)
    if not served.any():
        raise FitError("no ticket was served: no service times to fit")
    last_event = np.fmax.reduce(np.stack([issued, called, ended, abandoned]), axis=0)
    day_last = np.full(len(day_list), -np.inf)
    np.fmax.at(day_last, day, last_event)
    for _, d, _, closed_s in log.spans:
        if d in day_idx:
            day_last[day_idx[d]] = max(day_last[day_idx[d]], closed_s)
    closed = logmode.closed_out(day, issued, called, abandoned, day_last)
    mode = abandon_events or logmode.detect(issued, called, abandoned, closed)
    exact_abandons = mode == "exact"
    # patience runs from the hall: a remote holder's from the check-in, and one who
    # never checked in was never there to give up
    here, since = _in_hall(remote, issued, checked_in, called)
    observed = segment_observations(
        segments, seg[here], since[here], called[here], abandoned[here], no_show[here],
        served[here], closed[here], exact_abandons,
    )  # fmt: skip
    # the segments' patience, the longest estimate, runs alongside what follows
    with PatienceFits(observed, exact_abandons, workers) as fits:
        duration = ended[served] - called[served]
        counter_fit = fit_counters(
            counters,
            duration,
            svc[served],
            seg[served],
            ctr[served],
            services,
            segments,
            {k: v.share for k, v in seg_shares.items()},
            _spans(log, cols, day_list, day),
            len(day_list),
            (open_s, close_s, interval_s),
        )
        groups = counter_fit.groups
        group_speed = {c: g.speed for g in groups for c in g.counters}
        speed_of = np.array([group_speed.get(c, 1.0) for c in counters])[ctr[served]]
        base = duration * speed_of
        service_fits = {}
        for i, name in enumerate(services):
            mine = svc[served] == i
            if np.count_nonzero(mine) >= MIN_SAMPLES:
                extra = counter_fit.mean_variance(duration[mine], ctr[served][mine], speed_of[mine])
                service_fits[name] = _widened(fit_service_time(name, base[mine]), extra)
        r = day >= day.max() - (PRIORITY_DAYS - 1) if len(day) else day >= 0  # latest days
        # walk-ins only: a remote ticket is passed over while its holder is away, which
        # reads as an overtake of its place whatever the segments' priorities
        r &= ~remote
        passed = overtakes(
            day[r], issued[r], called[r], abandoned[r], svc[r], seg[r], ctr[r], len(segments)
        )
        patience = fits.result()
    return FitResult(
        days=len(day_list),
        tickets=len(cols.name),
        timezone=zone,
        exact_abandons=exact_abandons,
        abandon_events_from="log" if abandon_events is None else "option",
        arrivals=arrivals,
        mix=mix,
        segments=seg_shares,
        services=service_fits,
        counter_speed=counter_fit.counter_speed,
        counter_speed_ci95=counter_fit.counter_speed_ci95,
        groups=groups,
        patience=patience,
        no_show_delay_s=float(np.median(log.no_show_delays_s)) if log.no_show_delays_s else 0.0,
        problems=dict(log.problems),
        priorities=priority_layers(passed, segments),
        overtakes={
            a: {b: int(passed[i, j]) for j, b in enumerate(segments) if j != i}
            for i, a in enumerate(segments)
        },
        remote=fit_remote(
            services, svc, remote, issued, checked_in, np.fmax(np.fmax(called, ended), abandoned)
        ),
    )


def _in_hall(
    remote: np.ndarray, issued: np.ndarray, checked_in: np.ndarray, called: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Which tickets' holders were in the hall, and since when: at the ticket, or
    for a remote holder at the check-in (at the call, were it logged after it)."""
    if not remote.any():
        return np.ones(len(remote), dtype=bool), issued
    since = np.where(remote, np.where(called < checked_in, called, checked_in), issued)
    return np.isfinite(since), since


def _widened(fit: ServiceFit, variance: float) -> ServiceFit:
    """``fit`` with its mean's CI widened by the speed estimates' ``variance``."""
    lo, hi = fit.mean_ci95_s
    half = math.sqrt(((hi - lo) / 2) ** 2 + 1.959963984540054**2 * max(variance, 0.0))
    return dataclasses.replace(fit, mean_ci95_s=(fit.mean_s - half, fit.mean_s + half))


def _codes(names: np.ndarray, order: list[str]) -> np.ndarray:
    """Each name's index in ``order`` (every name is in it)."""
    index = {name: i for i, name in enumerate(order)}
    return np.fromiter(map(index.__getitem__, names.tolist()), dtype=np.int64, count=len(names))


def _spans(
    log: LogData, cols: TicketColumns, day_list: list[date], day: np.ndarray
) -> list[tuple[str, int, float, float, float | None]]:
    """Counter spans ``(counter, day index, opened_s, closed_s, busy_since_s)``:
    ``busy_since_s`` is the call time of the ticket whose service (or no-show)
    ended at that counter the instant it closed, None if it closed idle
    (the tickets' ends and calls as logged)."""
    # Only a ticket that ended on the millisecond some counter closed can be
    # one: found over the array, then keyed as before (the last such wins).
    day_idx = {d: i for i, d in enumerate(day_list)}
    closing_ms = np.array(sorted({round(c * 1e3) for _, _, _, c in log.spans}), dtype=float)
    ended_s = cols.ended_s
    maybe = np.flatnonzero(np.isin(np.round(ended_s * 1e3), closing_ms)).tolist()
    ends = {
        (cols.counter[i], day_list[day[i]], round(float(ended_s[i]) * 1e3)): float(cols.called_s[i])
        for i in maybe
        if cols.counter[i] and math.isfinite(ended_s[i])
    }
    return [
        (name, day_idx[d], o, c, ends.get((name, d, round(c * 1e3))))
        for name, d, o, c in log.spans
        if d in day_idx
    ]


def weekday_arrivals(log: LogData, fit: FitResult) -> dict[str, ArrivalFit]:
    """Arrival rates per interval of ``fit``'s opening hours from each weekday's
    days alone (``mon`` … ``sun``, only those in ``log``); a day is its events'
    local date (the wall clock of their UTC offset)."""
    cols = log.ticket_columns()
    days, issued = cols.dates(), cols.issued_s
    return arrivals_by_weekday(days, issued, fit.arrivals)


__all__ = [
    "EventError",
    "FitError",
    "FitResult",
    "LogData",
    "collect",
    "fit_log",
    "weekday_arrivals",
]
