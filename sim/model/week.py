"""A hall's week: how each weekday and each dated exception (a holiday, the
busy day after one) differs from the scenario's typical day, and the workforce
figures that turn counter-hours into people and money.

A scenario without ``week`` has the same day every day. With ``week``, all
seven weekdays are given, each either ``closed`` or a :class:`DayPlan` whose
keys replace the typical day's: opening hours, the arrival profile
(``rate_per_hour``) and its ``level`` (a multiplier, so "Mondays are 20%
busier" is ``mon: {level: 1.2}``), the service mix, and counter groups'
staffing schedules. ``holidays`` are dated exceptions in the hall's local
calendar: ``closed``, or a plan applied over a weekday's (``like: mon``, by
default the date's own weekday). :mod:`sim.model.days` resolves a date to the
plain one-day scenario the simulator runs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, model_validator

from sim.model.fields import ClockS, CountSteps, FrozenModel, Probability, RateSteps

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _closed_word(value: object) -> object:
    """``closed`` (the word) is short for ``{closed: true}``."""
    return {"closed": True} if value == "closed" else value


class DayPlan(FrozenModel):
    """How one day differs from the typical day; a key left out keeps the
    typical day's value. ``level`` multiplies the day's arrival rates."""

    closed: bool = False
    """The hall does not open that day (``closed`` alone is short for ``{closed: true}``)."""
    open: ClockS | None = None
    """Opening time that day; absent: the typical day's."""
    close: ClockS | None = None
    """Closing time that day; absent: the typical day's."""
    level: Annotated[float, Field(ge=0.0)] = 1.0
    """Multiplies the day's arrival rates (``1.2``: 20% busier)."""
    rate_per_hour: RateSteps | None = None
    """The day's arrival profile, replacing the typical day's ``arrivals.rate_per_hour``."""
    mix: dict[str, Probability] | None = None
    """The day's service mix, replacing ``arrivals.mix``; shares sum to 1."""
    counters: dict[str, CountSteps] = Field(default_factory=dict)
    """Staffing schedules by counter group id, replacing those groups' ``count`` that day."""

    @model_validator(mode="after")
    def _consistent(self) -> DayPlan:
        if self.closed and self.model_fields_set - {"closed", "like", "name"}:
            extra = sorted(self.model_fields_set - {"closed", "like", "name"})
            raise ValueError(f"a closed day takes no other keys (got {', '.join(extra)})")
        if self.mix is not None:
            if not self.mix:
                raise ValueError("mix must name at least one service")
            total = math.fsum(self.mix.values())
            if abs(total - 1.0) > 1e-6:
                raise ValueError(f"mix shares must sum to 1, not {total:g}")
        return self


class Holiday(DayPlan):
    """A dated exception: ``closed``, or a plan over the plan of weekday
    ``like`` (default: the date's own weekday); ``name`` is for people. Over a
    closed weekday it opens the hall only with ``closed: false``."""

    like: Weekday | None = None
    """The weekday whose plan the holiday applies over; default: the date's own weekday."""
    name: str | None = None
    """What the day is called, for people (春节, 元旦后首个工作日)."""


DayEntry = Annotated[DayPlan, BeforeValidator(_closed_word)]
HolidayEntry = Annotated[Holiday, BeforeValidator(_closed_word)]


class Week(FrozenModel):
    """All seven weekdays, each ``closed`` or a :class:`DayPlan`."""

    mon: DayEntry
    """Monday: ``closed`` or the keys that differ from the typical day."""
    tue: DayEntry
    """Tuesday: ``closed`` or the keys that differ from the typical day."""
    wed: DayEntry
    """Wednesday: ``closed`` or the keys that differ from the typical day."""
    thu: DayEntry
    """Thursday: ``closed`` or the keys that differ from the typical day."""
    fri: DayEntry
    """Friday: ``closed`` or the keys that differ from the typical day."""
    sat: DayEntry
    """Saturday: ``closed`` or the keys that differ from the typical day."""
    sun: DayEntry
    """Sunday: ``closed`` or the keys that differ from the typical day."""

    @model_validator(mode="before")
    @classmethod
    def _every_weekday(cls, data: object) -> object:
        if isinstance(data, Mapping):
            missing = [d for d in WEEKDAYS if d not in data]
            if missing:
                raise ValueError(
                    f"misses {', '.join(missing)}: give all seven weekdays "
                    "(mon … sun), `closed` for a day the hall does not open"
                )
        return data

    def plan(self, weekday: Weekday) -> DayPlan:
        plan: DayPlan = getattr(self, weekday)
        return plan


class ContractShare(FrozenModel):
    """One contract type's part of a plan's paid hours and what its hour costs."""

    share: Annotated[float, Field(gt=0.0, le=1.0)]
    """Share of the paid hours worked on this contract."""
    cost_per_hour: Annotated[float, Field(ge=0.0)]
    """What a paid hour on this contract costs, in ``currency``."""


