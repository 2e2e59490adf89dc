"""Roster rules: the schema of a rules YAML file and its loader.

:class:`RosterRules` says what a roster may use: the grid (shift starts and
coverage slots), the allowed shift lengths, the meal break, on-duty bounds,
people available per counter group, the groups to roster and the solver's time
limit, and for a week the :class:`Contract` types people are employed on
(weekly hours, shift lengths, days off, consecutive days, rest between
shifts, cost). :func:`rules_from_dict` and :func:`load_rules` validate once,
raising :class:`~sim.model.scenario.ScenarioError` naming each bad path and
value; code past the loader trusts its input.

Seconds inside; people's units (``30m``, ``12:00-14:00``) only in the YAML.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BeforeValidator, Field, model_validator

from sim.model.fields import DurationS, FrozenModel, SpanS
from sim.model.units import format_clock, format_duration
from sim.model.yamltree import ScenarioError, read_yaml_file, validate_tree

_EPS_S = 1e-6
Length = Annotated[DurationS, Field(gt=0.0)]


def _spans(value: object) -> object:
    """One span is short for a list of one."""
    return [value] if isinstance(value, str) else value


class MealBreak(FrozenModel):
    """Shifts longer than ``over`` get one break of ``min``..``max`` (whole grid
    steps) that starts and ends inside one of the ``window`` spans (lunch, or
    supper for a late shift), with at least ``min_work`` of work before it and
    after it (default: one grid step, so never at the very start or end of the
    shift); unpaid unless ``paid``."""

    over: DurationS = 6 * 3600.0
    min: Length = 1800.0
    max: Length = 3600.0
    window: Annotated[tuple[SpanS, ...], BeforeValidator(_spans), Field(min_length=1)]
    min_work: Length | None = None
    paid: bool = False

    def fits(self, start_s: float, end_s: float) -> bool:
        """True if a break from ``start_s`` to ``end_s`` lies inside a window."""
        return any(a - _EPS_S <= start_s and end_s <= b + _EPS_S for a, b in self.window)

    def windows_text(self) -> str:
        """``11:00–14:00 or 17:00–19:00``."""
        return " or ".join(f"{format_clock(a)}–{format_clock(b)}" for a, b in self.window)

    def work_around(self, grid_s: float) -> float:
        """The least work before and after the break, seconds."""
        return grid_s if self.min_work is None else self.min_work

    def unpaid_s(self, length_s: float, break_s: float) -> float:
        """Unpaid seconds of a shift of ``length_s`` with a break of ``break_s``."""
        return 0.0 if self.paid or length_s <= self.over + _EPS_S else break_s

    @model_validator(mode="after")
    def _ordered(self) -> MealBreak:
        if self.max < self.min:
            low, high = format_duration(self.min), format_duration(self.max)
            raise ValueError(f"max {high} is below min {low}")
        return self


class OnDuty(FrozenModel):
    """People across all rostered groups, per slot: at least ``min`` at work (not
    on break) and at most ``max`` on shift (breaks included)."""

    min: Annotated[int, Field(ge=0)] = 0
    max: Annotated[int, Field(ge=1)] | None = None

    @model_validator(mode="after")
    def _ordered(self) -> OnDuty:
        if self.max is not None and self.max < self.min:
            raise ValueError(f"max {self.max} is below min {self.min}")
        return self


class WeeklyHours(FrozenModel):
    """Paid hours a week a contract guarantees (``min``) and allows (``max``)."""

    min: Annotated[float, Field(ge=0.0, le=168.0)] = 0.0
    max: Annotated[float, Field(gt=0.0, le=168.0)] = 168.0

    @model_validator(mode="after")
    def _ordered(self) -> WeeklyHours:
        if self.max < self.min:
            raise ValueError(f"min {self.min:g} h exceeds max {self.max:g} h")
        return self


class Contract(FrozenModel):
    """The terms people are employed on: paid ``hours_per_week``, the
    ``shift_lengths`` they work (default: the rules'), at least ``days_off``
    days off a week, at most ``max_consecutive_days`` working days in a row,
    at least ``min_rest`` between the end of one shift and the start of the
    next, ``cost_per_hour`` (default: the scenario's ``workforce``), and at
    most ``max_people`` on it (absent: as many as the roster needs)."""

    name: str | None = None
    hours_per_week: WeeklyHours = WeeklyHours()
    shift_lengths: tuple[Length, ...] | None = None
    days_off: Annotated[int, Field(ge=0, le=6)] = 1
    max_consecutive_days: Annotated[int, Field(ge=1, le=7)] = 6
    min_rest: DurationS = 11 * 3600.0
    cost_per_hour: Annotated[float, Field(ge=0.0)] | None = None
    max_people: Annotated[int, Field(ge=0)] | None = None

    @property
    def max_days(self) -> int:
        """Working days a week at most."""
        return 7 - self.days_off


class RosterRules(FrozenModel):
    """What a roster may use: shift lengths starting on ``grid`` (which is also the
    coverage slot), the meal break, on-duty bounds, people ``available`` per
    counter group and day (absent: unlimited), the ``groups`` to roster, the
    solver's ``time_limit``, and the ``contracts`` a week roster employs people
    on. ``shift_lengths`` may be left out when the contracts name theirs."""

    grid: Annotated[DurationS, Field(gt=0.0)] = 1800.0
    shift_lengths: tuple[Length, ...] = ()
    meal_break: MealBreak | None = None
    on_duty: OnDuty = OnDuty()
    available: dict[str, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)
    groups: tuple[str, ...] | None = None
    time_limit: Annotated[DurationS, Field(gt=0.0)] = 10.0
    contracts: dict[str, Contract] = Field(default_factory=dict)

    def lengths(self, contract: str | None = None) -> tuple[float, ...]:
        """Shift lengths of ``contract`` (None: of the one-day roster: the rules'
        own, or every contract's), seconds, sorted."""
        if contract is not None:
            own = self.contracts[contract].shift_lengths
            return tuple(sorted(own if own is not None else self.shift_lengths))
        if self.shift_lengths:
            return tuple(sorted(self.shift_lengths))
        return tuple(sorted({s for name in self.contracts for s in self.lengths(name)}))

    def paid_s(self, length_s: float, break_s: float) -> float:
        """Paid seconds of a shift of ``length_s`` with a meal break of ``break_s``."""
        mb = self.meal_break
        return length_s - (0.0 if mb is None else mb.unpaid_s(length_s, break_s))


def _grid_steps(seconds: float, grid_s: float) -> int | None:
    """``seconds`` as a whole number of grid steps, or None."""
    steps = round(seconds / grid_s)
    return steps if abs(steps * grid_s - seconds) < _EPS_S else None


def _lengths_problems(path: str, lengths: tuple[float, ...], grid_s: float) -> list[str]:
    grid = format_duration(grid_s)
    problems = [
        f"{path}[{i}]: {format_duration(s)!r} is not a whole number of {grid} grid steps"
        for i, s in enumerate(lengths)
        if _grid_steps(s, grid_s) is None
    ]
    shown = [format_duration(s) for s in lengths]
    if len(set(shown)) != len(shown):
        problems.append(f"{path}: {shown!r} names a length twice")
    return problems


def _contract_problems(rules: RosterRules) -> list[str]:
    """Contracts whose terms no week can meet, and lengths off the grid."""
    problems: list[str] = []
    for name, c in rules.contracts.items():
        where = f"contracts.{name}"
        if c.shift_lengths is not None:
            problems += _lengths_problems(f"{where}.shift_lengths", c.shift_lengths, rules.grid)
        lengths = rules.lengths(name)
        if not lengths:
            problems.append(f"{where}.shift_lengths: is required (the rules name no shift_lengths)")
            continue
        most_h = c.max_days * max(rules.paid_s(s, _least_break(rules)) for s in lengths) / 3600.0
        if most_h < c.hours_per_week.min - 1e-9:
            problems.append(
                f"{where}.hours_per_week.min: {c.hours_per_week.min:g} h cannot be reached: "
                f"{c.max_days} days ({c.days_off} off) of at most {most_h / c.max_days:g} paid h "
                f"is {most_h:g} h"
            )
        least_h = min(rules.paid_s(s, _most_break(rules)) for s in lengths) / 3600.0
        if least_h > c.hours_per_week.max + 1e-9:
            problems.append(
                f"{where}.hours_per_week.max: {c.hours_per_week.max:g} h is below its shortest "
                f"shift ({least_h:g} paid h)"
            )
    return problems


def _least_break(rules: RosterRules) -> float:
    return 0.0 if rules.meal_break is None else rules.meal_break.min


def _most_break(rules: RosterRules) -> float:
    return 0.0 if rules.meal_break is None else rules.meal_break.max


def rules_from_dict(data: object, *, source: str = "rules") -> RosterRules:
    """Validate parsed rules YAML; raise ScenarioError naming each bad path and value."""
    rules = validate_tree(RosterRules, data, source)
    grid = format_duration(rules.grid)
    problems = _lengths_problems("shift_lengths", rules.shift_lengths, rules.grid)
    if not rules.shift_lengths and not rules.contracts:
        problems.append("shift_lengths: is required (or give contracts with their shift_lengths)")
    if rules.meal_break is not None:
        named = [("meal_break.min", rules.meal_break.min), ("meal_break.max", rules.meal_break.max)]
        if rules.meal_break.min_work is not None:
            named.append(("meal_break.min_work", rules.meal_break.min_work))
        problems += [
            f"{path}: {format_duration(s)!r} is not a whole number of {grid} grid steps"
            for path, s in named
            if _grid_steps(s, rules.grid) is None
        ]
    if not problems:
        problems += _contract_problems(rules)
    if problems:
        raise ScenarioError("\n".join(problems))
    return rules


def load_rules(path: str | Path) -> RosterRules:
    """Read and validate a roster rules YAML file."""
    return rules_from_dict(read_yaml_file(path), source=str(path))
