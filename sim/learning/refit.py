"""A hall's model re-fitted from its own events: what the exporter's nightly
learning proposes (a *candidate*) before the back-test
(:mod:`sim.learning.backtest`) decides whether it replaces the model in use.

A log tells how customers come and are served, not how the hall is meant to
run, so a candidate is the configured scenario with the fitted demand and
service put in (:func:`learned_scenario`):

* **from the log**: arrival rates per interval of the day and the day-to-day
  noise, the service mix and segment shares, per-weekday levels, profiles and
  mixes where the log shows them (:mod:`sim.calibration.weekdays`: tested,
  not assumed), service-time distributions, counter groups' speeds (for the
  configured groups the log knows), segments' patience, ``no_show_delay``;
* **from the configured scenario**: the hall, its name, target, time zone and
  statistics interval, opening hours (also per weekday), counter groups with
  their skills, staffing schedules, shifts and breaks, kiosks, appointments,
  priorities, balking, the closing rule, holidays and the workforce figures.

Only the configured services and segments are modelled; tickets of others
(the log's ``other``) are left out, and the arrival rate with them. The fit
counts ticket holders: where a configured kiosk takes a share of a service's
customers, the candidate's customers are the tickets over the share left to
the counters, so that the model issues as many tickets as the log shows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TypedDict

from sim.calibration.arrivals import rounded_shares
from sim.calibration.fit import FitResult, collect, fit_log
from sim.calibration.fitted import fitted_scenario
from sim.calibration.weekdays import DayPlanTree, WeekFit, fit_week
from sim.eventlog.events import Event
from sim.model.scenario import Scenario, scenario_from_dict
from sim.model.scenario_io import clock_text, scenario_to_dict
from sim.model.week import WEEKDAYS

DEMAND_KEYS = ("level", "rate_per_hour", "mix")  # what a fitted weekday plan may change


class FitSummary(TypedDict):
    """What a model version records of its fit (see :func:`fit_summary`)."""

    days: int
    tickets: int
    exact_abandons: bool
    tickets_per_day: float
    day_noise_cv: float
    mix: dict[str, float]
    segments: dict[str, float]
    service_mean_s: dict[str, float]
    group_speed: dict[str, float]
    no_show_delay_s: float
    priorities: dict[str, int]
    problems: dict[str, int]


@dataclass(frozen=True)
class Candidate:
    """A model fitted from the days ``days`` of the hall's log: the scenario
    (:func:`learned_scenario`), the fit's summary and the weekdays' tests."""

    scenario: Scenario
    days: tuple[date, ...]
    tickets: int
    summary: FitSummary
    week: WeekFit


def fit_candidate(events: Iterable[Event], configured: Scenario) -> Candidate:
    """Fit ``events`` (the hall's log, in time order) and make the candidate of
    ``configured``; raises :class:`~sim.calibration.logdata.FitError` for a log
    that cannot be fitted."""
    log = collect(events, source=f"the stored events of {configured.hall}", lenient=True)
    fit = fit_log(log, interval_s=configured.interval, timezone=configured.timezone)
    fitted = fitted_scenario(
        fit,
        hall=configured.hall,
        target_wait_s=configured.target.wait,
        service_level=configured.target.service_level,
    )
    week = fit_week(log, fit.arrivals)
    days = tuple(sorted(set(log.ticket_columns().dates())))
    return Candidate(
        learned_scenario(configured, fitted, week), days, fit.tickets, fit_summary(fit), week
    )


def fit_summary(fit: FitResult) -> FitSummary:
    """What a model version records of its fit (JSON): the log's days and
    tickets, arrivals, service means, speeds, patience and priorities."""
    return {
        "days": fit.days,
        "tickets": fit.tickets,
        "exact_abandons": fit.exact_abandons,
        "tickets_per_day": round(fit.arrivals.daily_mean, 1),
        "day_noise_cv": round(fit.arrivals.day_noise_cv, 4),
        "mix": {k: round(v.share, 4) for k, v in fit.mix.items()},
        "segments": {k: round(v.share, 4) for k, v in fit.segments.items()},
        "service_mean_s": {k: round(v.mean_s, 1) for k, v in fit.services.items()},
        "group_speed": {g.id: g.speed for g in fit.groups},
        "no_show_delay_s": round(fit.no_show_delay_s, 1),
        "priorities": dict(fit.priorities),
        "problems": dict(fit.problems),
    }


def _demand_mix(
    ticket_mix: dict[str, float], kiosk_share: dict[str, float]
) -> tuple[dict[str, float], float]:
    """Customers' mix over ``ticket_mix``'s services (the configured ones)
    and the factor from tickets per hour to customers per hour (see the module
    docstring); ``({}, 0)`` when none of them was seen."""
    raw = {
        s: share / (1.0 - kiosk_share.get(s, 0.0))
        for s, share in ticket_mix.items()
        if kiosk_share.get(s, 0.0) < 1.0
    }
    factor = math.fsum(raw.values())
    if factor <= 0:
        return {}, 0.0
    return rounded_shares({s: v / factor for s, v in raw.items()}), factor


def _rates(steps: Mapping[str, float], factor: float) -> dict[str, float]:
    return {t: round(float(r) * factor, 2) for t, r in steps.items()}


def learned_scenario(configured: Scenario, fitted: Scenario, week: WeekFit | None) -> Scenario:
    """``configured`` with what the log tells put in from ``fitted`` (a
    scenario of :func:`~sim.calibration.fit.fitted_scenario`) and ``week``
    (see the module docstring); validated like any scenario."""
    data = scenario_to_dict(configured)
    got = scenario_to_dict(fitted)
    kiosk = {name: k.share for k in configured.kiosks for name in k.services}
    seen_mix = {s: fitted.arrivals.mix.get(s, 0.0) for s in configured.services}
    mix, factor = _demand_mix(seen_mix, kiosk)
    if factor > 0:  # else nothing the configuration knows was seen: keep its demand
        steps = fitted.arrivals.rate_per_hour
        cv = fitted.arrivals.day_noise_cv
        if week is not None and week.week() is not None:
            # the typical day of the weekdays with the usual hours, and the noise
            # left once each weekday has its own level
            steps = tuple(zip(week.typical.starts_s, week.typical.rate_per_h, strict=True))
            cv = week.day_noise_cv
        data["arrivals"] |= {
            "mix": mix,
            "rate_per_hour": {clock_text(t): round(r * factor, 2) for t, r in steps},
            "day_noise_cv": round(cv, 4),
        }
        data["arrivals"].pop("scale", None)
    for name, service in data["services"].items():
        if name in got["services"]:
            service["service_time"] = got["services"][name]["service_time"]
    _segments(data["segments"], fitted, got["segments"])
    data["no_show_delay"] = got.get("no_show_delay", 0.0)
    speeds = {g.id: g.speed for g in fitted.counters}
    for group in data["counters"]:
        if group["id"] in speeds:
            group["speed"] = speeds[group["id"]]
    if week is not None and factor > 0:
        fitted_week = _week(data.get("week"), configured, week, kiosk, factor)
        if fitted_week is not None:
            data["week"] = fitted_week
    return scenario_from_dict(data, source=f"the model fitted for {configured.hall}")


def _segments(
    mine: dict[str, dict[str, object]], fitted: Scenario, got: Mapping[str, Mapping[str, object]]
) -> None:
    """Segment shares (among the configured segments the log saw) and patience
    from the fit; names, priorities and balking stay as configured. ``mine``
    are the configured segments' YAML trees, edited here (and validated again
    after), ``got`` the fitted ones'."""
    seen = {k: seg.share for k, seg in fitted.segments.items() if k in mine}
    total = math.fsum(seen.values())
    shares = rounded_shares({k: seen.get(k, 0.0) / total for k in mine}) if total > 0 else None
    for name, segment in mine.items():
        if shares is not None:
            segment["share"] = shares[name]
        fitted_tree = got.get(name)
        if fitted_tree is None:
            continue
        for key in ("patience", "patience_known_until"):
            if key in fitted_tree:
                segment[key] = fitted_tree[key]
            else:
                segment.pop(key, None)  # the log saw nobody leave: no patience to model