class Workforce(FrozenModel):
    """What a counter-hour costs in people and money. ``shrinkage`` is the share
    of paid hours not spent at a counter (absence, leave, training, meetings):
    a counter-hour needs ``1 / (1 - shrinkage)`` paid hours. A full-time
    equivalent (FTE) works ``fte_hours_per_week`` paid hours; ``cost_per_hour``
    is what a paid hour costs, in ``currency`` (no cost figures when unset)."""

    shrinkage: Annotated[float, Field(ge=0.0, lt=0.9)] = 0.0
    """Share of paid hours not spent at a counter (absence, leave, training, meetings)."""
    fte_hours_per_week: Annotated[float, Field(gt=0.0, le=80.0)] = 40.0
    """Paid hours a week of one full-time equivalent (FTE)."""
    cost_per_hour: Annotated[float, Field(ge=0.0)] | None = None
    """What a paid hour costs, in ``currency``; absent: no cost figures."""
    currency: Annotated[str, Field(min_length=1, max_length=8)] = "¥"
    """The currency of ``cost_per_hour``."""
    contracts: Mapping[str, ContractShare] | None = None
    """The paid hours split over contract types (shares summing to 1), each at
    its own cost per paid hour: a plan is costed per contract at that mix
    (instead of ``cost_per_hour``), and a roster's contract without its own
    cost takes its type's."""

    @model_validator(mode="after")
    def _one_cost(self) -> Workforce:
        if self.contracts is None:
            return self
        if not self.contracts:
            raise ValueError("contracts: give at least one contract type, or leave it out")
        if self.cost_per_hour is not None:
            raise ValueError(
                "cost_per_hour: give either one cost per hour or contracts with their own, not both"
            )
        total = math.fsum(c.share for c in self.contracts.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"contracts: shares add up to {total:g}, not 1")
        return self

    def paid_hours(self, counter_hours: float) -> float:
        """Paid hours that staff ``counter_hours`` at the counters."""
        return counter_hours / (1.0 - self.shrinkage)

    def fte(self, counter_hours_per_week: float) -> float:
        """Full-time equivalents that staff ``counter_hours_per_week``."""
        return self.paid_hours(counter_hours_per_week) / self.fte_hours_per_week

    def cost(self, counter_hours: float) -> float | None:
        """What ``counter_hours`` cost in paid hours (None: no cost configured)."""
        split = self.cost_by_contract(counter_hours)
        if split is not None:
            return math.fsum(cost for _, cost in split.values())
        if self.cost_per_hour is None:
            return None
        return self.paid_hours(counter_hours) * self.cost_per_hour

    def cost_by_contract(self, counter_hours: float) -> dict[str, tuple[float, float]] | None:
        """(paid hours, cost) of each contract type for ``counter_hours`` at the
        ``contracts`` mix (None without one)."""
        if self.contracts is None:
            return None
        paid = self.paid_hours(counter_hours)
        return {
            name: (paid * c.share, paid * c.share * c.cost_per_hour)
            for name, c in self.contracts.items()
        }


def merged(base: DayPlan, over: DayPlan) -> DayPlan:
    """``over``'s keys (those it sets) over ``base``'s, as a plain :class:`DayPlan`;
    counter schedules merge by group."""
    fields = {k: getattr(base, k) for k in base.model_fields_set if k in DayPlan.model_fields}
    for key in over.model_fields_set & set(DayPlan.model_fields):
        value = getattr(over, key)
        fields[key] = {**fields.get(key, {}), **value} if key == "counters" else value
    if fields.get("closed"):
        return DayPlan(closed=True)
    return DayPlan.model_construct(_fields_set=set(fields), **(DayPlan().__dict__ | fields))


def week_problems(
    week: Week | None,
    holidays: Mapping[date, Holiday],
    hours: tuple[float, float],
    services: Sequence[str],
    groups: Sequence[str],
    stationary: bool,
) -> list[str]:
    """What the week and the holidays refer to that the scenario lacks, and
    days whose hours end before they start; ``hours`` is the typical day's
    ``(open, close)``."""
    problems: list[str] = []
    if stationary and (week is not None or holidays):
        problems.append("week: a week needs opening hours, not a horizon")
        return problems
    plans: list[tuple[str, DayPlan]] = []
    if week is not None:
        plans += [(f"week.{d}", week.plan(d)) for d in WEEKDAYS]
    for day, holiday in holidays.items():
        where = f"holidays.{day.isoformat()}"
        if week is not None:
            base = week.plan(holiday.like or WEEKDAYS[day.weekday()])
            plans.append((where, merged(base, holiday)))
        elif holiday.like is not None:
            problems.append(f"{where}.like: {holiday.like!r} needs a week: block to refer to")
        else:
            plans.append((where, holiday))
    for where, plan in plans:
        if plan.closed:
            continue
        opens, closes = plan.open if plan.open is not None else hours[0], plan.close
        closes = closes if closes is not None else hours[1]
        if closes <= opens:
            problems.append(f"{where}: closes at {closes / 3600:g}h, not after it opens")
        for name in plan.mix or {}:
            if name not in services:
                problems.append(f"{where}.mix.{name}: {name!r} is not a service")
        for group in plan.counters:
            if group not in groups:
                problems.append(f"{where}.counters.{group}: {group!r} is not a counter group")
    return problems
