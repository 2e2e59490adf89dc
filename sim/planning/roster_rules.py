"""Roster rules: the schema of a rules YAML file and its loader.

:class:`RosterRules` says what a roster may use: the grid (shift starts and
coverage slots), the allowed shift lengths, the meal break, on-duty bounds,
people available per counter group, the groups to roster and the solver's time
limit. :func:`rules_from_dict` and :func:`load_rules` validate once, raising
:class:`~sim.model.scenario.ScenarioError` naming each bad path and value; code past
the loader (:mod:`sim.planning.roster`) trusts its input.

Seconds inside; people's units (``30m``, ``12:00-14:00``) only in the YAML.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, model_validator

from sim.model.fields import DurationS, FrozenModel, SpanS
from sim.model.scenario import (
    ScenarioError,
    read_yaml_file,
    validate_tree,
)
from sim.model.units import format_duration

_EPS_S = 1e-6


class MealBreak(FrozenModel):
    """Shifts longer than ``over`` get one break of ``min``..``max`` (whole grid
    steps) that starts and ends inside ``window``, with at least ``min_work`` of
    work before it and after it (default: one grid step, so never at the very
    start or end of the shift); unpaid unless ``paid``."""

    over: DurationS = 6 * 3600.0
    min: Annotated[DurationS, Field(gt=0.0)] = 1800.0
    max: Annotated[DurationS, Field(gt=0.0)] = 3600.0
    window: SpanS
    min_work: Annotated[DurationS, Field(gt=0.0)] | None = None
    paid: bool = False

    def work_around(self, grid_s: float) -> float:
        """The least work before and after the break, seconds."""
        return grid_s if self.min_work is None else self.min_work

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


class RosterRules(FrozenModel):
    """What a roster may use: shift lengths starting on ``grid`` (which is also the
    coverage slot), the meal break, on-duty bounds, people ``available`` per
    counter group (absent: unlimited), the ``groups`` to roster and the solver's
    ``time_limit``."""

    grid: Annotated[DurationS, Field(gt=0.0)] = 1800.0
    shift_lengths: Annotated[tuple[Annotated[DurationS, Field(gt=0.0)], ...], Field(min_length=1)]
    meal_break: MealBreak | None = None
    on_duty: OnDuty = OnDuty()
    available: dict[str, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)
    groups: tuple[str, ...] | None = None
    time_limit: Annotated[DurationS, Field(gt=0.0)] = 10.0


def _grid_steps(seconds: float, grid_s: float) -> int | None:
    """``seconds`` as a whole number of grid steps, or None."""
    steps = round(seconds / grid_s)
    return steps if abs(steps * grid_s - seconds) < _EPS_S else None


def rules_from_dict(data: object, *, source: str = "rules") -> RosterRules:
    """Validate parsed rules YAML; raise ScenarioError naming each bad path and value."""
    rules = validate_tree(RosterRules, data, source)
    grid = format_duration(rules.grid)
    named = [(f"shift_lengths[{i}]", s) for i, s in enumerate(rules.shift_lengths)]
    if rules.meal_break is not None:
        named += [
            ("meal_break.min", rules.meal_break.min),
            ("meal_break.max", rules.meal_break.max),
        ]
        if rules.meal_break.min_work is not None:
            named.append(("meal_break.min_work", rules.meal_break.min_work))
    problems = [
        f"{path}: {format_duration(s)!r} is not a whole number of {grid} grid steps"
        for path, s in named
        if _grid_steps(s, rules.grid) is None
    ]
    lengths = [format_duration(s) for s in rules.shift_lengths]
    if len(set(lengths)) != len(lengths):
        problems.append(f"shift_lengths: {lengths!r} names a length twice")
    if problems:
        raise ScenarioError("\n".join(problems))
    return rules


def load_rules(path: str | Path) -> RosterRules:
    """Read and validate a roster rules YAML file."""
    return rules_from_dict(read_yaml_file(path), source=str(path))