def _week(
    configured_week: object,  # the scenario's ``week`` as its YAML tree (absent: None)
    configured: Scenario,
    week: WeekFit,
    kiosk: dict[str, float],
    factor: float,
) -> dict[str, object] | None:
    """The fitted weekday demand over the configured week (None: the log
    tells no week): a weekday keeps its configured hours, staffing and
    ``closed``; a weekday the log shows closed is closed unless the configured
    week opens it."""
    fitted = week.week()
    if fitted is None:
        return None
    mine = configured_week if isinstance(configured_week, Mapping) else {}
    out: dict[str, object] = {}
    for day in WEEKDAYS:
        said = mine.get(day)
        if said == "closed" or (said is None and fitted[day] == "closed"):
            out[day] = "closed"
            continue
        plan = {
            k: v
            for k, v in (said if isinstance(said, Mapping) else {}).items()
            if k not in DEMAND_KEYS
        }
        entry = fitted[day]
        got: DayPlanTree = {} if entry == "closed" else entry
        if "level" in got:
            plan["level"] = got["level"]
        if "rate_per_hour" in got:
            plan["rate_per_hour"] = _rates(got["rate_per_hour"], factor)
        if "mix" in got:
            day_mix, _ = _demand_mix(
                {s: float(got["mix"].get(s, 0.0)) for s in configured.services}, kiosk
            )
            if day_mix:
                plan["mix"] = day_mix
        out[day] = plan
    return out
