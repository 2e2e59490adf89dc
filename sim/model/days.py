"""A date of the hall's calendar resolved to the one-day scenario the simulator
runs: the typical day with the date's weekday plan (``week``) and any dated
exception (``holidays``) applied, or None when the hall is closed that day.

The resolved scenario has no ``week`` and no ``holidays`` of its own, so code
that simulates one day (the model, staffing, the forecast) needs nothing new;
:func:`day_key` names the plan a date follows, so that days alike can share
one forecast or plan.
"""

from __future__ import annotations

from datetime import date

from sim.model.scenario import Scenario
from sim.model.week import WEEKDAYS, DayPlan, Weekday, merged

_TYPICAL = DayPlan()


def weekday(day: date) -> Weekday:
    """``mon`` … ``sun`` of a date."""
    return WEEKDAYS[day.weekday()]


def day_plan(scn: Scenario, day: date) -> DayPlan:
    """The plan ``day`` follows: its holiday entry over the weekday it is like
    (default: its own), or its weekday's plan; the typical day when the
    scenario has neither."""
    own = scn.week.plan(weekday(day)) if scn.week is not None else _TYPICAL
    holiday = scn.holidays.get(day)
    if holiday is None:
        return own
    if scn.week is not None and holiday.like is not None:
        own = scn.week.plan(holiday.like)
    return merged(own, holiday)


def day_key(scn: Scenario, day: date) -> str:
    """Names the plan ``day`` follows: the date itself for a holiday, the
    weekday under a week, ``""`` when every day is alike. Days with one key
    have the same one-day scenario."""
    if day in scn.holidays:
        return day.isoformat()
    return weekday(day) if scn.week is not None else ""


def apply_plan(scn: Scenario, plan: DayPlan) -> Scenario | None:
    """``scn``'s typical day changed by ``plan`` (None: a closed day), as a
    plain one-day scenario without week or holidays."""
    if plan.closed:
        return None
    arrivals = scn.arrivals
    rates = plan.rate_per_hour if plan.rate_per_hour is not None else arrivals.rate_per_hour
    if plan.level != 1.0:
        rates = tuple((t, rate * plan.level) for t, rate in rates)
    arrivals = arrivals.model_copy(
        update={"rate_per_hour": rates, "mix": plan.mix if plan.mix is not None else arrivals.mix}
    )
    counters = tuple(
        g.model_copy(update={"count": plan.counters[g.id]}) if g.id in plan.counters else g
        for g in scn.counters
    )
    return _one_day(
        scn,
        open=scn.open if plan.open is None else plan.open,
        close=scn.close if plan.close is None else plan.close,
        arrivals=arrivals,
        counters=counters,
    )


def _one_day(scn: Scenario, **update: object) -> Scenario:
    """``scn`` with ``update`` and without week and holidays, which are also
    left out of its set fields, so that it is written (and reads) as a plain
    one-day scenario."""
    day = scn.model_copy(update=update | {"week": None, "holidays": {}})
    day.model_fields_set.difference_update({"week", "holidays"})
    return day


def day_scenario(scn: Scenario, day: date) -> Scenario | None:
    """The one-day scenario of ``day`` (None: the hall is closed). A scenario
    without week or holidays is returned as it is."""
    if scn.week is None and not scn.holidays:
        return scn
    return apply_plan(scn, day_plan(scn, day))


def typical_day(scn: Scenario) -> Scenario:
    """The scenario's typical day as a plain one-day scenario (the week and
    holidays dropped): what a run without a date simulates."""
    if scn.week is None and not scn.holidays:
        return scn
    return _one_day(scn)
