"""Calibration: a scenario estimated from a hall's event log (``hallsim fit``).

:func:`collect` streams events into per-ticket and per-counter-span arrays,
checking what the reader cannot (a ticket event for a ticket never issued, a
ticket issued twice, lines out of time order; an id seen before is the same
event resent and is kept once). :func:`fit_log` estimates demand
(:mod:`sim.calibration.arrivals`), service times and counters (:mod:`sim.calibration.service`)
patience (:mod:`sim.calibration.patience`) and segment priorities (dispatch order);
:func:`fitted_scenario` turns them into a scenario ``hallsim run`` accepts.

Times of day are the wall clock of each event's own UTC offset; a ticket's
later events are measured from the midnight of the day it was issued.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

from sim.calibration.arrivals import (
    ArrivalFit,
    Share,
    arrival_rates,
    arrivals_by_weekday,
    opening_hours,
    rounded_shares,
    shares,
)
from sim.calibration.patience import PatienceFit, segment_patience
from sim.calibration.service import (
    GroupFit,
    ServiceFit,
    counter_speeds,
    fit_service_time,
    group_of,
    overtakes,
    priority_layers,
    segment_restriction,
    staffing,
)
from sim.eventlog.events import Event, EventError
from sim.model.errors import InputError
from sim.model.scenario import Scenario, scenario_from_dict
from sim.model.scenario_io import clock_text

DEFAULT_TIMEZONE = "Asia/Shanghai"
_ZERO = timedelta(0)
_DAY_KINDS = frozenset({"ticket_issued", "counter_opened", "counter_closed"})
_DEFAULT_OFFSET = timedelta(hours=8)
MIN_SAMPLES = 2


class FitError(InputError):
    """A log that cannot be fitted (or, read strictly, a line that breaks the
    log's consistency: ``source:line: message``)."""


@dataclass(slots=True)
class _Ticket:
    day: date
    midnight: float  # epoch seconds of the local midnight of the issue day
    issued_s: float
    service: str
    segment: str
    called_s: float = math.nan
    ended_s: float = math.nan
    abandoned_s: float = math.nan
    counter: str = ""
    no_show: bool = False


@dataclass
class LogData:
    """What :func:`collect` gathered: tickets, counter spans ``(counter, day,
    opened_s, closed_s)``, UTC offsets and halls seen (on the events that issue a
    ticket or open or close a counter), no-show delays, and consistency
    problems counted (lenient) by reason."""

    tickets: dict[str, _Ticket] = field(default_factory=dict)
    spans: list[tuple[str, date, float, float]] = field(default_factory=list)
    first_s: dict[date, float] = field(default_factory=dict)
    offsets: set[timedelta] = field(default_factory=set)
    no_show_delays_s: list[float] = field(default_factory=list)
    problems: Counter[str] = field(default_factory=Counter)
    halls: set[str] = field(default_factory=set)
    events: int = 0


def collect(
    events: Iterable[Event],
    *,
    source: str = "<events>",
    lenient: bool = False,
    line_of: Callable[[], int] | None = None,
) -> LogData:
    """Gather ``events`` (in file order). Raises :class:`FitError` naming the line
    (``line_of()``: the current line number, if given) at the first inconsistency,
    or with ``lenient`` counts it in ``problems`` (an out-of-order event is kept,
    an orphan or re-issue dropped). Repeated ids are kept once in both modes."""
    log = LogData()
    seen: set[str] = set()
    open_since: dict[str, tuple[float, date, float]] = {}
    last_epoch = -math.inf

    def problem(reason: str, message: str) -> None:
        if not lenient:
            where = f"{source}:{line_of()}" if line_of is not None else source
            raise FitError(f"{where}: {message}")
        log.problems[reason] += 1

    offsets, halls = log.offsets, log.halls
    for e in events:
        if e.id in seen:
            log.problems["duplicate_id"] += 1
            continue
        seen.add(e.id)
        ts, kind = e.ts, e.kind
        epoch = ts.timestamp()
        if epoch < last_epoch:
            problem("out_of_order", f"event {e.id}: ts {ts.isoformat()} is before the line above")
        else:
            last_epoch = epoch
        log.events += 1
        if kind in _DAY_KINDS:  # the events that start a day, a ticket or a span
            offsets.add(ts.utcoffset() or _ZERO)
            halls.add(e.hall)
            day = ts.date()
            tod = ts.hour * 3600 + ts.minute * 60 + ts.second + ts.microsecond / 1e6
            if tod < log.first_s.get(day, math.inf) and kind != "counter_closed":
                log.first_s[day] = tod
        if kind == "counter_opened":
            assert e.counter is not None
            open_since.setdefault(e.counter, (epoch - tod, day, tod))
            continue
        if kind == "counter_closed":
            assert e.counter is not None
            since = open_since.pop(e.counter, None)
            if since is not None:
                log.spans.append((e.counter, since[1], since[2], epoch - since[0]))
            continue
        assert e.ticket is not None
        if kind == "ticket_issued":
            if e.ticket in log.tickets:
                problem("issued_twice", f"event {e.id}: ticket {e.ticket} is issued twice")
                continue
            assert e.service is not None and e.segment is not None
            log.tickets[e.ticket] = _Ticket(day, epoch - tod, tod, e.service, e.segment)
            continue
        t = log.tickets.get(e.ticket)
        if t is None:
            problem("never_issued", f"event {e.id}: ticket {e.ticket} was never issued")
            continue
        at = epoch - t.midnight
        if e.kind == "ticket_called":
            t.called_s, t.counter = at, e.counter or ""
        elif e.kind == "ticket_abandoned":
            t.abandoned_s = at
        else:
            t.ended_s, t.no_show = at, e.kind == "ticket_no_show"
            if t.no_show and math.isfinite(t.called_s):
                log.no_show_delays_s.append(at - t.called_s)
    return log


@dataclass(frozen=True)
class FitResult:
    """Every estimate of :func:`fit_log` (seconds, shares, per hour)."""

    days: int
    tickets: int
    timezone: str
    exact_abandons: bool
    arrivals: ArrivalFit
    mix: dict[str, Share]
    segments: dict[str, Share]
    services: dict[str, ServiceFit]
    counter_speed: dict[str, float]
    groups: tuple[GroupFit, ...]
    patience: dict[str, PatienceFit]
    no_show_delay_s: float
    problems: dict[str, int]
    priorities: dict[str, int]  # 0 first, inferred from dispatch order
    overtakes: dict[str, dict[str, int]]  # [a][b]: a called while an earlier b waited


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


def fit_log(log: LogData, *, interval_s: float = 900.0, timezone: str | None = None) -> FitResult:
    """Estimate demand, service times, counters and patience from ``log``."""
    if not log.tickets:
        raise FitError("the log holds no tickets")
    zone = _timezone(log.offsets, timezone)
    tickets = list(log.tickets.values())
    day_list = sorted({t.day for t in tickets})
    day_idx = {d: i for i, d in enumerate(day_list)}
    services = sorted({t.service for t in tickets})
    segments = sorted({t.segment for t in tickets})
    counters = sorted({t.counter for t in tickets if t.counter} | {s[0] for s in log.spans})
    svc = np.array([services.index(t.service) for t in tickets])
    seg = np.array([segments.index(t.segment) for t in tickets])
    day = np.array([day_idx[t.day] for t in tickets])
    issued = np.array([t.issued_s for t in tickets])
    called = np.array([t.called_s for t in tickets])
    ended = np.array([t.ended_s for t in tickets])
    abandoned = np.array([t.abandoned_s for t in tickets])
    no_show = np.array([t.no_show for t in tickets])
    ctr = np.array([counters.index(t.counter) if t.counter else -1 for t in tickets])

    last_issue = np.array([issued[day == i].max() for i in range(len(day_list))])
    first = np.array(
        [min(log.first_s.get(d, math.inf), last_issue[i]) for i, d in enumerate(day_list)]
    )
    open_s, close_s = opening_hours(first, last_issue, interval_s)
    arrivals = arrival_rates(day, issued, len(day_list), open_s, close_s, interval_s)
    mix, seg_shares = shares(svc, services), shares(seg, segments)

    served = np.isfinite(ended) & ~no_show & (ctr >= 0)
    if not served.any():
        raise FitError("no ticket was served: no service times to fit")
    duration = ended[served] - called[served]
    speed = counter_speeds(duration, svc[served], ctr[served], len(services), len(counters))
    groups = _groups(
        counters,
        speed,
        svc[served],
        seg[served],
        ctr[served],
        services,
        segments,
        {k: v.share for k, v in seg_shares.items()},
        log,
        day_idx,
        arrivals,
    )
    group_speed = {c: g.speed for g in groups for c in g.counters}
    base = duration * np.array([group_speed[counters[k]] for k in ctr[served]])
    service_fits = {
        name: fit_service_time(name, base[svc[served] == i])
        for i, name in enumerate(services)
        if np.count_nonzero(svc[served] == i) >= MIN_SAMPLES
    }
    exact_abandons = bool(np.any(no_show & np.isfinite(abandoned)))
    patience = segment_patience(
        segments, seg, issued, called, abandoned, no_show, served, exact_abandons
    )
    r = day >= day.max() - (PRIORITY_DAYS - 1) if len(day) else day >= 0  # latest days
    passed = overtakes(
        day[r], issued[r], called[r], abandoned[r], svc[r], seg[r], ctr[r], len(segments)
    )
    return FitResult(
        days=len(day_list),
        tickets=len(tickets),
        timezone=zone,
        exact_abandons=exact_abandons,
        arrivals=arrivals,
        mix=mix,
        segments=seg_shares,
        services=service_fits,
        counter_speed={c: float(s) for c, s in zip(counters, speed, strict=True)},
        groups=groups,
        patience=patience,
        no_show_delay_s=float(np.median(log.no_show_delays_s)) if log.no_show_delays_s else 0.0,
        problems=dict(log.problems),
        priorities=priority_layers(passed, segments),
        overtakes={
            a: {b: int(passed[i, j]) for j, b in enumerate(segments) if j != i}
            for i, a in enumerate(segments)
        },
    )


def _groups(
    counters: list[str],
    speed: np.ndarray,
    svc: np.ndarray,
    seg: np.ndarray,
    ctr: np.ndarray,
    services: list[str],
    segments: list[str],
    seg_shares: dict[str, float],
    log: LogData,
    day_idx: dict[date, int],
    arrivals: ArrivalFit,
) -> tuple[GroupFit, ...]:
    names = sorted({group_of(c) for c in counters})
    served_by = np.bincount(ctr, minlength=len(counters))
    raw: list[tuple[str, list[int], float, int]] = []
    for g in names:
        members = [k for k, c in enumerate(counters) if group_of(c) == g]
        n = int(served_by[members].sum())
        mean_speed = float(np.average(speed[members], weights=served_by[members])) if n else 1.0
        raw.append((g, members, mean_speed, n))
    busiest = max(raw, key=lambda r: r[3])[2] or 1.0
    out: list[GroupFit] = []
    for g, members, mean_speed, n in raw:
        mine = np.isin(ctr, members)
        skills = np.bincount(svc[mine], minlength=len(services))
        order = [services[i] for i in np.argsort(-skills, kind="stable") if skills[i] > 0]
        spans = [
            (day_idx[d], o, c)
            for name, d, o, c in log.spans
            if group_of(name) == g and d in day_idx
        ]
        out.append(
            GroupFit(
                id=g,
                counters=tuple(counters[k] for k in members),
                speed=round(mean_speed / busiest, 3),
                services=tuple(order),
                segments=segment_restriction(seg[mine], segments, seg_shares) if n else None,
                served=n,
                count=staffing(arrivals.starts_s, spans, arrivals.days),
            )
        )
    return tuple(g for g in out if g.services)


def weekday_arrivals(log: LogData, fit: FitResult) -> dict[str, ArrivalFit]:
    """Arrival rates per interval of ``fit``'s opening hours from each weekday's
    days alone (``mon`` … ``sun``, only those in ``log``); a day is its events'
    local date (the wall clock of their UTC offset)."""
    days = [t.day for t in log.tickets.values()]
    issued = np.array([t.issued_s for t in log.tickets.values()])
    return arrivals_by_weekday(days, issued, fit.arrivals)


def fitted_scenario(
    fit: FitResult, *, hall: str, target_wait_s: float = 900.0, service_level: float = 0.8
) -> Scenario:
    """A scenario of the fitted hall (validated by :func:`scenario_from_dict`)."""
    a = fit.arrivals
    rates = {clock_text(s): round(r, 2) for s, r in zip(a.starts_s, a.rate_per_h, strict=True)}
    mix = rounded_shares({k: v.share for k, v in fit.mix.items() if k in fit.services})
    seg = rounded_shares({k: v.share for k, v in fit.segments.items()})
    data: dict[str, Any] = {
        "hall": hall,
        "target": {"wait": target_wait_s, "service_level": service_level},
        "open": clock_text(a.open_s),
        "close": clock_text(a.close_s),
        "interval": a.interval_s,
        "timezone": fit.timezone,
        "no_show_delay": round(fit.no_show_delay_s, 3),
        "services": {
            name: {"service_time": s.distribution().model_dump(exclude_none=True)}
            for name, s in fit.services.items()
        },
        "segments": {
            name: {"share": share, "priority": fit.priorities.get(name, 0)}
            | (
                {"patience": fit.patience[name].distribution().model_dump(exclude_none=True)}
                if name in fit.patience
                else {}
            )
            for name, share in seg.items()
        },
        "arrivals": {"mix": mix, "rate_per_hour": rates, "day_noise_cv": round(a.day_noise_cv, 4)},
        "counters": [
            {
                "id": g.id,
                "count": {clock_text(s): c for s, c in g.count},
                "services": [s for s in g.services if s in fit.services],
                "speed": g.speed,
            }
            | ({"segments": list(g.segments)} if g.segments else {})
            for g in fit.groups
        ],
    }
    return scenario_from_dict(data, source="fitted scenario")


__all__ = [
    "EventError",
    "FitError",
    "FitResult",
    "LogData",
    "collect",
    "fit_log",
    "fitted_scenario",
    "weekday_arrivals",
]
