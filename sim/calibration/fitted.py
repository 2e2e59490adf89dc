"""The scenario a fit makes (:func:`fitted_scenario`), and a hall fitted from
its log in one call (:func:`fit_hall`): what the nightly re-fit of a hall's
model and ``hallsim fit`` both use."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sim.calibration.arrivals import rounded_shares
from sim.calibration.fit import FitError, FitResult, fit_log
from sim.calibration.logdata import LogData, collect
from sim.eventlog.events import AbandonEvents, Event
from sim.model.scenario import Scenario, scenario_from_dict
from sim.model.scenario_io import clock_text

DEFAULT_TARGET_WAIT_S = 900.0
DEFAULT_SERVICE_LEVEL = 0.8


@dataclass(frozen=True)
class Fitted:
    """A hall fitted from its event log: every estimate with its CI
    (``result``) and the scenario they make (``scenario``)."""

    result: FitResult
    scenario: Scenario


def fit_hall(
    log: LogData | Iterable[Event],
    configured: Scenario | None = None,
    *,
    interval_s: float | None = None,
    timezone: str | None = None,
    abandon_events: AbandonEvents | None = None,
    target_wait_s: float | None = None,
    service_level: float | None = None,
    workers: int = 1,
) -> Fitted:
    """Fit ``log`` (gathered by :func:`collect`, or events in log order) and
    build its scenario. ``configured``, the scenario in use for the hall, gives
    what a log cannot tell: the hall (the log must be of it), its name and
    target, the statistics interval, the time zone, the closing rule and the
    names people read for services and segments. The keywords override it;
    without either, a 15-minute interval, a target of 80% within 15 minutes and
    the zone the log's UTC offsets imply. ``workers``: as :func:`fit_log`.
    Raises :class:`FitError` for a log that cannot be fitted."""
    data = log if isinstance(log, LogData) else collect(log)
    if configured is not None and data.halls and data.halls != {configured.hall}:
        shown = ", ".join(sorted(data.halls))
        raise FitError(f"the log is of hall {shown}, not {configured.hall}")
    hall, interval, zone = sorted(data.halls)[0] if data.halls else "", 900.0, None
    target_s, level = DEFAULT_TARGET_WAIT_S, DEFAULT_SERVICE_LEVEL
    if configured is not None:
        hall, interval, zone = configured.hall, configured.interval, configured.timezone
        target_s, level = configured.target.wait, configured.target.service_level
    result = fit_log(
        data,
        interval_s=interval if interval_s is None else interval_s,
        timezone=zone if timezone is None else timezone,
        abandon_events=abandon_events,
        workers=workers,
    )
    scenario = fitted_scenario(
        result,
        hall=hall,
        target_wait_s=target_s if target_wait_s is None else target_wait_s,
        service_level=level if service_level is None else service_level,
        configured=configured,
    )
    return Fitted(result, scenario)


def fitted_scenario(
    fit: FitResult,
    *,
    hall: str,
    target_wait_s: float = DEFAULT_TARGET_WAIT_S,
    service_level: float = DEFAULT_SERVICE_LEVEL,
    configured: Scenario | None = None,
) -> Scenario:
    """A scenario of the fitted hall (validated by :func:`scenario_from_dict`);
    ``configured`` lends its name, closing rule and the names of services and
    segments the fit also has."""
    a = fit.arrivals
    rates = {clock_text(s): round(r, 2) for s, r in zip(a.starts_s, a.rate_per_h, strict=True)}
    mix = rounded_shares({k: v.share for k, v in fit.mix.items() if k in fit.services})
    seg = rounded_shares({k: v.share for k, v in fit.segments.items()})
    # the scenario's YAML tree, validated below; from ``configured``, what a log
    # cannot say: the hall's name, its closing rule, the names of services and segments
    services = configured.services if configured is not None else {}
    segments = configured.segments if configured is not None else {}
    data: dict[str, object] = {
        "hall": hall,
        "target": {"wait": target_wait_s, "service_level": service_level},
        "open": clock_text(a.open_s),
        "close": clock_text(a.close_s),
        "interval": a.interval_s,
        "timezone": fit.timezone,
        "no_show_delay": round(fit.no_show_delay_s, 3),
        "services": {
            name: _named(
                {"service_time": s.distribution().model_dump(exclude_none=True)},
                services[name].name if name in services else None,
            )
            for name, s in fit.services.items()
        },
        "segments": {
            name: _named(
                _segment(fit, name, share), segments[name].name if name in segments else None
            )
            for name, share in seg.items()
        },
        "arrivals": _arrivals(fit, configured, mix, rates, round(a.day_noise_cv, 4)),
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
    if configured is not None:
        data |= ({"name": configured.name} if configured.name is not None else {}) | {
            "closing": configured.closing
        }
    return scenario_from_dict(data, source="fitted scenario")


def _named(item: dict[str, object], name: str | None) -> dict[str, object]:
    """A service's or segment's tree with its display name first, when it has one."""
    return item if name is None else {"name": name} | item


def _arrivals(
    fit: FitResult,
    configured: Scenario | None,
    mix: dict[str, float],
    rates: dict[str, float],
    day_noise_cv: float,
) -> dict[str, object]:
    """``arrivals`` of the fitted hall, with ``remote`` when some took a ticket
    from home (its rule for a ticket called before its holder came is the
    configured scenario's: a log cannot tell it)."""
    arrivals: dict[str, object] = {"mix": mix, "rate_per_hour": rates, "day_noise_cv": day_noise_cv}
    remote = _remote(fit)
    if remote is not None:
        rule = configured.arrivals.remote if configured is not None else None
        if rule is not None:
            remote["early_call"] = rule.early_call
            if rule.early_call == "hold":
                remote["hold"] = rule.hold
        arrivals["remote"] = remote
    return arrivals


def _remote(fit: FitResult) -> dict[str, object] | None:
    """``arrivals.remote`` of the fitted hall: the services some took a ticket
    for from home, and the travel time (None: no remote ticket, or no check-in)."""
    r = fit.remote
    travel = r.distribution() if r is not None else None
    if r is None or travel is None:
        return None
    share = {k: round(v.share, 4) for k, v in r.share.items() if k in fit.services and v.share}
    return {"share": share, "travel": travel.model_dump(exclude_none=True)} if share else None


def _segment(fit: FitResult, name: str, share: float) -> dict[str, object]:
    """A fitted segment: share, priority, patience (absent when nobody gave up)
    and how long a wait its patience was seen over (``patience_known_until``)."""
    out: dict[str, object] = {"share": share, "priority": fit.priorities.get(name, 0)}
    p = fit.patience.get(name)
    if p is None:
        return out
    dist = p.distribution()
    if dist is not None:
        out["patience"] = dist.model_dump(exclude_none=True)
    out["patience_known_until"] = round(p.survival.known_until_s, 1)
    return out
